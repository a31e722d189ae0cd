package tracker

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	tid1 = "84e199cad6b953eee0c9b6d8b72612ddb2488999"
	tid2 = "0938307ef77f5c8466f97dec40ccae523557257a"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// get asks srv for target from remote, as a request from the network would.
func get(srv http.Handler, target, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

// announceQuery is a course announce's query string.
func announceQuery(peerID, ip, port, torrent string) string {
	v := url.Values{}
	for k, s := range map[string]string{"peer_id": peerID, "ip": ip, "port": port, "torrent_id": torrent} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return "/announce?" + v.Encode()
}

func announceOK(t *testing.T, srv http.Handler, peerID, ip, port, torrent string) nibbleReply {
	t.Helper()
	w := get(srv, announceQuery(peerID, ip, port, torrent), "127.0.0.1:40000")
	if w.Code != http.StatusOK {
		t.Fatalf("announce %s: %d %s", peerID, w.Code, w.Body)
	}
	var r nibbleReply
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("announce %s: %v in %q", peerID, err, w.Body)
	}
	return r
}

// The reply is the spec's JSON: an integer interval, [address, peer_id]
// pairs in the order peers joined, the caller included.
func TestAnnounceAnswersTheSpecsJSON(t *testing.T) {
	srv := New(Config{})
	w := get(srv, "/announce?peer_id=-ECEN426-le0nh4rt&ip=10.35.120.175&port=6981&torrent_id="+tid1, "127.0.0.1:40000")
	if want := `{"interval":30,"peers":[["10.35.120.175:6981","-ECEN426-le0nh4rt"]]}` + "\n"; w.Code != 200 || w.Body.String() != want {
		t.Errorf("first announce: %d %q, want the caller listed: %q", w.Code, w.Body, want)
	}
	w = get(srv, "/announce?peer_id=-ECEN426-rinoa&ip=10.35.120.88&port=6977&torrent_id="+tid1, "127.0.0.1:40001")
	want := `{"interval":30,"peers":[["10.35.120.175:6981","-ECEN426-le0nh4rt"],["10.35.120.88:6977","-ECEN426-rinoa"]]}` + "\n"
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("second announce: %d %q, want %q", w.Code, w.Body, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	// A swarm of another torrent is another swarm.
	if r := announceOK(t, srv, "-ECEN426-x", "10.0.0.9", "1", tid2); len(r.Peers) != 1 {
		t.Errorf("other torrent: %v", r.Peers)
	}
}

func TestIntervalIsWholeSeconds(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want time.Duration
		body string
	}{
		{0, 30 * time.Second, `"interval":30,`},
		{1500 * time.Millisecond, 2 * time.Second, `"interval":2,`},
		{time.Millisecond, MinInterval, `"interval":1,`},
		{48 * time.Hour, MaxInterval, `"interval":3600,`},
	} {
		srv := New(Config{Interval: tt.in})
		w := get(srv, announceQuery("-ECEN426-a", "127.0.0.1", "1", tid1), "127.0.0.1:1")
		if srv.Interval() != tt.want || !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("Interval %s: %s, reply %q; want %s", tt.in, srv.Interval(), w.Body, tt.want)
		}
	}
}

// Without ip, the peer is where the request came from.
func TestAnnounceWithoutIPUsesTheSourceAddress(t *testing.T) {
	srv := New(Config{})
	for _, remote := range []string{"127.0.0.7:5555", "[::1]:5555", "[::ffff:127.0.0.8]:5555"} {
		w := get(srv, announceQuery("-ECEN426-"+remote, "", "6881", tid1), remote)
		ap := netip.MustParseAddrPort(remote)
		want := fmt.Sprintf(`[%q,`, netip.AddrPortFrom(ap.Addr().Unmap(), 6881).String())
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("from %s: %q, want %s", remote, w.Body, want)
		}
	}
}

