package tracker

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/bencode"
)

const (
	// ih1 is the info_hash the literal URLs below carry.
	ih1 = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
	// libtorrentURL is an announce as libtorrent 2 writes it: lower-case
	// escapes, unreserved bytes left as they are, its extra parameters.
	libtorrentURL = "/announce?info_hash=%c1%2f%e1%c0k%ba%25J%9d%c9%f5%19%b35%aa%7c%13g%a8%8a" +
		"&peer_id=-lt20B0-%a1%b2%c3%d4%e5%f6%07%18%29%3aK%5c&port=6881&uploaded=0&downloaded=0&left=0" +
		"&corrupt=0&key=4f2a1b3c&event=started&numwant=200&compact=1&no_peer_id=1&supportcrypto=1&redundant=0"
	// anacrolixURL is an announce as anacrolix/torrent v1.59.1 writes it
	// (tracker/http/http.go): Go's url.Values, so keys sorted and
	// info_hash in the middle; ip beside ipv4; no numwant; left unknown is
	// MaxInt64.
	anacrolixURL = "/announce?compact=1&downloaded=0&event=started" +
		"&info_hash=%C1%2F%E1%C0k%BA%25J%9D%C9%F5%19%B35%AA%7C%13g%A8%8A&ip=127.0.0.2&ipv4=127.0.0.2&key=1234567" +
		"&left=9223372036854775807&peer_id=-GT0003-%00%FF%00%FF%00%FF%00%FF%00%FF%00%FF&port=42069&supportcrypto=1&uploaded=0"
	libtorrentID = "-lt20B0-\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18\x29\x3aK\x5c"
	anacrolixID  = "-GT0003-\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff"
)

// btGet announces target from remote and decodes the bencoded 200 reply.
func btGet(t *testing.T, srv http.Handler, target, remote string) bencode.Value {
	t.Helper()
	w := get(srv, target, remote)
	if w.Code != http.StatusOK {
		t.Fatalf("%s: status %d %q", target, w.Code, w.Body)
	}
	v, err := bencode.Decode(w.Body.Bytes())
	if err != nil || v.Kind != bencode.KindDict {
		t.Fatalf("%s: %q is not a bencoded dictionary: %v", target, w.Body, err)
	}
	return v
}

func field(t *testing.T, v bencode.Value, key string) bencode.Value {
	t.Helper()
	f, ok := v.Get(key)
	if !ok {
		t.Fatalf("no %q in %+v", key, v)
	}
	return f
}

// btQuery is a BitTorrent announce with info_hash and peer_id raw, and the
// other parameters as given ("" leaves one out).
func btQuery(infoHash, peerID string, params ...string) string {
	v := url.Values{"info_hash": {infoHash}, "peer_id": {peerID}}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] != "" {
			v.Set(params[i], params[i+1])
		}
	}
	return "/announce?" + v.Encode()
}

func rawHash(hexHash string) string { return string(mustHex(hexHash)) }

// btPeerID is a 20-byte peer_id for a test peer n.
func btPeerID(n int) string { return fmt.Sprintf("-BC0001-%012d", n) }

