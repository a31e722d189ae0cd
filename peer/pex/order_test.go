package pex

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
)

// Two bitclone nodes trade a piece in either byte order.
func TestBothByteOrdersBetweenTwoNodes(t *testing.T) {
	for _, order := range []pex.ByteOrder{pex.Little, pex.Big} {
		t.Run(order.String(), func(t *testing.T) {
			dir, data, hashes := shareDir(t, 2*testPiece+1, 9, testPiece)
			o := pex.Options{Order: order, PieceSize: testPiece}
			seed, _ := start(t, fast(Config{ListenHost: "127.0.0.1", Share: dir, Options: o}))
			dest := t.TempDir()
			n, r := start(t, fast(Config{ListenHost: "127.0.0.1", Want: hashes, Dest: dest, Options: o,
				Bootstrap: []netip.AddrPort{seed.Addr()}}))
			r.Wait("every wanted piece", n.Completed())
			checkFetched(t, dest, piecesOf(data, testPiece))
		})
	}
}

// Nodes of different byte orders: the connection ends at the first size
// prefix with a reason that names the other byte order; neither hangs.
func TestAByteOrderMismatchSaysSo(t *testing.T) {
	big, rb := start(t, fast(Config{ListenHost: "127.0.0.1", Options: pex.Options{Order: pex.Big, PieceSize: testPiece}}))
	_, rl := start(t, fast(Config{ListenHost: "127.0.0.1", Options: pex.Options{PieceSize: testPiece},
		Bootstrap: []netip.AddrPort{big.Addr()}}))
	// Each node's peer message reaches the other, whose Reader refuses its
	// size prefix; whichever reads first closes with the hint, the other
	// sees the close.
	closed := func(e peer.Event) bool { return e.Kind == peer.KindClosed }
	eb := rb.WaitEvent("the big-endian node's connection closed", closed)
	el := rl.WaitEvent("the little-endian node's connection closed", closed)
	if !strings.Contains(eb.Text, "little-endian? (--byte-order little)") && !strings.Contains(el.Text, "big-endian? (--byte-order big)") {
		t.Errorf("close reasons %q and %q do not name the other byte order", eb.Text, el.Text)
	}
}