// The spec's own example announces "ECEN426-le0nh4rt": the same peer as
// "-ECEN426-le0nh4rt", listed as it last announced.
func TestPeerIDWithOrWithoutTheDashIsOnePeer(t *testing.T) {
	srv := New(Config{})
	announceOK(t, srv, "ECEN426-le0nh4rt", "10.35.120.175", "6981", tid1)
	r := announceOK(t, srv, "-ECEN426-le0nh4rt", "10.35.120.175", "6982", tid1)
	if len(r.Peers) != 1 || r.Peers[0] != [2]string{"10.35.120.175:6982", "-ECEN426-le0nh4rt"} {
		t.Errorf("peers %v, want the one peer at its new port", r.Peers)
	}
	// A longer NetID is another peer.
	if r := announceOK(t, srv, "-ECEN426-le0nh4rtx", "10.35.120.175", "6983", tid1); len(r.Peers) != 2 {
		t.Errorf("peers %v, want two", r.Peers)
	}
}

// Missing or malformed parameters: 400 with a JSON error that names them.
func TestAnnounceRefusesBadParameters(t *testing.T) {
	ok := map[string]string{"peer_id": "-ECEN426-a", "ip": "10.0.0.1", "port": "6881", "torrent_id": tid1}
	with := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range ok {
			q.Set(kk, vv)
		}
		if v == "<none>" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return "/announce?" + q.Encode()
	}
	tests := []struct{ target, want string }{
		{with("peer_id", "<none>"), "missing peer_id"},
		{with("port", "<none>"), "missing port"},
		{with("torrent_id", "<none>"), "missing torrent_id"},
		{with("peer_id", ""), "missing peer_id"},
		{with("port", "0"), `malformed port "0": want 1 to 65535`},
		{with("port", "65536"), `malformed port "65536"`},
		{with("port", "-1"), `malformed port "-1"`},
		{with("port", "+80"), `malformed port "+80"`},
		{with("port", "80x"), `malformed port "80x"`},
		{with("torrent_id", tid1[:39]), "malformed torrent_id"},
		{with("torrent_id", tid1+"0"), "malformed torrent_id"},
		{with("torrent_id", "z"+tid1[1:]), "malformed torrent_id"},
		{with("ip", "localhost"), `malformed ip "localhost": want an IPv4 or IPv6 address`},
		{with("ip", "10.0.0"), "malformed ip"},
		{with("ip", "fe80::1%eth0"), "malformed ip"},
		{with("peer_id", strings.Repeat("a", MaxPeerIDLen+1)), "peer_id too long: 65 bytes, at most 64"},
		{with("peer_id", "-ECEN426-\x1b[31m"), `malformed peer_id "-ECEN426-\x1b[31m"`},
		{with("peer_id", "-ECEN426- a"), "malformed peer_id"},
		{"/announce?peer_id=%zz&port=1", "malformed query string"},
		{"/announce?peer_id=a&port=1&torrent_id=" + tid1 + "&pad=" + strings.Repeat("x", MaxQueryLen), "query string too long"},
		{"/announce", "missing peer_id"},
	}
	for _, tt := range tests {
		w := get(New(Config{}), tt.target, "127.0.0.1:1")
		var body struct{ Error string }
		err := json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusBadRequest || err != nil || !strings.HasPrefix(body.Error, tt.want) || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q; want 400 and a JSON error starting %q", tt.target, w.Code, w.Body, tt.want)
		}
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	srv := New(Config{})
	if w := get(srv, "/favicon.ico", "127.0.0.1:1"); w.Code != 404 || !strings.HasPrefix(w.Body.String(), `{"error":"not found`) {
		t.Errorf("404: %d %q", w.Code, w.Body)
	}
	req := httptest.NewRequest(http.MethodPost, announceQuery("-ECEN426-a", "10.0.0.1", "1", tid1), nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || !strings.HasPrefix(w.Body.String(), `{"error":"method POST`) {
		t.Errorf("POST: %d %q", w.Code, w.Body)
	}
	if len(srv.Swarms()) != 0 {
		t.Error("a POST announced")
	}
}

