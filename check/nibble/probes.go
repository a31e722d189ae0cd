package nibble

import (
	"context"
	"errors"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

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

var probes = []check.Def[*env]{
	{Name: "hello", Group: groupHello, Spec: specHello, Run: probeHello,
		Expect: "a hello-response to a hello with our torrent's id"},
	{Name: "bitfield", Group: groupHello, Spec: specHello + "; DIALECTS.md: the bitfield", Run: probeBitfield,
		Expect: "ceil(pieces/8) bytes, high bit first, spare bits zero"},
	{Name: "unknown-torrent", Group: groupHello, Spec: specError, Run: probeUnknownTorrent,
		Expect: "an error frame for a hello with a torrent it cannot have; the connection goes on"},

	{Name: "index-1-byte", Group: groupPieces, Spec: specIndex, Run: probeIndexWidth(1),
		Expect: "the piece asked for with a 1-byte index, its SHA-1 right"},
	{Name: "index-2-bytes", Group: groupPieces, Spec: specIndex, Run: probeIndexWidth(2),
		Expect: "the same piece asked for with a 2-byte index"},
	{Name: "index-4-bytes", Group: groupPieces, Spec: specIndex, Run: probeIndexWidth(4),
		Expect: "the same piece asked for with a 4-byte index"},
	{Name: "out-of-range", Group: groupPieces, Spec: specError, Run: probeOutOfRange,
		Expect: "an error frame for the piece past the last; the connection goes on"},
	{Name: "claimed-pieces", Group: groupPieces, Spec: specHello + ", " + specPiece, Run: probeClaimed,
		Expect: "every piece the bitfield claims arrives, its SHA-1 right"},

	{Name: "split-frame", Group: groupFraming, Spec: specQuirks + " (one recv() per frame)", Run: probeSplit,
		Expect: "a frame sent as its header, a pause, then the rest is read whole and answered"},
	{Name: "batch", Group: groupFraming, Spec: specQuirks + " (one recv() per frame)", Run: probeBatch,
		Expect: "a hello and three piece requests in one segment get four answers, in order"},
	{Name: "five-connections", Group: groupFraming, Spec: specParallel, Run: probeFive,
		Expect: "five connections at once each get a hello-response and a piece"},

	{Name: "index-5-bytes", Group: groupRobustness, Spec: specError + ", piece request index (1 to 4 bytes)", Run: probeIndex5,
		Expect: "an error frame for a piece request with a 5-byte index; the connection goes on"},
	{Name: "version-2", Group: groupRobustness, Spec: specFormat + "; DIALECTS.md: a version other than 1", Run: probeVersion2,
		Expect: "an error frame for a frame of version 2; the connection goes on"},
	{Name: "unknown-type", Group: groupRobustness, Spec: specError + "; " + specFormat, Run: probeUnknownType,
		Expect: "an error frame for a frame of an unknown type; the connection goes on"},
}

// suite is the NibbleTorrent suite for a run with options o.
func suite(o Options) *check.Suite {
	s := &check.Suite{
		Framing:   framing,
		HelloName: "hello",
		Handshake: "hello",
		Hello:     func(*check.Env, *conn) []byte { return wire.HelloRequest(o.Torrent.ID) },
	}
	s.Probes = check.Probes(probes, func(e *check.Env) *env { return wrap(e, o) }, groupRobustness)
	return s
}

// Names lists the checks in the order they run.
func Names() []string { return check.DefNames(probes) }

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