// Real clients' query strings, written out: both join one swarm, the
// compact reply lists both (the announcer too, as trackers do), counts
// seeders from left, and the swarm page names the info_hash in hex.
func TestBTAnnounceFromRealClientsQueryStrings(t *testing.T) {
	srv := New(Config{Interval: 30 * time.Minute})
	var events []ServerEvent
	srv.onEvent = func(e ServerEvent) { events = append(events, e) }
	v := btGet(t, srv, libtorrentURL, "127.0.0.1:50000")
	if got := field(t, v, "peers").Str; string(got) != "\x7f\x00\x00\x01\x1a\xe1" {
		t.Errorf("libtorrent alone: peers %x, want itself, 127.0.0.1:6881", got)
	}
	v = btGet(t, srv, anacrolixURL, "127.0.0.2:50001")
	want := "\x7f\x00\x00\x01\x1a\xe1" + "\x7f\x00\x00\x02\xa4\x55"
	if got := field(t, v, "peers").Str; string(got) != want {
		t.Errorf("peers %x, want %x", got, want)
	}
	if iv, c, i := field(t, v, "interval").Int, field(t, v, "complete").Int, field(t, v, "incomplete").Int; iv != 1800 || c != 1 || i != 1 {
		t.Errorf("interval %d, complete %d, incomplete %d; want 1800, 1, 1", iv, c, i)
	}
	if _, ok := v.Get("peers6"); ok {
		t.Error("peers6 without an IPv6 peer")
	}
	sw := srv.Swarms()
	if len(sw) != 1 || sw[0].Protocol != "bittorrent" || sw[0].ID != ih1 || len(sw[0].Peers) != 2 ||
		sw[0].Peers[0].ID != libtorrentID || sw[0].Peers[1].ID != anacrolixID || !sw[0].Peers[0].Seeder || sw[0].Peers[1].Seeder {
		t.Errorf("swarms %+v", sw)
	}
	page := get(srv, "/", "127.0.0.1:1").Body.String()
	if !strings.Contains(page, "bittorrent "+ih1+": 2 peers") || !strings.Contains(page, `-lt20B0-\xa1\xb2`) || !strings.Contains(page, ", seeding\n") {
		t.Errorf("status page:\n%s", page)
	}
	if len(events) != 2 || events[1].String() != `joined "-GT0003-\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff" 127.0.0.2:42069 info_hash `+ih1+": 2 peers" {
		t.Errorf("events %q", events)
	}
}

// compact=0 (or none) is the dictionary list, peer id included unless
// no_peer_id=1; each format is cached apart.
func TestBTDictionaryReply(t *testing.T) {
	srv := New(Config{})
	btGet(t, srv, btQuery(rawHash(ih1), anacrolixID, "port", "7000", "left", "5", "ip", "10.0.0.1"), "127.0.0.1:1")
	v := btGet(t, srv, btQuery(rawHash(ih1), btPeerID(2), "port", "7001", "left", "0", "compact", "0"), "127.0.0.1:2")
	want := bencode.List(
		bencode.Dict(bencode.Entry{Key: "ip", Value: bencode.String("10.0.0.1")}, bencode.Entry{Key: "peer id", Value: bencode.String(anacrolixID)}, bencode.Entry{Key: "port", Value: bencode.Int(7000)}),
		bencode.Dict(bencode.Entry{Key: "ip", Value: bencode.String("127.0.0.1")}, bencode.Entry{Key: "peer id", Value: bencode.String(btPeerID(2))}, bencode.Entry{Key: "port", Value: bencode.Int(7001)}),
	)
	if got := field(t, v, "peers"); !got.Equal(want) {
		t.Errorf("peers %s", got.Raw)
	}
	v = btGet(t, srv, btQuery(rawHash(ih1), btPeerID(2), "port", "7001", "left", "0", "no_peer_id", "1"), "127.0.0.1:2")
	if got := field(t, v, "peers"); len(got.List) != 2 || strings.Contains(string(got.Raw), "peer id") {
		t.Errorf("no_peer_id: peers %s", got.Raw)
	}
	v = btGet(t, srv, btQuery(rawHash(ih1), btPeerID(2), "port", "7001", "left", "0", "compact", "1"), "127.0.0.1:2")
	if got := field(t, v, "peers"); got.Kind != bencode.KindString || len(got.Str) != 12 {
		t.Errorf("compact after dict: peers %q", got.Raw)
	}
}

// An IPv6 peer goes in peers6 (18 bytes) when compact, and as a plain
// address in the dictionary list.
func TestBTIPv6Peer(t *testing.T) {
	srv := New(Config{})
	btGet(t, srv, btQuery(rawHash(ih1), btPeerID(1), "port", "6881", "compact", "1"), "[::1]:40000")
	v := btGet(t, srv, btQuery(rawHash(ih1), btPeerID(2), "port", "6882", "compact", "1"), "127.0.0.1:40000")
	if got := field(t, v, "peers6").Str; string(got) != strings.Repeat("\x00", 15)+"\x01\x1a\xe1" {
		t.Errorf("peers6 %x", got)
	}
	if got := field(t, v, "peers").Str; string(got) != "\x7f\x00\x00\x01\x1a\xe2" {
		t.Errorf("peers %x", got)
	}
	v = btGet(t, srv, btQuery(rawHash(ih1), btPeerID(2), "port", "6882"), "127.0.0.1:40000")
	if ip := field(t, field(t, v, "peers").List[0], "ip").Str; string(ip) != "::1" {
		t.Errorf("dictionary ip %q", ip)
	}
}

