package toy

import (
	"context"
	"fmt"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

// The groups, in the order they run. The probes that may crash the node
// (the article's does on each of them) come last, so a crash there costs
// the fewest checks.
const (
	groupPing       = "ping"
	groupSearch     = "search"
	groupGetFile    = "getfile"
	groupRobustness = "robustness"
)

const (
	specPing     = "spec: handle_ping (ping, pong)"
	specPeerList = "spec §Request peer list"
	specSearch   = "spec §Search"
	specGetFile  = "spec §Get file contents"
	specHops     = "issue 12 point 5 (ttl, recent msgids, results routed back)"
	specChunks   = "issue 12 point 5 (numbered chunks)"
	specUnknown  = "issue 12 point 4 (unknown msgtypes are ignored, never a crash)"
	specBroken   = "issue 12 point 7 (a malformed datagram; the article's node crashes on one)"
)

var probes = []check.Def[*env]{
	{Name: "ping", Group: groupPing, Spec: specPing, Run: probePing,
		Expect: "a pong whose replyto is our ping's msgid"},
	{Name: "getpeerlist", Group: groupPing, Spec: specPeerList, Run: probePeerList,
		Expect: "a peerlist answering ours: well-formed [host, port] pairs, never the asker's own address"},

	{Name: "search-missing", Group: groupSearch, Spec: specSearch, Run: probeSearchMissing,
		Expect: "no searchresult for a name nobody has, and our search not sent back to us"},
	{Name: "search-file", Group: groupSearch, Spec: specSearch, Run: probeSearchFile,
		Expect: "a searchresult answering our search for --file, its atpeer a well-formed [host, port]"},
	{Name: "search-ttl", Group: groupSearch, Spec: specHops, Run: probeSearchTTL,
		Expect: "a search passed on to another peer with its ttl decremented, once per msgid; one with ttl 1 not passed on"},
	{Name: "search-routed", Group: groupSearch, Spec: specHops, Run: probeSearchRouted,
		Expect: "a searchresult for a search it passed on comes back to the searcher, replyto its msgid"},

	{Name: "getfile-missing", Group: groupGetFile, Spec: specGetFile, Run: probeGetFileMissing,
		Expect: "a getfile for a file it lacks: silence or an error-ish reply, and pings still answered"},
	{Name: "getfile", Group: groupGetFile, Spec: specGetFile + "; " + specChunks, Run: probeGetFile,
		Expect: "a filecontents for --file in base64; if chunked, every chunk, the sizes adding up"},

	{Name: "unknown-msgtype", Group: groupRobustness, Spec: specUnknown, Run: probeUnknownType,
		Expect: "a map with a msgtype it does not know is ignored; pings still answered"},
	{Name: "not-msgpack", Group: groupRobustness, Spec: specBroken, Run: probeBad(notMsgpack),
		Expect: "a datagram that is not msgpack is ignored; pings still answered"},
	{Name: "not-a-map", Group: groupRobustness, Spec: specBroken, Run: probeBad(notAMap),
		Expect: "a msgpack array instead of a map is ignored; pings still answered"},
	{Name: "truncated", Group: groupRobustness, Spec: specBroken, Run: probeBad(truncated),
		Expect: "a map cut short is ignored; pings still answered"},
}

// suite is the toy node suite for a run with options o; rs is what its
// probes share.
func suite(o Options, rs *runState) *check.Suite {
	s := &check.Suite{
		Framing:   framing,
		HelloName: "ping",
		Handshake: "pong",
		UsNote:    "each probe sent from a UDP socket of its own (the run's own socket, named to nobody, was %s)",
		Hello:     func(*check.Env, *conn) []byte { return encode(wire.Ping(rs.msgid.Add(1))) },
	}
	s.Probes = check.Probes(probes, func(e *check.Env) *env { return wrap(e, o, rs) }, "")
	return s
}

// Names lists the checks in the order they run.
func Names() []string { return check.DefNames(probes) }

// Run checks the toy node at target ("host:port", UDP) and returns the
// report; see check.Run. UDP has no connection: the target is only
// known to be there once our first ping gets its pong.
func Run(ctx context.Context, target string, o Options) (*check.Report, error) {
	return runOn(ctx, target, o, network{})
}

func runOn(ctx context.Context, target string, o Options, nw check.Network) (*check.Report, error) {
	if o.File != "" {
		if why := ValidFile(o.File); why != "" {
			return nil, fmt.Errorf("check: file %s", why)
		}
	}
	return check.Run(ctx, target, suite(o, newRunState(target)), o.Options, nw)
}
