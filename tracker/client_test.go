package tracker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func request(netid string, ip string, port uint16) Request {
	q := Request{PeerID: PeerID(netid), Port: port, TorrentID: tid1}
	if ip != "" {
		q.IP = netip.MustParseAddr(ip)
	}
	return q
}

func TestAnnounceURL(t *testing.T) {
	q := request("le0nh4rt", "10.35.120.175", 6981)
	tests := []struct {
		tracker string
		q       Request
		want    string
	}{
		{"http://lundrigan.byu.edu:6969/announce", q,
			"http://lundrigan.byu.edu:6969/announce?peer_id=-ECEN426-le0nh4rt&ip=10.35.120.175&port=6981&torrent_id=" + tid1},
		// A query string of the tracker's own is kept as it is.
		{"http://127.0.0.1:6969/announce?passkey=a%2Fb&x", q,
			"http://127.0.0.1:6969/announce?passkey=a%2Fb&x&peer_id=-ECEN426-le0nh4rt&ip=10.35.120.175&port=6981&torrent_id=" + tid1},
		{"http://127.0.0.1:6969/announce?", q,
			"http://127.0.0.1:6969/announce?peer_id=-ECEN426-le0nh4rt&ip=10.35.120.175&port=6981&torrent_id=" + tid1},
		{"https://127.0.0.1/a?k=v&#frag", q,
			"https://127.0.0.1/a?k=v&peer_id=-ECEN426-le0nh4rt&ip=10.35.120.175&port=6981&torrent_id=" + tid1},
		// Escaped; no ip without an address; IPv6 plain.
		{"http://127.0.0.1/announce", request("a&b=c d", "", 1),
			"http://127.0.0.1/announce?peer_id=-ECEN426-a%26b%3Dc+d&port=1&torrent_id=" + tid1},
		{"http://[::1]:6969/announce", request("x", "::1", 2),
			"http://[::1]:6969/announce?peer_id=-ECEN426-x&ip=%3A%3A1&port=2&torrent_id=" + tid1},
	}
	for _, tt := range tests {
		got, err := AnnounceURL(tt.tracker, tt.q)
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v\nwant %q", tt.tracker, got, err, tt.want)
		}
	}
	bad := []struct {
		tracker string
		q       Request
		want    string
	}{
		{"ftp://127.0.0.1/announce", q, "want http://"},
		{"127.0.0.1:6969/announce", q, "tracker URL"},
		{"http:///announce", q, "want http://"},
		{"http://127.0.0.1/", Request{Port: 1, TorrentID: tid1}, "no peer_id"},
		{"http://127.0.0.1/", Request{PeerID: "a", TorrentID: tid1}, "port 0"},
		{"http://127.0.0.1/", Request{PeerID: "a", Port: 1, TorrentID: tid1[1:]}, "torrent_id"},
		{"http://127.0.0.1/", Request{PeerID: "a", Port: 1, TorrentID: "g" + tid1[1:]}, "torrent_id"},
	}
	for _, tt := range bad {
		if got, err := AnnounceURL(tt.tracker, tt.q); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v: %q, %v; want an error with %q", tt.tracker, tt.q, got, err, tt.want)
		}
	}
}

func peer(addr, id string) Peer { return Peer{netip.MustParseAddrPort(addr), id} }

