package bt

import (
	"context"
	"errors"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
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

var probes = []probe{
	{name: "handshake", group: groupHandshake, spec: specHandshake + "; " + specQuirks + " (reserved bits)", run: probeHandshake,
		expect: `its handshake: "BitTorrent protocol", our info_hash, a peer_id of 20 bytes`},
	{name: "bitfield", group: groupHandshake, spec: specBitfield, run: probeBitfield,
		expect: "right after the handshake, ceil(pieces/8) bytes, spare bits zero (or none, or a lazy one and haves)"},

	{name: "choking", group: groupRequests, spec: specChoke, run: probeChoking,
		expect: "a request before interested is not served; after interested it unchokes us and serves one"},
	{name: "claimed-pieces", group: groupRequests, spec: specBitfield + ", §piece", run: probeClaimed,
		expect: "the blocks of every piece it claims arrive and hash to the torrent's SHA-1"},
	{name: "keepalive", group: groupRequests, spec: specKeepAlive, run: probeKeepAlive,
		expect: "a keep-alive is taken in stride: the next request is served"},

	{name: "split-message", group: groupFraming, spec: specQuirks + " (one recv() per frame)", run: probeSplit,
		expect: "a request sent in two writes, a pause apart, is read whole and served"},
	{name: "packed-messages", group: groupFraming, spec: specQuirks + " (one recv() per frame)", run: probePacked,
		expect: "three requests in one write are all served"},

	{name: "wrong-info-hash", group: groupRobustness, spec: specHandshake + " (info_hash)", run: probeWrongInfoHash,
		expect: "a handshake for another torrent is refused: the connection closed, or no handshake echoed"},
	{name: "past-piece-end", group: groupRobustness, spec: specRequest, run: probePastPiece,
		expect: "a request past the end of a piece is not served (closing is allowed)"},
	{name: "past-file-end", group: groupRobustness, spec: specRequest, run: probePastFile,
		expect: "requests past the end of the file, and for the piece after the last, are not served (closing is allowed)"},
	{name: "oversize-request", group: groupRobustness, spec: specLimits, run: probeOversize,
		expect: "a request of more than 128 KiB is not served: dropped, or the connection closed (serving it warns)"},
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