// event=stopped takes the peer out at once; the reply lists nobody.
func TestBTStoppedLeaves(t *testing.T) {
	srv := New(Config{})
	var events []ServerEvent
	srv.onEvent = func(e ServerEvent) { events = append(events, e) }
	a := func(n int, event string) bencode.Value {
		return btGet(t, srv, btQuery(rawHash(ih1), btPeerID(n), "port", fmt.Sprint(7000+n), "left", "1", "compact", "1", "event", event), "127.0.0.1:1")
	}
	a(1, "started")
	a(2, "started")
	v := a(1, "stopped")
	if p, n := field(t, v, "peers").Str, field(t, v, "incomplete").Int; len(p) != 0 || n != 1 {
		t.Errorf("stopped: peers %x, incomplete %d; want none and 1", p, n)
	}
	if sw := srv.Swarms(); len(sw) != 1 || len(sw[0].Peers) != 1 || sw[0].Peers[0].ID != btPeerID(2) {
		t.Errorf("swarms %+v, want peer 2 alone", sw)
	}
	if got := field(t, a(2, ""), "peers").Str; len(got) != 6 {
		t.Errorf("peer 2 sees %x, want itself only", got)
	}
	if s := events[2].String(); s != `left "-BC0001-000000000001" 127.0.0.1:7001 info_hash `+ih1+": 1 peer" {
		t.Errorf("line %q", s)
	}
	a(2, "stopped")
	a(2, "stopped") // twice, or unknown: still an answer
	if sw := srv.Swarms(); len(sw) != 0 {
		t.Errorf("swarms %+v, want none", sw)
	}
}

// Bad announces are a 200 with a bencoded failure reason naming the
// parameter: BitTorrent clients show the reason only from a 200.
func TestBTRefusals(t *testing.T) {
	ok := []string{"port", "6881", "left", "0"}
	tests := []struct{ target, want string }{
		{btQuery(ih1, btPeerID(1), ok...), "malformed info_hash: 40 bytes, want 20 raw bytes, percent-encoded"},
		{btQuery(rawHash(ih1)[:19], btPeerID(1), ok...), "malformed info_hash: 19 bytes"},
		{btQuery(rawHash(ih1), "-BC0001-short", ok...), "malformed peer_id: 13 bytes, want 20"},
		{btQuery(rawHash(ih1), btPeerID(1), "left", "0"), "missing port"},
		{btQuery(rawHash(ih1), btPeerID(1), "port", "0"), `malformed port "0"`},
		{btQuery(rawHash(ih1), btPeerID(1), "port", "1", "left", "-1"), `malformed left "-1": want a number of bytes`},
		{btQuery(rawHash(ih1), btPeerID(1), "port", "1", "uploaded", "lots"), `malformed uploaded "lots"`},
		{btQuery(rawHash(ih1), btPeerID(1), "port", "1", "ip", "example.org"), `malformed ip "example.org"`},
		{"/announce?info_hash=&peer_id=x&port=1", "missing info_hash"},
		{"/announce?info_hash=%zz", "malformed query string"},
		{"/announce?port=1&info_hash=" + strings.Repeat("%41", MaxQueryLen), "query string too long"},
	}
	for _, tt := range tests {
		srv := New(Config{})
		var events []ServerEvent
		srv.onEvent = func(e ServerEvent) { events = append(events, e) }
		v := btGet(t, srv, tt.target, "127.0.0.1:1")
		if r, ok := v.Get("failure reason"); !ok || !strings.HasPrefix(string(r.Str), tt.want) {
			t.Errorf("%s: %q, want a failure reason starting %q", tt.target, v.Raw, tt.want)
		}
		if len(srv.Swarms()) != 0 || len(events) != 1 || !strings.Contains(events[0].String(), tt.want) {
			t.Errorf("%s: swarms %v, events %v", tt.target, srv.Swarms(), events)
		}
	}
}

