package bitclone

import (
	"context"

	"github.com/bitclone/bitclone/check"
)

// probe is one check: a small function with its own connection(s). The
// timed checks have no function of their own: timedChecks runs them all on
// one connection.
type probe struct {
	name   string
	group  string
	spec   string // where the rule is written
	expect string // the rule, in a few words
	slow   bool   // a timed check: run only with Options.Slow
	listen bool   // needs Options.Listen
	run    func(*env) check.Result
}

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

var probes = []probe{
	{name: "version", group: groupHandshake, spec: specVersion, run: probeVersion,
		expect: "9 fields: version 3 or 4, services with bit 1, time, recipient, sender, nonce ≠ 0, agent, block id; CRLF"},
	{name: "version-time", group: groupHandshake, spec: specVersion, run: probeVersionTime,
		expect: "the current time in unix seconds (within 10 minutes of ours)"},
	{name: "version-recipient", group: groupHandshake, spec: specVersion + "; notes: version fields", run: probeVersionRecipient,
		expect: "recipient = our address as the peer sees it"},
	{name: "version-sender", group: groupHandshake, spec: specVersion + "; notes: version fields", run: probeVersionSender,
		expect: "sender = the peer's IP and its listening port"},
	{name: "verack", group: groupHandshake, spec: specVerack, run: probeVerack,
		expect: "verack|NONCE echoing our version's nonce"},
	{name: "quiet-handshake", group: groupHandshake, spec: specHandshake, run: probeQuietHandshake,
		expect: "nothing but version and verack until the handshake completes"},
	{name: "outbound", group: groupHandshake, spec: specHandshake + "; spec §Addr Message", listen: true, run: probeOutbound,
		expect: "it dials the address our versions and our addr give: version first, verack with our nonce, nothing else before, then getaddr"},

	{name: "early-ping", group: groupRejects, spec: specHandshake, run: probeEarlyPing,
		expect: "a ping before the handshake completes is rejected (4xx), never answered"},
	{name: "unknown-command", group: groupRejects, spec: specReject, run: probeUnknownCommand,
		expect: "reject|4xx|... for an unknown command"},
	{name: "field-count", group: groupRejects, spec: specReject, run: probeFieldCount,
		expect: "reject|4xx|... for a ping with 3 fields, and no pong"},
	{name: "bad-nonce", group: groupRejects, spec: specReject, run: probeBadNonce,
		expect: "reject|4xx|... for a ping whose nonce is not a number, and no pong"},
	{name: "second-version", group: groupRejects, spec: specReject + "; notes: handshake", run: probeSecondVersion,
		expect: "reject|4xx|... for a version after the handshake, and no verack"},

	{name: "ping", group: groupMessages, spec: specPing, run: probePing,
		expect: "pong|N for ping|N"},
	{name: "batch", group: groupMessages, spec: specQuirks + " (one message per read); spec: not stop and wait", run: probeBatch,
		expect: "three pings in one TCP segment get three pongs"},
	{name: "bare-lf", group: groupMessages, spec: "notes: line ending", run: probeBareLF,
		expect: "a line ended by a bare LF is read like CRLF"},
	{name: "getaddr", group: groupMessages, spec: specAddr, run: probeGetAddr,
		expect: "getaddr gets a well-formed addr whose count matches its entries"},

	{name: "ping-interval", group: groupTimed, spec: specTimed, slow: true,
		expect: "a ping within the ping interval"},
	{name: "idle-expiry", group: groupTimed, spec: specTimed, slow: true,
		expect: "with us silent, the connection is closed after about the inactivity limit"},
	{name: "advertise", group: groupTimed, spec: "spec §Peer Maintenance (periodic advertising); notes: periodic advertising", slow: true,
		expect: "an addr, unasked, within the advertising interval"},

	{name: "garbage", group: groupRobustness, spec: specQuirks + " (any input affects that connection only)", run: probeGarbage,
		expect: "binary garbage is rejected or ignored; the connection still answers a ping"},
	{name: "reset", group: groupRobustness, spec: specQuirks + " (any input affects that connection only)", run: probeReset,
		expect: "after half a line and a TCP reset, a new connection works"},
	{name: "long-line", group: groupRobustness, spec: "notes: framing limits (max line 128 KiB)", run: probeLongLine,
		expect: "a 1 MiB line is rejected, or the connection closed; the peer survives"},
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
	for _, p := range probes {
		cp := check.Probe{Name: p.name, Group: p.group, Spec: p.spec, Expect: p.expect,
			Slow: p.slow, Listen: p.listen, Hostile: p.group == groupRobustness}
		if p.run != nil {
			cp.Run = func(e *check.Env) check.Result { return p.run(wrap(e, o)) }
		}
		s.Probes = append(s.Probes, cp)
	}
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
