package tracker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func hash20(hexHash string) (h [HashLen]byte) {
	copy(h[:], mustHex(hexHash))
	return h
}

func id20(s string) (id [HashLen]byte) {
	copy(id[:], s)
	return id
}

func btReq(peerID string, ip string, port uint16) BTRequest {
	q := BTRequest{InfoHash: hash20(ih1), PeerID: id20(peerID), Port: port, Left: 100}
	if ip != "" {
		q.IP = netip.MustParseAddr(ip)
	}
	return q
}

func TestBTAnnounceURL(t *testing.T) {
	q := btReq(anacrolixID, "127.0.0.1", 6881)
	q.Uploaded, q.Downloaded, q.Left, q.Event = 1, 2, 3, EventStarted
	got, err := BTAnnounceURL("http://127.0.0.1:6969/announce?passkey=x", q)
	want := "http://127.0.0.1:6969/announce?passkey=x&info_hash=%C1%2F%E1%C0k%BA%25J%9D%C9%F5%19%B35%AA%7C%13g%A8%8A" +
		"&peer_id=-GT0003-%00%FF%00%FF%00%FF%00%FF%00%FF%00%FF&port=6881&uploaded=1&downloaded=2&left=3&compact=1&event=started&ip=127.0.0.1"
	if err != nil || got != want {
		t.Errorf("%q, %v\nwant %q", got, err, want)
	}
	// Our own server reads it back as sent.
	srv := New(Config{})
	v := btGet(t, srv, strings.TrimPrefix(got, "http://127.0.0.1:6969"), "127.0.0.1:1")
	if sw := srv.Swarms(); len(sw) != 1 || sw[0].ID != ih1 || sw[0].Peers[0].ID != anacrolixID || len(field(t, v, "peers").Str) != 6 {
		t.Errorf("swarms %+v, reply %q", sw, v.Raw)
	}
	for _, bad := range []BTRequest{{Port: 0}, {Port: 1, Left: -1}, {Port: 1, Event: "paused"}} {
		if _, err := BTAnnounceURL("http://127.0.0.1/announce", bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := BTAnnounceURL("udp://tracker.example:80", q); err == nil || !strings.Contains(err.Error(), "want http://") {
		t.Errorf("udp tracker: %v", err)
	}
}

func TestNewBTPeerID(t *testing.T) {
	a, b := NewBTPeerID(), NewBTPeerID()
	if !strings.HasPrefix(string(a[:]), "-BC0001-") || a == b || strings.ContainsRune(string(a[:]), 0) {
		t.Errorf("%q %q", a, b)
	}
}

func TestParseBTResponse(t *testing.T) {
	good := []struct {
		name, body string
		want       Response
	}{
		{"compact", "d8:completei2e10:incompletei1e8:intervali1800e12:min intervali60e5:peers12:\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe2e",
			Response{Interval: 30 * time.Minute, MinInterval: time.Minute, Complete: 2, Incomplete: 1,
				Peers: []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:6881")}, {Addr: netip.MustParseAddrPort("127.0.0.2:6882")}}}},
		{"compact with peers6", "d8:intervali30e5:peers0:6:peers618:" + strings.Repeat("\x00", 15) + "\x01\x1a\xe1e",
			Response{Interval: 30 * time.Second, Peers: []Peer{{Addr: netip.MustParseAddrPort("[::1]:6881")}}}},
		{"dictionary, keys out of order, bad entries skipped",
			"d5:peersld2:ip9:127.0.0.17:peer id20:" + anacrolixID + "4:porti7000eed2:ip11:example.org4:porti1eed2:ip9:127.0.0.14:porti0eed2:ip9:127.0.0.14:porti70000eei5ed2:ip3:::14:porti2eee8:intervali5e15:warning message9:slow \x1b[2Je",
			Response{Interval: 5 * time.Second, Warning: `slow \x1b[2J`, Skipped: 4,
				Peers: []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:7000"), ID: anacrolixID}, {Addr: netip.MustParseAddrPort("[::1]:2")}}}},
		{"no interval, duplicates dropped, port 0 skipped", "d5:peers18:\x7f\x00\x00\x01\x00\x01\x7f\x00\x00\x01\x00\x01\x7f\x00\x00\x01\x00\x00e",
			Response{Skipped: 1, Peers: []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:1")}}}},
	}
	for _, tt := range good {
		got, err := ParseBTResponse([]byte(tt.body))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n%+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
	bad := []struct{ body, want string }{
		{"d14:failure reason20:unregistered torrente", "tracker says: unregistered torrent"},
		{"d14:failure reason5:\x1b[31me", `tracker says: \x1b[31m`},
		{`{"interval": 30, "peers": []}`, "reply is not bencoded"},
		{"<html>502</html>", "reply is not bencoded"},
		{"d8:intervali30e5:peers0:e trailing", "reply is not bencoded"},
		{"li1ee", "reply is a bencoded list, not a dictionary"},
		{"d8:intervali30ee", `reply has no "peers"`},
		{"d8:intervali30e5:peers5:abcdee", `reply's "peers" is 5 bytes, not a multiple of 6`},
		{"d8:intervali30e5:peers0:6:peers66:abcdefe", `"peers6" is 6 bytes, not a multiple of 18`},
		{"d8:intervali30e5:peersi1ee", `"peers" is a integer, not a string or a list`},
		{"d8:interval2:305:peers0:e", "interval is a byte string, not an integer"},
		{"d8:intervali0e5:peers0:e", "interval 0 is not a positive number"},
		{"d12:min intervali-1e5:peers0:e", "min interval -1 is not a positive number"},
	}
	for _, tt := range bad {
		if got, err := ParseBTResponse([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %+v, %v; want an error with %q", tt.body, got, err, tt.want)
		}
	}
}

// Our BitTorrent client against our server, on loopback: each peer learns
// the other; our own entry (compact: no peer id, so by ip:port) is left out.
func TestBTClientAgainstServerOnLoopback(t *testing.T) {
	srv := New(Config{Interval: 7 * time.Second})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx := context.Background()
	a, b := btReq(btPeerID(1), "127.0.0.1", 7001), btReq(btPeerID(2), "127.0.0.1", 7002)
	a.Event, b.Left = EventStarted, 0
	if r, err := AnnounceBT(ctx, ts.Client(), ts.URL+"/announce", a); err != nil || len(r.Peers) != 0 || r.Interval != 7*time.Second || r.Incomplete != 1 {
		t.Fatalf("a alone: %+v, %v", r, err)
	}
	r, err := AnnounceBT(ctx, ts.Client(), ts.URL+"/announce", b)
	if err != nil || !reflect.DeepEqual(r.Peers, []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:7001")}}) || r.Complete != 1 || r.Incomplete != 1 {
		t.Fatalf("b: %+v, %v", r, err)
	}
	// Without ip, the tracker takes the source address; we skip ourselves
	// by peer_id in a dictionary reply, which the server gives for compact=0
	// only, so ask it directly.
	c := btReq(btPeerID(3), "", 7003)
	if r, err = AnnounceBT(ctx, ts.Client(), ts.URL+"/announce", c); err != nil || len(r.Peers) != 3 {
		t.Fatalf("c without ip: %+v, %v (compact lists c too: its address is unknown to it)", r, err)
	}
	a.Event = EventStopped
	if _, err := AnnounceBT(ctx, ts.Client(), ts.URL+"/announce", a); err != nil {
		t.Fatal(err)
	}
	if sw := srv.Swarms(); len(sw) != 1 || len(sw[0].Peers) != 2 {
		t.Errorf("after a stopped: %+v", sw)
	}
	// A refusal is the tracker's failure reason (the URL's own info_hash
	// comes first, and is wrong).
	bad := btReq(btPeerID(4), "127.0.0.1", 7004)
	if _, err := AnnounceBT(ctx, ts.Client(), ts.URL+"/announce?info_hash=x", bad); err == nil || !strings.HasPrefix(err.Error(), "tracker says: malformed info_hash: 1 bytes") {
		t.Errorf("refused: %v", err)
	}
}

// Our own entry in a dictionary reply is skipped by peer_id even when we
// did not give our ip.
func TestBTSkipsOurOwnPeerID(t *testing.T) {
	body := "d8:intervali30e5:peersld2:ip9:127.0.0.17:peer id20:" + btPeerID(1) + "4:porti7001eed2:ip9:127.0.0.17:peer id20:" + btPeerID(2) + "4:porti7002eeee"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
	defer ts.Close()
	r, err := AnnounceBT(context.Background(), ts.Client(), ts.URL, btReq(btPeerID(1), "", 7001))
	if err != nil || !reflect.DeepEqual(r.Peers, []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:7002"), ID: btPeerID(2)}}) {
		t.Errorf("%+v, %v", r, err)
	}
}

// A non-200 answer with a bencoded failure reason shows it.
func TestBTStatusErrorShowsTheFailureReason(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "d14:failure reason14:not authorizede")
	}))
	defer ts.Close()
	_, err := AnnounceBT(context.Background(), ts.Client(), ts.URL, btReq(btPeerID(1), "", 1))
	if err == nil || err.Error() != "403 Forbidden: not authorized" {
		t.Errorf("%v", err)
	}
}
