package nibble

import (
	"context"
	"errors"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// probe is one check: a small function with its own connection(s).
type probe struct {
	name   string
	group  string
	spec   string // where the rule is written
	expect string // the rule, in a few words
	run    func(*env) check.Result
}

// The groups, in the order they run. The probes that may upset a peer come
// last, so a crash there costs the fewest checks.
const (
	groupHello      = "hello"
	groupPieces     = "pieces"
	groupFraming    = "framing"
	groupRobustness = "robustness"
)

const (
	specHello    = "spec §Hello Request/Response"
	specPiece    = "spec §Piece Request/Response"
	specIndex    = specPiece + "; DIALECTS.md: piece request index"
	specError    = "spec §Error Response; DIALECTS.md: keep the connection"
	specQuirks   = "DIALECTS.md: what real peers do"
	specFormat   = "spec §NibbleTorrent Request/Response Format"
	specParallel = "spec §Peer Connections (5 concurrent connections)"
)

var probes = []probe{
	{name: "hello", group: groupHello, spec: specHello, run: probeHello,
		expect: "a hello-response to a hello with our torrent's id"},
	{name: "bitfield", group: groupHello, spec: specHello + "; DIALECTS.md: the bitfield", run: probeBitfield,
		expect: "ceil(pieces/8) bytes, high bit first, spare bits zero"},
	{name: "unknown-torrent", group: groupHello, spec: specError, run: probeUnknownTorrent,
		expect: "an error frame for a hello with a torrent it cannot have; the connection goes on"},

	{name: "index-1-byte", group: groupPieces, spec: specIndex, run: probeIndexWidth(1),
		expect: "the piece asked for with a 1-byte index, its SHA-1 right"},
	{name: "index-2-bytes", group: groupPieces, spec: specIndex, run: probeIndexWidth(2),
		expect: "the same piece asked for with a 2-byte index"},
	{name: "index-4-bytes", group: groupPieces, spec: specIndex, run: probeIndexWidth(4),
		expect: "the same piece asked for with a 4-byte index"},
	{name: "out-of-range", group: groupPieces, spec: specError, run: probeOutOfRange,
		expect: "an error frame for the piece past the last; the connection goes on"},
	{name: "claimed-pieces", group: groupPieces, spec: specHello + ", " + specPiece, run: probeClaimed,
		expect: "every piece the bitfield claims arrives, its SHA-1 right"},

	{name: "split-frame", group: groupFraming, spec: specQuirks + " (one recv() per frame)", run: probeSplit,
		expect: "a frame sent as its header, a pause, then the rest is read whole and answered"},
	{name: "batch", group: groupFraming, spec: specQuirks + " (one recv() per frame)", run: probeBatch,
		expect: "a hello and three piece requests in one segment get four answers, in order"},
	{name: "five-connections", group: groupFraming, spec: specParallel, run: probeFive,
		expect: "five connections at once each get a hello-response and a piece"},

	{name: "index-5-bytes", group: groupRobustness, spec: specError + ", piece request index (1 to 4 bytes)", run: probeIndex5,
		expect: "an error frame for a piece request with a 5-byte index; the connection goes on"},
	{name: "version-2", group: groupRobustness, spec: specFormat + "; DIALECTS.md: a version other than 1", run: probeVersion2,
		expect: "an error frame for a frame of version 2; the connection goes on"},
	{name: "unknown-type", group: groupRobustness, spec: specError + "; " + specFormat, run: probeUnknownType,
		expect: "an error frame for a frame of an unknown type; the connection goes on"},
}

// suite is the NibbleTorrent suite for a run with options o.
func suite(o Options) *check.Suite {
	s := &check.Suite{
		Framing:   framing,
		HelloName: "hello",
		Handshake: "hello",
		Hello:     func(*check.Env, *conn) []byte { return wire.HelloRequest(o.Torrent.ID) },
	}
	for _, p := range probes {
		s.Probes = append(s.Probes, check.Probe{Name: p.name, Group: p.group, Spec: p.spec, Expect: p.expect,
			Hostile: p.group == groupRobustness,
			Run:     func(e *check.Env) check.Result { return p.run(wrap(e, o)) }})
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

// ErrNoTorrent is a run without Options.Torrent.
var ErrNoTorrent = errors.New("check: a NibbleTorrent check needs the torrent")

// Run checks the NibbleTorrent peer at target ("host:port") for
// o.Torrent and returns the report; see check.Run.
func Run(ctx context.Context, target string, o Options) (*check.Report, error) {
	return runOn(ctx, target, o, check.TCP{})
}

func runOn(ctx context.Context, target string, o Options, nw check.Network) (*check.Report, error) {
	if o.Torrent == nil {
		return nil, ErrNoTorrent
	}
	return check.Run(ctx, target, suite(o), o.Options, nw)
}