func TestParseResponse(t *testing.T) {
	good := []struct {
		body string
		want Response
	}{
		{`{"interval": 30, "peers": [["10.35.120.175:6981", "-ECEN426-le0nh4rt"], ["10.35.120.88:6977", "-ECEN426-rinoa"]]}`,
			Response{Interval: 30 * time.Second, Peers: []Peer{peer("10.35.120.175:6981", "-ECEN426-le0nh4rt"), peer("10.35.120.88:6977", "-ECEN426-rinoa")}, Skipped: 0}},
		// A float interval, extra fields and elements, IPv6, mapped IPv4.
		{`{"interval": 12.5, "min interval": 5, "peers": [["[::1]:1", "a", "extra"], ["[::ffff:127.0.0.1]:2", "b"]], "complete": 3}`,
			Response{Interval: 12500 * time.Millisecond, Peers: []Peer{peer("[::1]:1", "a"), peer("127.0.0.1:2", "b")}, Skipped: 0}},
		// Entries that are not peers are skipped and counted; duplicates dropped.
		{`{"interval": 30, "peers": [["127.0.0.1:1", "a"], ["127.0.0.1:1", "a"], "127.0.0.1:2", ["127.0.0.1:3"], [1, "c"],
			["localhost:4", "d"], ["127.0.0.1:0", "e"], ["127.0.0.1:70000", "f"], ["127.0.0.1:5", 5], ["127.0.0.1:6", "` + strings.Repeat("x", MaxPeerIDLen+1) + `"], {"ip": "127.0.0.1"}, null]}`,
			Response{Interval: 30 * time.Second, Peers: []Peer{peer("127.0.0.1:1", "a")}, Skipped: 10}},
		// No interval: 0, the caller's default.
		{`{"peers": []}`, Response{Interval: 0, Peers: nil, Skipped: 0}},
		{`{"interval": null, "peers": []}`, Response{Interval: 0, Peers: nil, Skipped: 0}},
	}
	for _, tt := range good {
		got, err := ParseResponse([]byte(tt.body))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n%+v, %v\nwant %+v", tt.body, got, err, tt.want)
		}
	}
	bad := []struct{ body, want string }{
		{``, "not a JSON object"},
		{`<html>502 Bad Gateway</html>`, "not a JSON object: invalid character '<' looking for beginning of value at byte 1"},
		{`[["127.0.0.1:1", "a"]]`, "not a JSON object: a JSON array, not an object"},
		{`{"interval": "30", "peers": []}`, `interval "\"30\"" is not a number`},
		{`{"interval": 0, "peers": []}`, "interval 0 is not a positive number"},
		{`{"interval": -5, "peers": []}`, "interval -5 is not a positive number"},
		{`{"interval": 30}`, `no "peers" list`},
		{`{"interval": 30, "peers": {"a": 1}}`, `"peers" is not a list`},
		{`{"interval": 30, "peers": "127.0.0.1:1"}`, `"peers" is not a list`},
		{`{"error": "unknown torrent \u001b[2J"}`, `tracker says: unknown torrent \x1b[2J`},
		{`{"interval": 30, "peers": []} trailing`, "not a JSON object"},
	}
	for _, tt := range bad {
		if got, err := ParseResponse([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %+v, %v; want an error with %q", tt.body, got, err, tt.want)
		}
	}
	// A huge interval is kept finite (Announcer clamps it).
	if r, err := ParseResponse([]byte(`{"interval": 1e300, "peers": []}`)); err != nil || r.Interval <= MaxInterval {
		t.Errorf("1e300: %v, %v", r.Interval, err)
	}
}

// Our own entry is left out, by exact peer_id (a leading dash aside) and by
// the ip:port we announced; a NetID that merely contains ours is another peer.
func TestAnnounceSkipsOurOwnEntry(t *testing.T) {
	reply := `{"interval": 30, "peers": [
		["127.0.0.1:7000", "-ECEN426-me"],
		["127.0.0.1:7001", "ECEN426-me"],
		["127.0.0.1:7002", "-ECEN426-meme"],
		["127.0.0.1:7003", "-ECEN426-m"],
		["127.0.0.1:6881", "-ECEN426-mine-now"],
		["127.0.0.2:6881", "-ECEN426-other"],
		["127.0.0.1:6882", "-ECEN426-next-door"]]}`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, reply) }))
	defer ts.Close()
	r, err := Announce(context.Background(), ts.Client(), ts.URL+"/announce", request("me", "127.0.0.1", 6881))
	want := []Peer{peer("127.0.0.1:7002", "-ECEN426-meme"), peer("127.0.0.1:7003", "-ECEN426-m"),
		peer("127.0.0.2:6881", "-ECEN426-other"), peer("127.0.0.1:6882", "-ECEN426-next-door")}
	if err != nil || !reflect.DeepEqual(r.Peers, want) {
		t.Errorf("%+v, %v\nwant %+v", r.Peers, err, want)
	}
}