// A peer expires two intervals after its last announce, not before; an
// empty swarm goes with its last peer.
func TestPeersExpireAfterTwoIntervals(t *testing.T) {
	clock := newFakeClock()
	srv := New(Config{Interval: 10 * time.Second, Now: clock.Now})
	announceOK(t, srv, "-ECEN426-a", "10.0.0.1", "1", tid1)
	clock.Advance(15 * time.Second)
	announceOK(t, srv, "-ECEN426-b", "10.0.0.2", "1", tid1)
	clock.Advance(5 * time.Second) // a: 20s, exactly two intervals
	if r := announceOK(t, srv, "-ECEN426-b", "10.0.0.2", "1", tid1); len(r.Peers) != 2 {
		t.Fatalf("at two intervals: %v, want a still there", r.Peers)
	}
	clock.Advance(time.Nanosecond)
	if r := announceOK(t, srv, "-ECEN426-b", "10.0.0.2", "1", tid1); len(r.Peers) != 1 || r.Peers[0][1] != "-ECEN426-b" {
		t.Fatalf("past two intervals: %v, want b alone", r.Peers)
	}
	// Re-announcing keeps a peer: b announces every 19s for a while.
	for range 5 {
		clock.Advance(19 * time.Second)
		announceOK(t, srv, "-ECEN426-b", "10.0.0.2", "1", tid1)
	}
	// A swarm nobody announces to still expires, on the status page too.
	clock.Advance(20*time.Second + 1)
	if sw := srv.Swarms(); len(sw) != 0 {
		t.Errorf("swarms %+v, want none", sw)
	}
	if w := get(srv, "/", "127.0.0.1:1"); !strings.Contains(w.Body.String(), "0 torrents, 0 peers") {
		t.Errorf("status page:\n%s", w.Body)
	}
	// Back after expiring: joined anew.
	var events []ServerEvent
	srv.onEvent = func(e ServerEvent) { events = append(events, e) }
	announceOK(t, srv, "-ECEN426-b", "10.0.0.2", "1", tid1)
	if len(events) != 1 || !events[0].Joined {
		t.Errorf("events %+v, want b joined", events)
	}
}

// The status page lists every swarm and its peers with their ages.
func TestStatusPage(t *testing.T) {
	clock := newFakeClock()
	srv := New(Config{Now: clock.Now})
	announceOK(t, srv, "-ECEN426-le0nh4rt", "10.35.120.175", "6981", tid1)
	clock.Advance(40 * time.Second)
	announceOK(t, srv, "-ECEN426-rinoa", "10.35.120.88", "6977", tid2)
	clock.Advance(12 * time.Second)
	announceOK(t, srv, "-ECEN426-le0nh4rt", "10.35.120.175", "6981", tid1)
	clock.Advance(15 * time.Second)
	w := get(srv, "/", "127.0.0.1:1")
	want := `bitclone tracker: 2 torrents, 2 peers; interval 30s, a peer expires 1m0s after its last announce

nibble 0938307ef77f5c8466f97dec40ccae523557257a: 1 peer
  10.35.120.88:6977      -ECEN426-rinoa           joined 27s ago, last announce 27s ago

nibble 84e199cad6b953eee0c9b6d8b72612ddb2488999: 1 peer
  10.35.120.175:6981     -ECEN426-le0nh4rt        joined 1m07s ago, last announce 15s ago
`
	if w.Code != 200 || w.Body.String() != want || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("status page: %d\n%s\nwant\n%s", w.Code, w.Body, want)
	}
}

