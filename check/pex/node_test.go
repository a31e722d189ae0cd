package pex_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	checkpex "github.com/bitclone/bitclone/check/pex"
	wire "github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
	pexpeer "github.com/bitclone/bitclone/peer/pex"
)

// bitclone's own PEX node passes its own report card in both byte orders,
// asked for the pieces it shares: the suite and the node read the spec the
// same way.
func TestBitclonePEXNodePasses(t *testing.T) {
	for _, order := range []wire.ByteOrder{wire.Little, wire.Big} {
		t.Run(order.String(), func(t *testing.T) {
			const pieceSize = 4096
			share := t.TempDir()
			if err := os.WriteFile(filepath.Join(share, "song.bin"), nodetest.Pattern(3*pieceSize-100, 7), 0o644); err != nil {
				t.Fatal(err)
			}
			o := wire.Options{Order: order, PieceSize: pieceSize}
			n, err := pexpeer.New(pexpeer.Config{Options: o, Share: share, Dest: t.TempDir(), ListenHost: "127.0.0.1"})
			n, _ = nodetest.Start(t, n, err)
			var hashes []wire.Hash
			for _, p := range n.Shared() {
				hashes = append(hashes, p.Hash)
			}
			co := checkpex.Options{Options: check.Options{Timeout: 2 * time.Second, Pace: -1},
				Wire: wire.Options{PieceSize: pieceSize}, Pieces: hashes} // little tried first
			r, err := checkpex.Run(context.Background(), n.Addr().String(), co)
			if err != nil {
				t.Fatal(err)
			}
			for _, oc := range r.Outcomes {
				if oc.Name == "byte-order" && !strings.HasPrefix(oc.Detail, "it speaks "+order.String()+"-endian") {
					t.Errorf("byte-order: %s; want %s-endian reported", oc.Detail, order)
				}
				if oc.Verdict != check.Pass {
					t.Errorf("%s: %s: %s\n  sent %s\n  got  %s", oc.Name, oc.Verdict, oc.Detail, oc.Sent, oc.Got)
				}
			}
			if !r.OK() || len(r.Outcomes) != len(checkpex.Names()) {
				t.Errorf("ok %v, %d outcomes, want %d", r.OK(), len(r.Outcomes), len(checkpex.Names()))
			}
		})
	}
}
