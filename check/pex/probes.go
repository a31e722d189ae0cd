package pex

import (
	"context"

	"github.com/bitclone/bitclone/check"
)

// The groups, in the order they run. The probes that may upset a node come
// last, so a crash there costs the fewest checks.
const (
	groupPeers      = "peers"
	groupPieces     = "pieces"
	groupRobustness = "robustness"
)

const (
	specPeers  = "spec §Bootstrapping, §Peer Exchange"
	specCourse = "DIALECTS.md: the course's PEX node"
	specAsk    = "spec §Message types (ask, give)"
	specIssue  = "issue 12 (a size prefix larger than a give is refused before reading it)"
)

var probes = []check.Def[*env]{
	{Name: "peer-message", Group: groupPeers, Spec: specPeers + "; " + specCourse, Run: probePeerMessage,
		Expect: "a peer message naming our listener gets a peer list back, or the node dials our listener (the course's node does)"},
	{Name: "own-address", Group: groupPeers, Spec: specPeers + " (the node records the client and returns the others)", Run: probeOwnAddress,
		Expect: "the peer lists it sends us do not list our own address"},

	{Name: "ask-piece", Group: groupPieces, Spec: specAsk, Run: probeAskPiece,
		Expect: "an ask for a piece it shares (--piece) gets a give that hashes to the SHA-256 asked for, a full piece"},
	{Name: "ask-missing", Group: groupPieces, Spec: specAsk + "; " + specCourse + " (silent on a piece it lacks)", Run: probeAskMissing,
		Expect: "an ask for a piece it lacks gets no give (the course's node answers nothing); the connection goes on"},

	{Name: "truncated", Group: groupRobustness, Spec: specCourse + "; DIALECTS.md: untrusted input", Run: probeTruncated,
		Expect: "a message cut short (its size prefix promises more) is not acted on; the node survives our hanging up"},
	{Name: "oversize", Group: groupRobustness, Spec: specIssue, Run: probeOversize,
		Expect: "a size prefix larger than a give can be is refused or ignored; the node survives"},
	{Name: "byte-order", Group: groupRobustness, Spec: "issue 12 point 1 (both byte orders); " + specCourse + " (host order)", Run: probeByteOrder,
		Expect: "which byte order it speaks (reported, never failed); a message in the other order does not upset it"},
}

// suite is the PEX suite for a run with options o; rs is what its probes
// learn for each other.
func suite(o Options, rs *runState) *check.Suite {
	s := &check.Suite{
		Framing:   framing(o.Wire),
		HelloName: "peer message",
		Handshake: "answer to a peer message",
		UsNote:    "our peer messages named %s, where we listened during the run",
		Hello:     func(e *check.Env, _ *conn) []byte { return wrap(e, o, rs).hello() },
		Answered:  func(e *check.Env, c *conn) error { return wrap(e, o, rs).answeredHello(c) },
		Answer: func(*check.Env, *conn, bool, func()) check.Result {
			return check.Result{Verdict: check.Pass} // nothing to shake hands on: hold notes the dial
		},
		Hold: func(_ *check.Env, in *conn) { rs.hold(in) },
	}
	s.Probes = check.Probes(probes, func(e *check.Env) *env { return wrap(e, o, rs) }, groupRobustness)
	return s
}

// Names lists the checks in the order they run.
func Names() []string { return check.DefNames(probes) }

// Run checks the PEX node at target ("host:port") and returns the report;
// see check.Run.
func Run(ctx context.Context, target string, o Options) (*check.Report, error) {
	return runOn(ctx, target, o, check.TCP{})
}

func runOn(ctx context.Context, target string, o Options, nw check.Network) (*check.Report, error) {
	if err := o.Wire.Check(); err != nil {
		return nil, err
	}
	return check.Run(ctx, target, suite(o, newRunState(o.Wire)), o.Options, nw)
}
