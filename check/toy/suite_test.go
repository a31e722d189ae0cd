package toy

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/check/checktest"
)

// theSuite is this package's suite, for the shared test helpers.
var theSuite = checktest.Suite[Options]{Run: Run, Names: Names, Settings: Settings}

func runSuite(t *testing.T, addr string, o Options) (*check.Report, string) {
	t.Helper()
	return theSuite.Report(t, addr, o)
}

func verdicts(t *testing.T, r *check.Report, text string, want map[string]check.Verdict, detail map[string]string) {
	t.Helper()
	theSuite.Expect(t, r, text, want, detail)
}

// The shared file: 3500 bytes, 4 chunks of the fake's 1000.
const sharedName = "cool.txt"

func sharedFiles() map[string][]byte {
	return map[string][]byte{sharedName: bytes.Repeat([]byte("toy check "), 350)}
}

func fastOptions(file string) Options {
	return Options{Options: check.Options{Timeout: time.Second, Pace: -1}, File: file}
}

// (a) A correct node (ttl, seen-set, results routed back, chunked
// getfile) passes every check, with --file, in a few timeouts' time.
func TestCorrectNodePasses(t *testing.T) {
	n := startFake(t, quirks{}, sharedFiles())
	r, text := runSuite(t, n.addr().String(), fastOptions(sharedName))
	verdicts(t, r, text, nil, map[string]string{
		"ping":            "a pong with replyto our msgid",
		"getpeerlist":     "the asker (127.0.0.1:",
		"search-file":     "a searchresult: the file is at [127.0.0.1, " + fmt.Sprint(n.addr().Port()) + "] (the node itself)",
		"search-ttl":      "our ttl-2 search reached another address of ours once",
		"search-routed":   "came back to the searcher, replyto our msgid, atpeer unchanged",
		"getfile":         "3500 bytes in 4 chunks, base64 right, the sizes adding up",
		"not-a-map":       "ignored; it still answers pings",
		"getfile-missing": "silence; then it still answered our ping",
	})
	if !r.OK() || !strings.HasSuffix(text, "PASS: "+n.addr().String()+" conforms\n") {
		t.Errorf("report:\n%s", text)
	}
	if r.Duration > 5*time.Second {
		t.Errorf("the run took %s against a good node", r.Duration)
	}
	t.Logf("\n%s", text)
}

// Without --file the two probes that need it are not run, and say so; the
// rest pass.
func TestWithoutFileTheFileProbesAreNotRun(t *testing.T) {
	n := startFake(t, quirks{}, sharedFiles())
	o := fastOptions("")
	o.Pace = 0 // the default gap: our two copies of one search go 50ms apart
	r, text := runSuite(t, n.addr().String(), o)
	verdicts(t, r, text, map[string]check.Verdict{"search-file": check.Skip, "getfile": check.Skip},
		map[string]string{"search-file": "not run: give --file NAME", "getfile": "not run: give --file NAME"})
	ttl, _ := r.Outcome("search-ttl")
	if !regexp.MustCompile(`^our ttl-2 search reached another address of ours once, in [0-9.]+m?s, with ttl 1`).MatchString(ttl.Detail) {
		t.Errorf("search-ttl: %s", ttl.Detail)
	}
	if !r.OK() {
		t.Errorf("not OK:\n%s", text)
	}
}

// (b) The article's node: it re-broadcasts our search to everyone (us
// too) and never answers it, passes a search on with its ttl as it came,
// and dies of the searchresult routed back to it (it has no handler for
// one); the checks after that are skipped as "peer down".
func TestArticleNodeFails(t *testing.T) {
	article := quirks{crashOnUnknown: true, crashOnBroken: true, crashOnMissing: true, rebroadcast: true}
	n := startFake(t, article, sharedFiles())
	r, text := runSuite(t, n.addr().String(), fastOptions(sharedName))
	down := []string{"getfile-missing", "getfile", "unknown-msgtype", "not-msgpack", "not-a-map", "truncated"}
	want := map[string]check.Verdict{"search-missing": check.Warn, "search-file": check.Fail, "search-ttl": check.Fail, "search-routed": check.Fail}
	for _, name := range down {
		want[name] = check.Skip
	}
	verdicts(t, r, text, want, map[string]string{
		"search-missing": "it sent our search back to us, the asker",
		"search-file":    "it sent our search back to us instead",
		"search-ttl":     "it passed our ttl-2 search on with ttl 2",
		"search-routed":  "did not come back to the searcher: the peer stopped answering (within 1s it sent only search); results are to be routed back along the search's path; then the peer went down: our ping from a fresh socket: the peer stopped answering (nothing within 1s)",
	})
	if r.DiedIn != "search-routed" || r.Refused || r.OK() {
		t.Errorf("died in %q, refused %v, OK %v:\n%s", r.DiedIn, r.Refused, r.OK(), text)
	}
	for _, name := range down {
		if oc, _ := r.Outcome(name); oc.DownSince != "search-routed" {
			t.Errorf("%s: down since %q", name, oc.DownSince)
		}
	}
}

