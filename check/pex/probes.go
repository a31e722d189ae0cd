package pex

import (
	"context"

	"github.com/bitclone/bitclone/check"
)

// probe is one check: a small function with its own connection(s).
type probe struct {
	name   string
	group  string
	spec   string // where the rule is written
	expect string // the rule, in a few words
	run    func(*env) check.Result
}

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

var probes = []probe{
	{name: "peer-message", group: groupPeers, spec: specPeers + "; " + specCourse, run: probePeerMessage,
		expect: "a peer message naming our listener gets a peer list back, or the node dials our listener (the course's node does)"},
	{name: "own-address", group: groupPeers, spec: specPeers + " (the node records the client and returns the others)", run: probeOwnAddress,
		expect: "the peer lists it sends us do not list our own address"},

	{name: "ask-piece", group: groupPieces, spec: specAsk, run: probeAskPiece,
		expect: "an ask for a piece it shares (--piece) gets a give that hashes to the SHA-256 asked for, a full piece"},
	{name: "ask-missing", group: groupPieces, spec: specAsk + "; " + specCourse + " (silent on a piece it lacks)", run: probeAskMissing,
		expect: "an ask for a piece it lacks gets no give (the course's node answers nothing); the connection goes on"},

	{name: "truncated", group: groupRobustness, spec: specCourse + "; DIALECTS.md: untrusted input", run: probeTruncated,
		expect: "a message cut short (its size prefix promises more) is not acted on; the node survives our hanging up"},
	{name: "oversize", group: groupRobustness, spec: specIssue, run: probeOversize,
		expect: "a size prefix larger than a give can be is refused or ignored; the node survives"},
	{name: "byte-order", group: groupRobustness, spec: "issue 12 point 1 (both byte orders); " + specCourse + " (host order)", run: probeByteOrder,
		expect: "which byte order it speaks (reported, never failed); a message in the other order does not upset it"},
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
	for _, p := range probes {
		s.Probes = append(s.Probes, check.Probe{Name: p.name, Group: p.group, Spec: p.spec, Expect: p.expect,
			Hostile: p.group == groupRobustness,
			Run:     func(e *check.Env) check.Result { return p.run(wrap(e, o, rs)) }})
	}
	return s
}

// Names lists the checks in the order they run.
func Names() []string {
	names := make([]string, len(probes))
	for i, p := range probes {
		names[i] = p.name
	}
	return names
}

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
