package toy

import (
	"context"
	"fmt"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

// probe is one check: a small function with its own socket(s).
type probe struct {
	name   string
	group  string
	spec   string // where the rule is written
	expect string // the rule, in a few words
	run    func(*env) check.Result
}

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

var probes = []probe{
	{name: "ping", group: groupPing, spec: specPing, run: probePing,
		expect: "a pong whose replyto is our ping's msgid"},
	{name: "getpeerlist", group: groupPing, spec: specPeerList, run: probePeerList,
		expect: "a peerlist answering ours: well-formed [host, port] pairs, never the asker's own address"},

	{name: "search-missing", group: groupSearch, spec: specSearch, run: probeSearchMissing,
		expect: "no searchresult for a name nobody has, and our search not sent back to us"},
	{name: "search-file", group: groupSearch, spec: specSearch, run: probeSearchFile,
		expect: "a searchresult answering our search for --file, its atpeer a well-formed [host, port]"},
	{name: "search-ttl", group: groupSearch, spec: specHops, run: probeSearchTTL,
		expect: "a search passed on to another peer with its ttl decremented, once per msgid; one with ttl 1 not passed on"},
	{name: "search-routed", group: groupSearch, spec: specHops, run: probeSearchRouted,
		expect: "a searchresult for a search it passed on comes back to the searcher, replyto its msgid"},

	{name: "getfile-missing", group: groupGetFile, spec: specGetFile, run: probeGetFileMissing,
		expect: "a getfile for a file it lacks: silence or an error-ish reply, and pings still answered"},
	{name: "getfile", group: groupGetFile, spec: specGetFile + "; " + specChunks, run: probeGetFile,
		expect: "a filecontents for --file in base64; if chunked, every chunk, the sizes adding up"},

	{name: "unknown-msgtype", group: groupRobustness, spec: specUnknown, run: probeUnknownType,
		expect: "a map with a msgtype it does not know is ignored; pings still answered"},
	{name: "not-msgpack", group: groupRobustness, spec: specBroken, run: probeBad(notMsgpack),
		expect: "a datagram that is not msgpack is ignored; pings still answered"},
	{name: "not-a-map", group: groupRobustness, spec: specBroken, run: probeBad(notAMap),
		expect: "a msgpack array instead of a map is ignored; pings still answered"},
	{name: "truncated", group: groupRobustness, spec: specBroken, run: probeBad(truncated),
		expect: "a map cut short is ignored; pings still answered"},
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
	for _, p := range probes {
		s.Probes = append(s.Probes, check.Probe{Name: p.name, Group: p.group, Spec: p.spec, Expect: p.expect,
			Run: func(e *check.Env) check.Result { return p.run(wrap(e, o, rs)) }})
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
