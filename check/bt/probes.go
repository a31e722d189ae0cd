package bt

import (
	"context"
	"errors"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
)

// The groups, in the order they run. The probes that may upset a peer come
// last, so a crash or a ban there costs the fewest checks.
const (
	groupHandshake  = "handshake"
	groupRequests   = "requests"
	groupFraming    = "framing"
	groupRobustness = "robustness"
)

const (
	specHandshake = "spec §Handshake"
	specBitfield  = "spec §bitfield"
	specRequest   = "spec §request"
	specChoke     = "spec §choke, §unchoke, §interested"
	specKeepAlive = "spec §keep-alive"
	specQuirks    = "DIALECTS.md: what real peers do"
	specLimits    = specRequest + "; issue 11 (a request of more than 128 KiB drops the connection)"
)

var probes = []check.Def[*env]{
	{Name: "handshake", Group: groupHandshake, Spec: specHandshake + "; " + specQuirks + " (reserved bits)", Run: probeHandshake,
		Expect: `its handshake: "BitTorrent protocol", our info_hash, a peer_id of 20 bytes`},
	{Name: "bitfield", Group: groupHandshake, Spec: specBitfield, Run: probeBitfield,
		Expect: "right after the handshake, ceil(pieces/8) bytes, spare bits zero (or none, or a lazy one and haves)"},

	{Name: "choking", Group: groupRequests, Spec: specChoke, Run: probeChoking,
		Expect: "a request before interested is not served; after interested it unchokes us and serves one"},
	{Name: "claimed-pieces", Group: groupRequests, Spec: specBitfield + ", §piece", Run: probeClaimed,
		Expect: "the blocks of every piece it claims arrive and hash to the torrent's SHA-1"},
	{Name: "keepalive", Group: groupRequests, Spec: specKeepAlive, Run: probeKeepAlive,
		Expect: "a keep-alive is taken in stride: the next request is served"},

	{Name: "split-message", Group: groupFraming, Spec: specQuirks + " (one recv() per frame)", Run: probeSplit,
		Expect: "a request sent in two writes, a pause apart, is read whole and served"},
	{Name: "packed-messages", Group: groupFraming, Spec: specQuirks + " (one recv() per frame)", Run: probePacked,
		Expect: "three requests in one write are all served"},

	{Name: "wrong-info-hash", Group: groupRobustness, Spec: specHandshake + " (info_hash)", Run: probeWrongInfoHash,
		Expect: "a handshake for another torrent is refused: the connection closed, or no handshake echoed"},
	{Name: "past-piece-end", Group: groupRobustness, Spec: specRequest, Run: probePastPiece,
		Expect: "a request past the end of a piece is not served (closing is allowed)"},
	{Name: "past-file-end", Group: groupRobustness, Spec: specRequest, Run: probePastFile,
		Expect: "requests past the end of the file, and for the piece after the last, are not served (closing is allowed)"},
	{Name: "oversize-request", Group: groupRobustness, Spec: specLimits, Run: probeOversize,
		Expect: "a request of more than 128 KiB is not served: dropped, or the connection closed (serving it warns)"},
}

// suite is the BitTorrent suite for a run with options o; rs is what its
// probes learn for each other.
func suite(o Options, rs *runState) *check.Suite {
	s := &check.Suite{
		Framing:   framing(o.Torrent.Info.NumPieces()),
		HelloName: "handshake",
		Handshake: "handshake",
		Hello:     func(*check.Env, *conn) []byte { return ourHandshake(wire.InfoHash(o.Torrent.InfoHash)) },
	}
	s.Probes = check.Probes(probes, func(e *check.Env) *env { return wrap(e, o, rs) }, groupRobustness)
	return s
}

// Names lists the checks in the order they run.
func Names() []string { return check.DefNames(probes) }

// ErrNoTorrent is a run without Options.Torrent.
var ErrNoTorrent = errors.New("check: a BitTorrent check needs the torrent")

// Run checks the BitTorrent peer at target ("host:port") for o.Torrent
// and returns the report; see check.Run.
func Run(ctx context.Context, target string, o Options) (*check.Report, error) {
	return runOn(ctx, target, o, check.TCP{})
}

func runOn(ctx context.Context, target string, o Options, nw check.Network) (*check.Report, error) {
	if o.Torrent == nil {
		return nil, ErrNoTorrent
	}
	return check.Run(ctx, target, suite(o, &runState{}), o.Options, nw)
}