// Each of the article node's crashes, alone, fails the check that meets
// it; the checks after it are skipped as "peer down", never taken for a
// ban. (c) A node that lists the asker fails getpeerlist alone. A node
// that passes searches to nobody it has not dialled cannot be judged on
// ttl and routing: those are not run, and it conforms.
func TestQuirksFailTheirChecks(t *testing.T) {
	tests := []struct {
		name   string
		q      quirks
		want   map[string]check.Verdict // the rest pass
		died   string
		detail map[string]string
		report string // a part of the text report
	}{
		{name: "crash on a missing file", q: quirks{crashOnMissing: true}, died: "getfile-missing",
			want:   map[string]check.Verdict{"getfile-missing": check.Fail},
			detail: map[string]string{"getfile-missing": "silence, then our ping after it: the peer stopped answering (nothing within 1s); then the peer went down: our ping from a fresh socket"}},
		{name: "crash on an unknown msgtype", q: quirks{crashOnUnknown: true}, died: "unknown-msgtype",
			want:   map[string]check.Verdict{"unknown-msgtype": check.Fail},
			detail: map[string]string{"unknown-msgtype": "our ping after it: the peer stopped answering (nothing within 1s): did it crash on our datagram? (the article's node does)"}},
		{name: "crash on a broken datagram", q: quirks{crashOnBroken: true}, died: "not-msgpack",
			want: map[string]check.Verdict{"not-msgpack": check.Fail}},
		{name: "exit on a broken datagram", q: quirks{crashOnBroken: true, exitOnCrash: true}, died: "not-msgpack",
			want:   map[string]check.Verdict{"not-msgpack": check.Fail},
			detail: map[string]string{"not-msgpack": "our ping after it: ICMP port unreachable: nothing listens on that UDP port: did it crash"}},
		{name: "lists the asker", q: quirks{listAsker: true},
			want:   map[string]check.Verdict{"getpeerlist": check.Fail},
			detail: map[string]string{"getpeerlist": "is the asker itself, 127.0.0.1:"}},
		{name: "pongs answer msgid 0", q: quirks{pongReplyTo0: true},
			want:   map[string]check.Verdict{"ping": check.Fail},
			detail: map[string]string{"ping": "a pong whose replyto is 0, not our msgid "}},
		{name: "answers an unknown msgtype", q: quirks{answerUnknown: true},
			want:   map[string]check.Verdict{"unknown-msgtype": check.Warn},
			detail: map[string]string{"unknown-msgtype": "it answered it (unknown), where it is to be ignored; it still answers pings"}},
		{name: "no chunk keys", q: quirks{noChunks: true},
			detail: map[string]string{"getfile": "3500 bytes, base64 right, in one datagram (no chunk keys)"}},
		{name: "announces a wrong size", q: quirks{sizeLie: true},
			want:   map[string]check.Verdict{"getfile": check.Fail},
			detail: map[string]string{"getfile": "4 chunks: 3500 bytes in the chunks, the file has 3501"}},
		{name: "a chunk lost once", q: quirks{loseChunk1: true},
			detail: map[string]string{"getfile": "3500 bytes in 4 chunks, base64 right, the sizes adding up"}},
		{name: "a chunk answered late", q: quirks{lateChunk1: true},
			detail: map[string]string{"getfile": "3500 bytes in 4 chunks, base64 right, the sizes adding up"}},
		{name: "filecontents answer msgid 0", q: quirks{contentsTo0: true},
			want:   map[string]check.Verdict{"getfile": check.Fail},
			detail: map[string]string{"getfile": "no filecontents for a file it shares: a filecontents whose replyto is 0, not our msgid "}},
		{name: "atpeer unspecified", q: quirks{atUnspecified: true},
			want:   map[string]check.Verdict{"search-file": check.Warn},
			detail: map[string]string{"search-file": "atpeer: 0.0.0.0:"}},
		{name: "a host that is no host", q: quirks{evilPeer: "evil\x1b[2J"},
			want:   map[string]check.Verdict{"getpeerlist": check.Fail},
			detail: map[string]string{"getpeerlist": "host \"evil\x1b[2J\" is neither an IP address nor a DNS name"},
			report: `FAIL  getpeerlist      peer 4 of 4: host "evil\x1b[2J" is neither`},
		{name: "a DNS name for a host", q: quirks{evilPeer: "node-1.example"}},
		{name: "passes searches to nobody", q: quirks{noForward: true},
			want: map[string]check.Verdict{"search-ttl": check.Skip, "search-routed": check.Skip},
			detail: map[string]string{"search-ttl": "not observable: within 500ms it passed our ttl-2 search on to no other address of ours",
				"search-routed": "not observable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := startFake(t, tt.q, sharedFiles())
			r, text := runSuite(t, n.addr().String(), fastOptions(sharedName))
			want := map[string]check.Verdict{}
			after := false
			for _, name := range Names() {
				if after {
					want[name] = check.Skip
				}
				if v, ok := tt.want[name]; ok {
					want[name] = v
				}
				after = after || name == tt.died
			}
			verdicts(t, r, text, want, tt.detail)
			if !strings.Contains(text, tt.report) {
				t.Errorf("report lacks %q:\n%s", tt.report, text)
			}
			if strings.Contains(text, "\x1b") {
				t.Errorf("the peer's escape reached the report:\n%s", text)
			}
			failed := false
			for _, v := range tt.want {
				failed = failed || v == check.Fail
			}
			if r.OK() == failed || r.DiedIn != tt.died || r.Refused || r.NoHandshake != "" {
				t.Errorf("OK %v, died in %q (refused %v), no pong in %q:\n%s", r.OK(), r.DiedIn, r.Refused, r.NoHandshake, text)
			}
		})
	}
}

