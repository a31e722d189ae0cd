package pex

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/pex/fakepex"
)

// A node that gives corrupt pieces: each is refused and counted, the node
// is dropped and shunned after MaxStrikes, and the pieces still come from
// an honest node.
func TestCorruptGivesAreRefusedAndTheGiverShunned(t *testing.T) {
	dir, data, hashes := shareDir(t, 4*testPiece, 7, testPiece)
	pieces := piecesOf(data, testPiece)
	bad := &fakepex.Node{PieceSize: testPiece, Corrupt: true, Pieces: map[pex.Hash][]byte{}}
	for i, h := range hashes {
		bad.Pieces[h] = pieces[i]
	}
	if err := bad.Start("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	dest := t.TempDir()
	// The corrupt node alone first: it answers every ask with a corrupt
	// give, and is dropped at the second.
	c := fast(Config{ListenHost: "127.0.0.1", Want: hashes, Dest: dest, MaxStrikes: 2,
		Bootstrap: []netip.AddrPort{bad.Addr()}})
	n, r := start(t, c)
	closed := r.WaitEvent("the corrupt node dropped", func(e peer.Event) bool {
		return e.Kind == peer.KindClosed && e.Peer == bad.Addr().String() && strings.Contains(e.Text, "failed their SHA-256")
	})
	if !strings.Contains(closed.Text, "shunned") {
		t.Errorf("close reason %q does not say the peer is shunned", closed.Text)
	}
	// Then an honest node joins: the pieces come from it.
	start(t, fast(Config{ListenHost: "127.0.0.1", Share: dir, Bootstrap: []netip.AddrPort{n.Addr()}}))
	r.Wait("every wanted piece", n.Completed())
	checkFetched(t, dest, pieces)
	if got := r.Count(func(e peer.Event) bool {
		return e.Kind == peer.KindWarn && strings.Contains(e.Text, "failed its SHA-256: discarded")
	}); got < 2 {
		t.Errorf("%d corrupt gives logged, want at least 2:\n%s", got, r.Log())
	}
	s := n.Snapshot()
	shunned := false
	for _, a := range s.Addrs {
		if a.Addr == bad.Addr().String() {
			shunned = a.Banned
		}
	}
	if !shunned {
		t.Errorf("the corrupt node is not shunned in the address book: %+v", s.Addrs)
	}
	if !hasField(s.Fields, "corrupt gives") {
		t.Errorf("the snapshot does not count corrupt gives: %+v", s.Fields)
	}
}

func hasField(fs []peer.Field, label string) bool {
	for _, f := range fs {
		if f.Label == label {
			return true
		}
	}
	return false
}

// A node behaving like the course's (it dials only ports learnt from peer
// messages, at ::1; one message per turn; silent on a piece it lacks;
// exact sizes asserted) finds bitclone through bitclone's peer message and
// trades pieces with it both ways, and bitclone never closes on it.
func TestTheCourseNodeFindsAndTradesWithUs(t *testing.T) {
	host := loopbackHost(t, true)
	dir, data, hashes := shareDir(t, 2*pex.DefaultPieceSize, 3, pex.DefaultPieceSize)
	ours := piecesOf(data, pex.DefaultPieceSize)
	theirData := piecesOf(data[:pex.DefaultPieceSize], pex.DefaultPieceSize)[0]
	theirData = append([]byte(nil), theirData...)
	theirData[10] ^= 0x5a // a piece only the course node has
	theirHash := pex.HashOf(theirData)
	missing := pex.HashOf([]byte("a piece nobody has"))

	course := &fakepex.Node{Course: true, Pieces: map[pex.Hash][]byte{theirHash: theirData}, Want: hashes}
	if err := course.Start(host); err != nil {
		t.Fatal(err)
	}
	defer course.Close()

	dest := t.TempDir()
	c := fast(Config{Share: dir, Want: []pex.Hash{theirHash, missing}, Dest: dest,
		Bootstrap: []netip.AddrPort{course.Addr()}})
	c.Options = pex.Options{} // the course's wire
	n, r := start(t, c)       // on ::, as by default

	r.WaitEvent("the course node's piece", func(peer.Event) bool { return n.Got(theirHash) })
	checkFetched(t, dest, [][]byte{theirData})
	for {
		got, next := course.Got()
		if len(got) == len(hashes) {
			for i, h := range hashes {
				if string(got[h]) != string(ours[i]) {
					t.Errorf("the course node got piece %d wrong", i)
				}
			}
			break
		}
		r.Wait("the course node to get our pieces", next)
	}
	if v := course.Violations(); len(v) > 0 {
		t.Errorf("the course node would have crashed on: %v", v)
	}
	if !containsPort(course.Ports(), n.Addr().Port()) {
		t.Errorf("the course node did not learn our port %d: %v", n.Addr().Port(), course.Ports())
	}
	if k := course.ClosedOn(); k > 0 {
		t.Errorf("we closed %d connections on the course node (it dies of SIGPIPE)", k)
	}
	if r.Count(func(e peer.Event) bool { return e.Kind == peer.KindClosed }) > 0 {
		t.Errorf("a connection closed:\n%s", r.Log())
	}
}

func containsPort(ps []uint16, p uint16) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}
