package nibble

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/peer/nodetest"
	"github.com/bitclone/bitclone/peer/piece"
)

// slowSeeder is a good seeder whose every frame crosses the wire in two
// writes a millisecond apart: slow enough that a quirky peer beside it is
// asked for many pieces, and it checks that split frames are read whole.
func slowSeeder(t *testing.T, data []byte, torPieceSize int) (*fakepeer.Seeder, netip.AddrPort) {
	tor := testTorrent(t, data, torPieceSize)
	return startSeeder(t, tor, data, fakepeer.Quirks{SplitWrites: true, SplitGap: time.Millisecond}, nil)
}

// from says whether an event is about the peer at a.
func from(e peer.Event, a netip.AddrPort) bool { return e.Peer == a.String() }

func TestCorruptPiecesAreRefetchedAndTheirPeerNamedAndDropped(t *testing.T) {
	data := nodetest.Pattern(200*4096, 4)
	tor := testTorrent(t, data, 4096)
	corrupt := map[int]bool{}
	for i := range tor.NumPieces() {
		corrupt[i] = true
	}
	_, bad := startSeeder(t, tor, data, fakepeer.Quirks{Corrupt: corrupt}, nil)
	_, good := slowSeeder(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	cfg.Peers = []netip.AddrPort{bad, good}
	n := runNode(t, cfg)
	n.waitComplete(data)

	strikes := n.Count(func(e peer.Event) bool {
		return e.Kind == peer.KindWarn && strings.Contains(e.Text, "from "+bad.String()+" failed its SHA-1")
	})
	if strikes != 3 {
		t.Errorf("%d warnings naming %s for bad pieces, want 3 (the strikes before the drop)\n%s", strikes, bad, n.Log())
	}
	n.WaitEvent("the bad peer dropped", func(e peer.Event) bool {
		return e.Kind == peer.KindClosed && from(e, bad) && strings.Contains(e.Text, "sent too many pieces that failed their SHA-1 (3)")
	})
	if dials := n.Count(func(e peer.Event) bool { return e.Kind == peer.KindConnected && from(e, bad) }); dials != 1 {
		t.Errorf("the peer dropped for bad pieces was connected %d times, want once", dials)
	}
	if n.Count(func(e peer.Event) bool { return e.Kind == peer.KindClosed && from(e, good) }) != 0 {
		t.Error("the good seeder's connection was closed")
	}
}

func TestAnErrorFrameMidTransferIsARefusalAndTheConnectionGoesOn(t *testing.T) {
	data := nodetest.Pattern(100*4096, 5)
	tor := testTorrent(t, data, 4096)
	quirky, a := startSeeder(t, tor, data, fakepeer.Quirks{ErrorMidTransfer: 3}, nil)
	_, good := slowSeeder(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	cfg.Peers = []netip.AddrPort{a, good}
	n := runNode(t, cfg)
	n.waitComplete(data)
	n.WaitEvent("the refusal logged", func(e peer.Event) bool {
		return e.Kind == peer.KindWarn && from(e, a) && strings.Contains(e.Text, `"Piece not available"; asking another peer`)
	})
	if n.Count(func(e peer.Event) bool { return e.Kind == peer.KindClosed && from(e, a) }) != 0 {
		t.Errorf("the connection to the peer that refused a piece was closed\n%s", n.Log())
	}
	if got := len(quirky.Requests()); got <= 3 {
		t.Errorf("the refusing peer was asked for %d pieces: the node stopped asking it after the refusal", got)
	}
}

func TestAPeerClosingMidPieceIsLoggedAndThePieceFetchedElsewhere(t *testing.T) {
	data := nodetest.Pattern(100*4096, 6)
	tor := testTorrent(t, data, 4096)
	_, a := startSeeder(t, tor, data, fakepeer.Quirks{CloseMidPiece: 0, CloseMidPieceOn: true}, func(i int) bool { return i == 0 })
	_, good := slowSeeder(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	// Only the quirky peer has piece 0 at first: it is asked for it first.
	cfg.Peers = []netip.AddrPort{a}
	n := runNode(t, cfg)
	n.WaitEvent("the close mid-piece", func(e peer.Event) bool {
		return e.Kind == peer.KindClosed && from(e, a) && strings.Contains(e.Text, "EOF")
	})
	if err := n.Do(peer.Command{Op: peer.OpConnect, Targets: []string{good.String()}}); err != nil {
		t.Fatal(err)
	}
	n.waitComplete(data)
}

func TestAHelloThatClaimsEverythingIsCorrectedByRefusals(t *testing.T) {
	data := nodetest.Pattern(64*4096, 7)
	tor := testTorrent(t, data, 4096)
	// The liar has the even pieces and claims all; the other peer has the
	// odd ones and says so.
	liarSeeder, liar := startSeeder(t, tor, data, fakepeer.Quirks{ClaimAll: true}, func(i int) bool { return i%2 == 0 })
	_, odd := startSeeder(t, tor, data, fakepeer.Quirks{}, func(i int) bool { return i%2 == 1 })
	cfg := fastConfig(tor, t.TempDir())
	cfg.Peers = []netip.AddrPort{liar} // alone at first: it is asked for odd pieces too
	n := runNode(t, cfg)
	n.WaitEvent("a refusal of a claimed piece", func(e peer.Event) bool {
		return e.Kind == peer.KindWarn && from(e, liar) && strings.Contains(e.Text, "refused piece its hello claimed")
	})
	if err := n.Do(peer.Command{Op: peer.OpConnect, Targets: []string{odd.String()}}); err != nil {
		t.Fatal(err)
	}
	n.waitComplete(data)
	if n.Count(func(e peer.Event) bool { return e.Kind == peer.KindClosed && from(e, liar) }) != 0 {
		t.Errorf("the connection to the peer that claims everything was closed\n%s", n.Log())
	}
	asked := map[int]bool{}
	for _, i := range liarSeeder.Requests() {
		if asked[i] {
			t.Errorf("the peer was asked again for piece %d, which it refused", i)
		}
		asked[i] = true
	}
}

func TestATrackerThatIsDownLeavesThePeersGivenOnTheCommandLine(t *testing.T) {
	data := nodetest.Pattern(50*4096, 8)
	tor := testTorrent(t, data, 4096)
	dead := nodetest.Listen(t)
	deadURL := "http://" + dead.Addr().String() + "/announce"
	dead.Close() // nothing listens there any more: connection refused
	_, a := startSeeder(t, tor, data, fakepeer.Quirks{}, nil)
	cfg := fastConfig(tor, t.TempDir())
	cfg.NoTracker, cfg.TrackerURL = false, deadURL
	cfg.Peers = []netip.AddrPort{a}
	n := runNode(t, cfg)
	n.waitComplete(data)
	n.WaitText(peer.KindWarn, "retrying in")
}

// scripted is one connection the test plays the other peer on, frame by
// frame.
type scripted struct {
	t *testing.T
	c net.Conn
}

func (s scripted) read() (byte, []byte) {
	s.t.Helper()
	s.c.SetReadDeadline(time.Now().Add(nodetest.WaitLimit))
	typ, data, err := fakepeer.ReadFrame(s.c)
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	return typ, data
}

func (s scripted) expect(typ byte) []byte {
	s.t.Helper()
	got, data := s.read()
	if got != typ {
		s.t.Fatalf("got a frame of type %#02x (%q), want %#02x", got, data, typ)
	}
	return data
}

func (s scripted) write(frame []byte) {
	s.t.Helper()
	if _, err := s.c.Write(frame); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// acceptNode runs a node whose only peer is a listener the test plays.
func acceptNode(t *testing.T, cfg Config) (*testNode, scripted) {
	ln := nodetest.Listen(t)
	t.Cleanup(func() { ln.Close() })
	cfg.Peers = []netip.AddrPort{nodetest.AddrOf(ln)}
	n := runNode(t, cfg)
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(nodetest.WaitLimit))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return n, scripted{t, c}
}

func TestARehelloLearnsWhatALeecherGained(t *testing.T) {
	data := nodetest.Pattern(20*4096, 9)
	tor := testTorrent(t, data, 4096)
	n, p := acceptNode(t, fastConfig(tor, t.TempDir()))
	if id := p.expect(fakepeer.HelloRequest); string(id) != string(tor.ID[:]) {
		t.Fatalf("hello for %x", id)
	}
	p.write(fakepeer.Frame(fakepeer.HelloResponse, make([]byte, 3))) // nothing yet
	p.expect(fakepeer.HelloRequest)                                  // asked again
	p.write(fakepeer.Frame(fakepeer.HelloResponse, []byte{0x80, 0, 0}))
	if idx := p.expect(fakepeer.PieceRequest); len(idx) != 1 || idx[0] != 0 {
		t.Fatalf("request for %x, want piece 0 in one byte", idx)
	}
	p.write(fakepeer.Frame(fakepeer.PieceResponse, data[:4096]))
	n.WaitEvent("piece 0", func(peer.Event) bool { return n.picker.Has(0) })
}

func TestARequestLeftUnansweredClosesTheConnectionWithTheReason(t *testing.T) {
	data := nodetest.Pattern(20*4096, 10)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	cfg.RequestTimeout = 100 * time.Millisecond
	cfg.Pipeline = 4
	n, p := acceptNode(t, cfg)
	p.expect(fakepeer.HelloRequest)
	p.write(fakepeer.Frame(fakepeer.HelloResponse, []byte{0xff, 0xff, 0xf0}))
	for range cfg.Pipeline {
		p.expect(fakepeer.PieceRequest)
	}
	n.WaitText(peer.KindClosed, "no answer to piece request")
}

func TestAPeerWithoutTheTorrentIsLeftWithTheReason(t *testing.T) {
	data := nodetest.Pattern(20*4096, 11)
	tor := testTorrent(t, data, 4096)
	n, p := acceptNode(t, fastConfig(tor, t.TempDir()))
	p.expect(fakepeer.HelloRequest)
	p.write(fakepeer.Frame(fakepeer.ErrorResponse, []byte("Unknown torrent")))
	n.WaitText(peer.KindClosed, `peer does not serve this torrent: it answered our hello with "Unknown torrent"`)
}

func TestAnUnansweredPieceResponseIsIgnored(t *testing.T) {
	data := nodetest.Pattern(20*4096, 12)
	tor := testTorrent(t, data, 4096)
	n, p := acceptNode(t, fastConfig(tor, t.TempDir()))
	p.expect(fakepeer.HelloRequest)
	p.write(fakepeer.Frame(fakepeer.PieceResponse, data[:4096])) // before any hello response
	n.WaitText(peer.KindWarn, "piece response of 4096 bytes with no request waiting: ignored")
	if n.picker.Has(0) {
		t.Error("a piece nobody asked for was taken")
	}
}

func TestAPeerWithNothingForUsMakesRoomForOneThatWaits(t *testing.T) {
	data := nodetest.Pattern(30*4096, 13)
	tor := testTorrent(t, data, 4096)
	_, empty := startSeeder(t, tor, data, fakepeer.Quirks{}, func(int) bool { return false })
	_, full := startSeeder(t, tor, data, fakepeer.Quirks{}, nil)
	cfg := fastConfig(tor, t.TempDir())
	cfg.MaxPeers, cfg.IdleAfter = 1, 50*time.Millisecond
	cfg.Peers = []netip.AddrPort{empty, full} // the empty one is dialled first
	n := runNode(t, cfg)
	n.waitComplete(data)
	n.WaitEvent("the idle peer left", func(e peer.Event) bool {
		return e.Kind == peer.KindClosed && from(e, empty) && strings.Contains(e.Text, "had no piece we lack for 50ms, and other peers wait: making room")
	})
}

func TestAnInboundPeerThatSkipsHelloIsServedAndNotTimedOut(t *testing.T) {
	data := nodetest.Pattern(10*4096, 14)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	if err := os.WriteFile(filepath.Join(cfg.Dir, tor.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n := runNode(t, cfg)
	p := dialNode(t, n)
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{1}))
	if got := p.expect(fakepeer.PieceResponse); !bytes.Equal(got, data[4096:8192]) {
		t.Error("piece 1 differs")
	}
	// Served, it counts as established: the handshake timeout spares it.
	if conns := n.Snapshot().Conns; len(conns) != 1 || conns[0].State != peer.StateEstablished {
		t.Errorf("connections %+v, want one established", conns)
	}
}

func TestAnOffSpecBitfieldIsReadLenientlyAndLogged(t *testing.T) {
	data := nodetest.Pattern(20*4096, 16)
	tor := testTorrent(t, data, 4096)
	n, p := acceptNode(t, fastConfig(tor, t.TempDir()))
	p.expect(fakepeer.HelloRequest)
	// One byte for 20 pieces (3 are due), as a peer that drops leading
	// zero bytes sends it: pieces 0 and 1.
	p.write(fakepeer.Frame(fakepeer.HelloResponse, []byte{0xc0}))
	n.WaitText(peer.KindWarn, "hello response off the spec")
	for range 2 {
		idx := p.expect(fakepeer.PieceRequest)
		if i := int(idx[0]); i > 1 {
			t.Fatalf("asked for piece %d, which the bitfield does not claim", i)
		}
	}
}

func TestDialsAtMostFivePeers(t *testing.T) {
	data := nodetest.Pattern(300*4096, 17)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	for range 7 {
		_, a := slowSeeder(t, data, 4096)
		cfg.Peers = append(cfg.Peers, a)
	}
	n := runNode(t, cfg)
	n.waitComplete(data)
	open, most := 0, 0
	for _, e := range n.Seen() {
		switch {
		case e.Kind == peer.KindConnected && e.Dir == peer.Outbound:
			open++
			most = max(most, open)
		case e.Kind == peer.KindClosed && e.Dir == peer.Outbound:
			open--
		}
	}
	if most != DefaultMaxPeers {
		t.Errorf("at most %d connections open at once, want %d", most, DefaultMaxPeers)
	}
}

func TestPruneForgetsEndedShunsAndStaleBackoffs(t *testing.T) {
	tor := testTorrent(t, nodetest.Pattern(4096, 18), 4096)
	n, err := New(fastConfig(tor, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.store.Close()
	now := time.Now()
	a, b := netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2")
	n.shunned[a], n.shunned[b] = now.Add(-time.Second), now.Add(time.Minute)
	n.redial[a] = &redial{failures: 3, notBefore: now.Add(-3 * n.cfg.RetryMax)}
	n.redial[b] = &redial{failures: 3, notBefore: now.Add(-n.cfg.RetryMax)}
	n.prune(now)
	if _, ok := n.shunned[a]; ok || len(n.shunned) != 1 {
		t.Errorf("shuns after prune: %v", n.shunned)
	}
	if _, ok := n.redial[a]; ok || len(n.redial) != 1 {
		t.Errorf("backoffs after prune: %v", n.redial)
	}
}

// A request the user types on a connection we download over takes its
// place in the FIFO: its answer settles it, not one of ours, and a bad
// answer to it costs the peer nothing.
func TestARequestTypedByHandIsAnsweredInItsTurn(t *testing.T) {
	data := nodetest.Pattern(20*4096, 19)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	cfg.Pipeline = 4
	n, p := acceptNode(t, cfg)
	p.expect(fakepeer.HelloRequest)
	p.write(fakepeer.Frame(fakepeer.HelloResponse, []byte{0xff, 0xff, 0xf0}))
	var asked []int
	for range 4 {
		asked = append(asked, int(p.expect(fakepeer.PieceRequest)[0]))
	}
	for _, line := range []string{"piece 7", "piece-request 0 (5 bytes)"} {
		frame, err := NewDialect(tor).Encode(line)
		if err != nil {
			// 5 bytes cannot be typed in words: raw it is.
			frame = []byte{1, 3, 0, 5, 0, 0, 0, 0, 0}
		}
		if err := n.Do(peer.Command{Op: peer.OpSend, Targets: []string{n.cfg.Peers[0].String()}, Frame: frame}); err != nil {
			t.Fatal(err)
		}
		p.expect(fakepeer.PieceRequest)
	}
	for _, i := range asked {
		p.write(fakepeer.Frame(fakepeer.PieceResponse, data[i*4096:(i+1)*4096]))
	}
	p.write(fakepeer.Frame(fakepeer.PieceResponse, make([]byte, 4096))) // not piece 7
	p.write(fakepeer.Frame(fakepeer.ErrorResponse, []byte("Malformed request")))
	n.WaitText(peer.KindWarn, "the answer to the piece request typed by hand is not piece 7")
	n.WaitEvent("the error frame", func(e peer.Event) bool { return e.Kind == peer.KindRecv && e.Command == "error" })
	for _, i := range asked {
		if !n.picker.Has(i) {
			t.Errorf("piece %d, answered in its turn, was not taken", i)
		}
	}
	if st, _ := n.picker.Peer(piece.PeerID(n.Snapshot().Conns[0].ID)); st.Strikes != 0 {
		t.Errorf("%d strikes for answers to requests typed by hand", st.Strikes)
	}
	if c := n.Count(func(e peer.Event) bool { return strings.Contains(e.Text, "refused") }); c != 0 {
		t.Errorf("the error answer to a request typed by hand was taken for a refusal")
	}
}

// A peer that takes requests and never answers holds its pieces until the
// endgame, when another peer is asked for them too: the download completes
// long before the request timeout would free them.
func TestEndgameAsksASecondPeerForPiecesAStalledPeerHolds(t *testing.T) {
	data := nodetest.Pattern(60*4096, 25)
	tor := testTorrent(t, data, 4096)
	ln := nodetest.Listen(t)
	t.Cleanup(func() { ln.Close() })
	_, good := slowSeeder(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	cfg.RequestTimeout = 10 * nodetest.WaitLimit
	cfg.Peers = []netip.AddrPort{nodetest.AddrOf(ln), good}
	n := runNode(t, cfg)
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := scripted{t, c}
	p.expect(fakepeer.HelloRequest)
	p.write(fakepeer.Frame(fakepeer.HelloResponse, bitfield.Full(60).Bytes()))
	held := p.expect(fakepeer.PieceRequest) // and never answered
	n.waitComplete(data)
	for _, ci := range n.Snapshot().Conns {
		if ci.Remote == nodetest.AddrOf(ln).String() && field(ci, "in flight") == "0" {
			t.Errorf("the stalled peer's requests were settled; piece %d was held", held[0])
		}
	}
}