// A peer re-announcing in a tight loop costs no more with a full swarm than
// with one peer (the reply is cached until the swarm changes), and is
// reported once a second with the count in between.
func TestTightLoopIsCheap(t *testing.T) {
	clock := newFakeClock()
	var events []ServerEvent
	srv := New(Config{Now: clock.Now, OnEvent: func(e ServerEvent) { events = append(events, e) }})
	target := announceQuery("-ECEN426-loop", "10.0.0.1", "1", tid1)
	loop := func() { get(srv, target, "127.0.0.1:1") }
	loop()
	alone := testing.AllocsPerRun(100, loop)
	for i := range MaxPeersPerTorrent - 1 {
		announceOK(t, srv, fmt.Sprintf("-ECEN426-p%d", i), "10.0.1.1", fmt.Sprint(i+1), tid1)
	}
	loop()
	crowded := testing.AllocsPerRun(100, loop)
	// Encoding 512 peers would allocate hundreds of times; the slack is
	// for strconv (a short Content-Length is a cached string, a long one
	// is not).
	if crowded > alone+2 {
		t.Errorf("a re-announce allocates %.0f times in a full swarm, %.0f alone: the reply is encoded each time", crowded, alone)
	}

	events = nil
	clock.Advance(time.Second)
	for range 1000 {
		loop()
	}
	clock.Advance(time.Second)
	loop()
	if len(events) != 2 || events[1].Repeats != 999 {
		t.Errorf("events %+v; want 2, the second with 999 repeats", events)
	}
	if s := events[1].String(); !strings.Contains(s, "(+999 announces since the last line)") {
		t.Errorf("event line %q", s)
	}
}

// A change of address is a change of the swarm: the cached reply goes.
func TestReplyFollowsAnAddressChange(t *testing.T) {
	srv := New(Config{})
	announceOK(t, srv, "-ECEN426-a", "10.0.0.1", "1", tid1)
	if r := announceOK(t, srv, "-ECEN426-a", "10.0.0.1", "2", tid1); r.Peers[0][0] != "10.0.0.1:2" {
		t.Errorf("peers %v, want the new port", r.Peers)
	}
}

// Refusals are reported, ten a second at most, the rest counted.
func TestRefusalReportsAreCapped(t *testing.T) {
	clock := newFakeClock()
	var events []ServerEvent
	srv := New(Config{Now: clock.Now, OnEvent: func(e ServerEvent) { events = append(events, e) }})
	for range 100 {
		get(srv, "/announce?peer_id=x", "127.0.0.1:9")
	}
	clock.Advance(time.Second)
	get(srv, "/announce?peer_id=x", "127.0.0.1:9")
	if len(events) != refusalsPerGap+1 || events[refusalsPerGap].Repeats != 90 {
		t.Fatalf("%d events, last %+v; want %d, the last with 90 repeats", len(events), events[len(events)-1], refusalsPerGap+1)
	}
	if s, want := events[0].String(), "refused 127.0.0.1:9 (400): missing port"; s != want {
		t.Errorf("line %q, want %q", s, want)
	}
}

func TestEventLines(t *testing.T) {
	ev := ServerEvent{PeerID: "-ECEN426-a", Addr: netip.MustParseAddrPort("10.0.0.1:6881"), Torrent: tid1, Peers: 3, Joined: true, Status: 200}
	if s, want := ev.String(), `joined "-ECEN426-a" 10.0.0.1:6881 torrent `+tid1+": 3 peers"; s != want {
		t.Errorf("%q, want %q", s, want)
	}
	ev.Joined = false
	if s := ev.String(); !strings.HasPrefix(s, "announce ") {
		t.Errorf("%q", s)
	}
}

