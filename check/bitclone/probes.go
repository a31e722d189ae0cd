package bitclone

import (
	"context"

	"github.com/bitclone/bitclone/check"
)

// The groups, in the order they run. The probes that may upset a peer come
// last, so a crash there costs the fewest checks.
const (
	groupHandshake  = "handshake"
	groupRejects    = "rejects"
	groupMessages   = "messages"
	groupTimed      = "timed"
	groupRobustness = "robustness"
)

const (
	specVersion   = "spec §Version Message"
	specVerack    = "spec §Verack Message; notes: verack nonce"
	specHandshake = "spec §Connection to Peers; notes: handshake"
	specReject    = "spec §Reject Message; notes: reject"
	specPing      = "spec §Ping Message, §Pong Message"
	specAddr      = "spec §Getaddr Message, §Addr Message; notes: addr count field"
	specTimed     = "spec §Peer Maintenance; notes: ping / pong"
	specQuirks    = "notes: real-world quirks"
)

// The timed checks have no function of their own: timedChecks runs them
// all on one connection.
var probes = []check.Def[*env]{
	{Name: "version", Group: groupHandshake, Spec: specVersion, Run: probeVersion,
		Expect: "9 fields: version 3 or 4, services with bit 1, time, recipient, sender, nonce ≠ 0, agent, block id; CRLF"},
	{Name: "version-time", Group: groupHandshake, Spec: specVersion, Run: probeVersionTime,
		Expect: "the current time in unix seconds (within 10 minutes of ours)"},
	{Name: "version-recipient", Group: groupHandshake, Spec: specVersion + "; notes: version fields", Run: probeVersionRecipient,
		Expect: "recipient = our address as the peer sees it"},
	{Name: "version-sender", Group: groupHandshake, Spec: specVersion + "; notes: version fields", Run: probeVersionSender,
		Expect: "sender = the peer's IP and its listening port"},
	{Name: "verack", Group: groupHandshake, Spec: specVerack, Run: probeVerack,
		Expect: "verack|NONCE echoing our version's nonce"},
	{Name: "quiet-handshake", Group: groupHandshake, Spec: specHandshake, Run: probeQuietHandshake,
		Expect: "nothing but version and verack until the handshake completes"},
	{Name: "outbound", Group: groupHandshake, Spec: specHandshake + "; spec §Addr Message", Listen: true, Run: probeOutbound,
		Expect: "it dials the address our versions and our addr give: version first, verack with our nonce, nothing else before, then getaddr"},

	{Name: "early-ping", Group: groupRejects, Spec: specHandshake, Run: probeEarlyPing,
		Expect: "a ping before the handshake completes is rejected (4xx), never answered"},
	{Name: "unknown-command", Group: groupRejects, Spec: specReject, Run: probeUnknownCommand,
		Expect: "reject|4xx|... for an unknown command"},
	{Name: "field-count", Group: groupRejects, Spec: specReject, Run: probeFieldCount,
		Expect: "reject|4xx|... for a ping with 3 fields, and no pong"},
	{Name: "bad-nonce", Group: groupRejects, Spec: specReject, Run: probeBadNonce,
		Expect: "reject|4xx|... for a ping whose nonce is not a number, and no pong"},
	{Name: "second-version", Group: groupRejects, Spec: specReject + "; notes: handshake", Run: probeSecondVersion,
		Expect: "reject|4xx|... for a version after the handshake, and no verack"},

	{Name: "ping", Group: groupMessages, Spec: specPing, Run: probePing,
		Expect: "pong|N for ping|N"},
	{Name: "batch", Group: groupMessages, Spec: specQuirks + " (one message per read); Spec: not stop and wait", Run: probeBatch,
		Expect: "three pings in one TCP segment get three pongs"},
	{Name: "bare-lf", Group: groupMessages, Spec: "notes: line ending", Run: probeBareLF,
		Expect: "a line ended by a bare LF is read like CRLF"},
	{Name: "getaddr", Group: groupMessages, Spec: specAddr, Run: probeGetAddr,
		Expect: "getaddr gets a well-formed addr whose count matches its entries"},

	{Name: "ping-interval", Group: groupTimed, Spec: specTimed, Slow: true,
		Expect: "a ping within the ping interval"},
	{Name: "idle-expiry", Group: groupTimed, Spec: specTimed, Slow: true,
		Expect: "with us silent, the connection is closed after about the inactivity limit"},
	{Name: "advertise", Group: groupTimed, Spec: "spec §Peer Maintenance (periodic advertising); notes: periodic advertising", Slow: true,
		Expect: "an addr, unasked, within the advertising interval"},

	{Name: "garbage", Group: groupRobustness, Spec: specQuirks + " (any input affects that connection only)", Run: probeGarbage,
		Expect: "binary garbage is rejected or ignored; the connection still answers a ping"},
	{Name: "reset", Group: groupRobustness, Spec: specQuirks + " (any input affects that connection only)", Run: probeReset,
		Expect: "after half a line and a TCP reset, a new connection works"},
	{Name: "long-line", Group: groupRobustness, Spec: "notes: framing limits (max line 128 KiB)", Run: probeLongLine,
		Expect: "a 1 MiB line is rejected, or the connection closed; the peer survives"},
}

// suite is the BitClone suite for a run with options o.
func suite(o Options) *check.Suite {
	s := &check.Suite{
		Framing:   framing,
		HelloName: "version",
		UsNote:    "our versions named %s, where we listened during the run",
		Hello:     func(e *check.Env, c *conn) []byte { return wrap(e, o).version(c, newNonce()) },
		Timed:     func(e *check.Env) map[string]check.Result { return timedChecks(wrap(e, o)) },
		Answer: func(e *check.Env, in *conn, judge bool, held func()) check.Result {
			return wrap(e, o).answer(in, e.Us(), judge, held)
		},
		Hold: hold,
	}
	s.Probes = check.Probes(probes, func(e *check.Env) *env { return wrap(e, o) }, groupRobustness)
	return s
}

// Names lists the checks in the order they run.
func Names() []string { return suite(Options{}).Names() }

// Run checks the BitClone peer at target ("host:port") and returns the
// report; see check.Run.
func Run(ctx context.Context, target string, o Options) (*check.Report, error) {
	return RunOn(ctx, target, o, check.TCP{})
}

// RunOn is Run over nw (check.TCP{} for the real network).
func RunOn(ctx context.Context, target string, o Options, nw check.Network) (*check.Report, error) {
	return check.Run(ctx, target, suite(o), o.Options, nw)
}