// (d) A node that reads and never answers: the ping check fails after
// one timeout with what to look at, and the rest are not run; the run is
// bounded by that one timeout.
func TestSilentNodeIsTheRootCause(t *testing.T) {
	n := startFake(t, quirks{silent: true}, nil)
	start := time.Now()
	r, text := runSuite(t, n.addr().String(), fastOptions(sharedName))
	ping, _ := r.Outcome("ping")
	want := "handshake: waiting for its pong: the peer stopped answering (nothing within 1s); is the node running, on this UDP port?"
	if r.NoHandshake != "ping" || !strings.HasPrefix(ping.Detail, want) || strings.Contains(ping.Detail, "TCP listener") {
		t.Errorf("no pong in %q; ping: %q, want %q…", r.NoHandshake, ping.Detail, want)
	}
	if c := r.Counts(); c.Fail != 1 || c.NotRun != len(Names())-1 || r.OK() {
		t.Errorf("counts %+v:\n%s", c, text)
	}
	if !strings.Contains(text, "\nno pong in ping (see there): the 11 checks after it need one and were not run\n") {
		t.Errorf("report:\n%s", text)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the run took %s", d)
	}
}

// Nothing on the UDP port, but a TCP listener at the same address (a
// peer of another dialect, or a port mistaken): the kernel's ICMP port
// unreachable fails the ping check at once, and the detail says both.
func TestClosedPortWithATCPListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	start := time.Now()
	r, text := runSuite(t, addr, fastOptions(""))
	ping, _ := r.Outcome("ping")
	for _, part := range []string{"handshake: waiting for its pong: ICMP port unreachable: nothing listens on that UDP port; the node is not running, or not on this UDP port",
		"; a TCP listener answers at " + addr + ": the toy node speaks UDP"} {
		if !strings.Contains(ping.Detail, part) {
			t.Errorf("ping: %q lacks %q", ping.Detail, part)
		}
	}
	if r.NoHandshake != "ping" || r.OK() {
		t.Errorf("report:\n%s", text)
	}
	if d := time.Since(start); d >= time.Second {
		t.Errorf("the run took %s: the ICMP error should end it before the timeout", d)
	}
}
