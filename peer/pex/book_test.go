package pex

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestAPeerEntryAtLoopbackFromElsewhereIsTheRemotesIP(t *testing.T) {
	ap := netip.MustParseAddrPort
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		entry  netip.AddrPort
		remote netip.Addr
		want   netip.AddrPort
	}{
		{ap("[::1]:8100"), ip("192.0.2.7"), ap("192.0.2.7:8100")}, // the course node's ::1
		{ap("[::]:8100"), ip("2001:db8::5"), ap("[2001:db8::5]:8100")},
		{ap("127.0.0.1:8100"), ip("192.0.2.7"), ap("192.0.2.7:8100")},
		{ap("[::1]:8100"), ip("127.0.0.1"), ap("[::1]:8100")}, // on loopback, loopback is right
		{ap("192.0.2.9:8101"), ip("192.0.2.7"), ap("192.0.2.9:8101")},
	} {
		if got := fromPeer(tc.entry, tc.remote); got != tc.want {
			t.Errorf("fromPeer(%s, %s) = %s, want %s", tc.entry, tc.remote, got, tc.want)
		}
	}
}

// readMessage reads one message off c in the course's wire.
func readMessage(t *testing.T, c net.Conn, o pex.Options) pex.Message {
	t.Helper()
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.LittleEndian.Uint32(head[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	m, err := pex.Decode(append(head[:], body...), o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// freePorts are loopback addresses nobody listens on.
func freePorts(t *testing.T, k int) []netip.AddrPort {
	var out []netip.AddrPort
	for range k {
		ln := nodetest.Listen(t)
		out = append(out, nodetest.AddrOf(ln))
		ln.Close()
	}
	return out
}

// A peer that connects is recorded and handed the peers we know, never
// itself; the address book stops at MaxKnown.
func TestABootstrapRecordsTheAskerAndNeverHandsItItself(t *testing.T) {
	o := pex.Options{PieceSize: testPiece}
	c := fast(Config{ListenHost: "127.0.0.1", Options: o, MaxKnown: 3})
	c.MaxConns, c.ForgetAfter = 1, 1000 // the addresses below are dead: dial little, forget none
	n, r := start(t, c)
	conn, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	first := readMessage(t, conn, o)
	if first.Type != pex.TypePeer || first.NumPeers() != 1 || first.Peer(0) != n.Addr() {
		t.Fatalf("first message: type %d, peers %v; want a list of the node itself", first.Type, first.AppendPeers(nil))
	}
	addrs := freePorts(t, 6)
	me := addrs[0]
	msg, _ := pex.AppendPeers(nil, addrs, o) // ourselves first, then five more
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	r.WaitEvent("the peers recorded", func(peer.Event) bool { return len(n.Known()) == 3 })
	known := n.Known()
	if !slices.Contains(known, me) {
		t.Errorf("the asker %s is not recorded: %v", me, known)
	}
	// The lists that follow, every PeerEvery. One sent before the node read
	// our message may still be on its way: a list of the node alone.
	for full, read := 0, 0; full < 3; read++ {
		if read == 20 {
			t.Fatalf("%d messages read, %d lists with the others known among them", read, full)
		}
		m := readMessage(t, conn, o)
		if m.Type != pex.TypePeer {
			continue
		}
		got := m.AppendPeers(nil)
		if slices.Contains(got, me) {
			t.Fatalf("handed the asker itself: %v", got)
		}
		if full == 0 && len(got) == 1 && got[0] == n.Addr() {
			continue
		}
		full++
		if len(got) != 3 || got[0] != n.Addr() { // itself, and the two others it knows
			t.Errorf("peer list %v; want %s first, then the 2 others known", got, n.Addr())
		}
	}
	s := n.Snapshot()
	if !hasField(s.Fields, "not recorded (book full)") {
		t.Errorf("the snapshot does not count peers not recorded: %v", s.Fields)
	}
	// The asker's entry was active when its peer message came.
	for _, a := range s.Addrs {
		if a.Addr == me.String() && a.LastActive.IsZero() {
			t.Errorf("the asker's entry was never active: %+v", a)
		}
	}
}

// A peer that cannot be dialled is forgotten after ForgetAfter failures in
// a row.
func TestADeadPeerIsForgotten(t *testing.T) {
	o := pex.Options{PieceSize: testPiece}
	c := fast(Config{ListenHost: "127.0.0.1", Options: o, ForgetAfter: 2})
	n, r := start(t, c)
	conn, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	readMessage(t, conn, o)
	dead := freePorts(t, 2)
	msg, _ := pex.AppendPeers(nil, dead, o) // an asker at dead[0], which knows dead[1]
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	r.WaitText(peer.KindInfo, "forgot "+dead[1].String()+": 2 failed dials in a row")
	if slices.Contains(n.Known(), dead[1]) {
		t.Errorf("%s still known: %v", dead[1], n.Known())
	}
}

// Valid pieces already in --dest count as fetched; a file there under a
// wanted hash that does not hash to it does not.
func TestPiecesAlreadyInDestAreResumed(t *testing.T) {
	_, data, hashes := shareDir(t, 2*testPiece, 8, testPiece)
	pieces := piecesOf(data, testPiece)
	dest := t.TempDir()
	if err := os.WriteFile(fetchedPath(dest, hashes[0]), pieces[0], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fetchedPath(dest, hashes[1]), pieces[0], 0o644); err != nil { // the wrong bytes
		t.Fatal(err)
	}
	n, err := New(fast(Config{Want: hashes[:1], Dest: dest}))
	if err != nil {
		t.Fatal(err)
	}
	if !n.Got(hashes[0]) {
		t.Error("a valid piece in --dest is not counted as fetched")
	}
	n2, err := New(fast(Config{Want: hashes[1:], Dest: dest}))
	if err != nil {
		t.Fatal(err)
	}
	if n2.Got(hashes[1]) {
		t.Error("a corrupt file in --dest counts as fetched")
	}
	_, r := nodetest.Start(t, n, nil)
	r.Wait("complete at once", n.Completed())
}

// A peer that closes every connection at once is dialled again only after
// a growing wait, not in a loop.
func TestAPeerThatClosesAtOnceIsNotRedialledInALoop(t *testing.T) {
	ln := nodetest.Listen(t)
	accepted := make(chan struct{}, 100)
	var srv nodetest.Server
	srv.Serve(ln, func(c net.Conn) { accepted <- struct{}{} }) // closes at once
	defer srv.Close()
	c := fast(Config{ListenHost: "127.0.0.1", Bootstrap: []netip.AddrPort{nodetest.AddrOf(ln)}})
	c.RetryBase, c.RetryMax = time.Second, time.Minute
	_, r := start(t, c)
	<-accepted
	r.WaitEvent("the close", func(e peer.Event) bool { return e.Kind == peer.KindClosed })
	// Ten ticks later, still one dial: the next waits RetryBase.
	tick := time.NewTicker(c.Tick)
	defer tick.Stop()
	for range 10 {
		<-tick.C
	}
	if n := len(accepted); n > 0 {
		t.Errorf("%d more dials within %s of the close", n, 10*c.Tick)
	}
}