// numwant is clamped to MaxNumWant (DefaultNumWant without it), and
// successive short replies walk the whole swarm.
func TestBTNumWant(t *testing.T) {
	srv := New(Config{})
	const size = 300
	for i := range size {
		btGet(t, srv, btQuery(rawHash(ih1), btPeerID(i), "port", fmt.Sprint(1000+i), "numwant", "0"), "127.0.0.1:1")
	}
	count := func(numwant string) int {
		v := btGet(t, srv, btQuery(rawHash(ih1), btPeerID(0), "port", "1000", "compact", "1", "numwant", numwant), "127.0.0.1:1")
		return len(field(t, v, "peers").Str) / compactPeerLen
	}
	for _, tt := range []struct {
		numwant string
		want    int
	}{{"", DefaultNumWant}, {"99999999999999999999999", DefaultNumWant}, {"1000000", MaxNumWant}, {"-5", 0}, {"0", 0}, {"7", 7}} {
		if got := count(tt.numwant); got != tt.want {
			t.Errorf("numwant %q: %d peers, want %d", tt.numwant, got, tt.want)
		}
	}
	seen := map[string]bool{}
	for range 2 {
		v := btGet(t, srv, btQuery(rawHash(ih1), btPeerID(0), "port", "1000", "numwant", "200"), "127.0.0.1:1")
		for _, p := range field(t, v, "peers").List {
			seen[string(field(t, p, "peer id").Str)] = true
		}
	}
	if len(seen) != size {
		t.Errorf("two replies of 200 listed %d distinct peers of %d", len(seen), size)
	}
}

// A BitTorrent swarm and a NibbleTorrent swarm with the same 20-byte id
// are two swarms; a BitTorrent peer expires after two intervals too.
func TestBTSwarmsApartAndExpiring(t *testing.T) {
	clock := newFakeClock()
	srv := New(Config{Interval: 10 * time.Second, Now: clock.Now})
	announceOK(t, srv, "-ECEN426-a", "10.0.0.1", "1", ih1)
	v := btGet(t, srv, btQuery(rawHash(ih1), btPeerID(1), "port", "2", "compact", "1"), "127.0.0.1:1")
	if n := len(field(t, v, "peers").Str); n != 6 {
		t.Errorf("BitTorrent reply of %d bytes, want the announcer alone", n)
	}
	if sw := srv.Swarms(); len(sw) != 2 || sw[0].Protocol != "bittorrent" || sw[1].Protocol != "nibble" {
		t.Errorf("swarms %+v", sw)
	}
	clock.Advance(20*time.Second + 1)
	announceOK(t, srv, "-ECEN426-a", "10.0.0.1", "1", ih1)
	if sw := srv.Swarms(); len(sw) != 1 || sw[0].Protocol != "nibble" {
		t.Errorf("after two intervals: swarms %+v", sw)
	}
}

// The reply is cached as NibbleTorrent's is: a re-announce into a full
// swarm with numwant covering it allocates no more than alone.
func TestBTReannounceIsCached(t *testing.T) {
	srv := New(Config{})
	target := btQuery(rawHash(ih1), btPeerID(0), "port", "1", "compact", "1", "numwant", "1000")
	loop := func() { get(srv, target, "127.0.0.1:1") }
	loop()
	alone := testing.AllocsPerRun(50, loop)
	for i := 1; i < MaxNumWant; i++ {
		btGet(t, srv, btQuery(rawHash(ih1), btPeerID(i), "port", fmt.Sprint(i+1), "numwant", "0"), "127.0.0.1:1")
	}
	loop()
	if crowded := testing.AllocsPerRun(50, loop); crowded > alone+2 {
		t.Errorf("a re-announce allocates %.0f times in a swarm of %d, %.0f alone", crowded, MaxNumWant, alone)
	}
	if sw := srv.Swarms(); len(sw[0].Peers) != MaxNumWant || !reflect.DeepEqual(sw[0].Peers[1].Addr, netip.MustParseAddrPort("127.0.0.1:2")) {
		t.Errorf("swarm %+v", sw[0].Peers[:2])
	}
}