// Swarms, peers per swarm and peers in all are capped; a refusal for room
// is a 503 that passes once peers expire.
func TestCaps(t *testing.T) {
	clock := newFakeClock()
	srv := New(Config{Now: clock.Now})
	for i := range MaxPeersPerTorrent {
		announceOK(t, srv, fmt.Sprintf("-ECEN426-p%d", i), "10.0.0.1", fmt.Sprint(i+1), tid1)
	}
	w := get(srv, announceQuery("-ECEN426-late", "10.0.0.2", "1", tid1), "127.0.0.1:1")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "swarm full") {
		t.Errorf("one too many: %d %q", w.Code, w.Body)
	}
	// An old member may still re-announce.
	announceOK(t, srv, "-ECEN426-p0", "10.0.0.1", "1", tid1)
	clock.Advance(time.Minute + 1)
	announceOK(t, srv, "-ECEN426-late", "10.0.0.2", "1", tid1)

	// Torrents: a fresh registry, so the test needs no HTTP.
	reg := newRegistry(time.Minute)
	now := clock.Now()
	f := format{"", -1, func([]*peerEntry, counts) []byte { return nil }}
	key := func(i int) swarmKey { return swarmKey{protoNibble, [20]byte{byte(i), byte(i >> 8)}} }
	for i := range MaxTorrents {
		if _, err := reg.announce(key(i), member{id: "p", addr: netip.MustParseAddrPort("10.0.0.1:1")}, now, f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.announce(key(MaxTorrents), member{id: "p", addr: netip.MustParseAddrPort("10.0.0.1:1")}, now, f); err != errTooManyTorrents {
		t.Errorf("torrent %d: %v", MaxTorrents+1, err)
	}
	if _, err := reg.announce(key(MaxTorrents), member{id: "p", addr: netip.MustParseAddrPort("10.0.0.1:1")}, now.Add(time.Minute+1), f); err != nil {
		t.Errorf("after expiry: %v", err)
	}

	// Peers in all.
	reg = newRegistry(time.Minute)
	for i := range MaxPeers {
		if _, err := reg.announce(key(i/MaxPeersPerTorrent), member{id: fmt.Sprint(i), addr: netip.MustParseAddrPort("10.0.0.1:1")}, now, f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.announce(key(1000), member{id: "x", addr: netip.MustParseAddrPort("10.0.0.1:1")}, now, f); err != errTooManyPeers {
		t.Errorf("peer %d: %v", MaxPeers+1, err)
	}
	if reg.peers != MaxPeers || len(reg.swarms) != MaxPeers/MaxPeersPerTorrent {
		t.Errorf("%d peers in %d swarms", reg.peers, len(reg.swarms))
	}
}

// fullSwarm is a Server whose swarm tid1 holds MaxPeersPerTorrent peers.
func fullSwarm(b *testing.B) *Server {
	srv := New(Config{})
	for i := range MaxPeersPerTorrent {
		if w := get(srv, announceQuery(fmt.Sprintf("-ECEN426-p%d", i), "10.0.1.1", fmt.Sprint(i+1), tid1), "127.0.0.1:1"); w.Code != 200 {
			b.Fatal(w.Body)
		}
	}
	return srv
}

// A member of a full swarm re-announcing, as a peer in a tight loop does.
func BenchmarkReannounceFullSwarm(b *testing.B) {
	srv := fullSwarm(b)
	target := announceQuery("-ECEN426-p0", "10.0.1.1", "1", tid1)
	b.ReportAllocs()
	for b.Loop() {
		get(srv, target, "127.0.0.1:1")
	}
}

// The baseline: the same re-announce when the reply must be encoded each
// time (the cache emptied before every request), as without the cache.
func BenchmarkReannounceFullSwarmUncached(b *testing.B) {
	srv := fullSwarm(b)
	target := announceQuery("-ECEN426-p0", "10.0.1.1", "1", tid1)
	s := srv.reg.swarms[swarmKey{protoNibble, func() (k [20]byte) { copy(k[:], mustHex(tid1)); return }()}]
	b.ReportAllocs()
	for b.Loop() {
		srv.reg.mu.Lock()
		clear(s.replies)
		srv.reg.mu.Unlock()
		get(srv, target, "127.0.0.1:1")
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