// Our client against our server, on loopback: each peer learns the other.
func TestClientAgainstServerOnLoopback(t *testing.T) {
	srv := New(Config{Interval: 7 * time.Second})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	a, b := request("alice", "127.0.0.1", 7001), request("bob", "127.0.0.1", 7002)
	ctx := context.Background()
	if r, err := Announce(ctx, ts.Client(), ts.URL+"/announce", a); err != nil || len(r.Peers) != 0 || r.Interval != 7*time.Second {
		t.Fatalf("alice alone: %+v, %v", r, err)
	}
	r, err := Announce(ctx, ts.Client(), ts.URL+"/announce", b)
	if err != nil || !reflect.DeepEqual(r.Peers, []Peer{peer("127.0.0.1:7001", "-ECEN426-alice")}) {
		t.Fatalf("bob: %+v, %v", r, err)
	}
	r, err = Announce(ctx, ts.Client(), ts.URL+"/announce", a)
	if err != nil || !reflect.DeepEqual(r.Peers, []Peer{peer("127.0.0.1:7002", "-ECEN426-bob")}) {
		t.Fatalf("alice again: %+v, %v", r, err)
	}
	// Without an ip, the server takes the source address: loopback here.
	c := request("carol", "", 7003)
	if _, err := Announce(ctx, ts.Client(), ts.URL+"/announce", c); err != nil {
		t.Fatal(err)
	}
	sw := srv.Swarms()
	if len(sw) != 1 || len(sw[0].Peers) != 3 || sw[0].Peers[2].Addr != netip.MustParseAddrPort("127.0.0.1:7003") {
		t.Errorf("swarms %+v", sw)
	}
	// The server's refusal comes back with its text.
	_, err = Announce(ctx, ts.Client(), ts.URL+"/nowhere", a)
	var se *StatusError
	if !errors.As(err, &se) || err.Error() != "404 Not Found: not found: the tracker answers /announce, and shows its swarms at /" {
		t.Errorf("404: %v", err)
	}
}

// Garbage answers are errors that say what was wrong, never a crash or an
// unbounded read.
func TestAnnounceGarbage(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"not JSON", 200, "hello", "not a JSON object"},
		{"endless", 200, "<endless>", "reply longer than 256 KiB"},
		{"wrong types", 200, `{"interval": [30], "peers": []}`, "interval"},
		{"500", 500, "oops", "500 Internal Server Error"},
		{"500 with a JSON error", 500, `{"error": "database on fire"}`, "500 Internal Server Error: database on fire"},
		{"400 with an escape", 400, "{\"error\": \"bad \\u001b[31m\"}", `400 Bad Request: bad \x1b[31m`},
	}
	for _, tt := range tests {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			if tt.body != "<endless>" {
				fmt.Fprint(w, tt.body)
				return
			}
			// A valid start, then a list that never ends: the client
			// must stop reading, and so end this handler.
			fmt.Fprint(w, `{"interval": 30, "peers": [`)
			for {
				if _, err := fmt.Fprint(w, `["127.0.0.1:1", "a"],`); err != nil {
					return
				}
			}
		}))
		_, err := Announce(context.Background(), ts.Client(), ts.URL, request("me", "127.0.0.1", 1))
		ts.Close()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// A tracker that is down: the cause, briefly.
func TestAnnounceConnectionRefused(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	_, err := Announce(context.Background(), nil, url, request("me", "127.0.0.1", 1))
	if err == nil || err.Error() != "connection refused" {
		t.Errorf("%v, want connection refused", err)
	}
}
