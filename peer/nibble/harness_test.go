package nibble

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// testTorrent describes data in pieces of pieceSize.
func testTorrent(t testing.TB, data []byte, pieceSize int) *nibble.Torrent {
	t.Helper()
	tor, err := nibble.MakeTorrent(bytes.NewReader(data), "file.bin", "http://127.0.0.1:1/announce", pieceSize)
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

func mustAddr(t testing.TB, s string) netip.AddrPort {
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// startSeeder serves data as a fake classmate's peer with quirks.
func startSeeder(t testing.TB, tor *nibble.Torrent, data []byte, q fakepeer.Quirks, has func(int) bool) (*fakepeer.Seeder, netip.AddrPort) {
	t.Helper()
	ln := nodetest.Listen(t)
	s := &fakepeer.Seeder{ID: tor.ID, PieceSize: tor.PieceSize, Data: data, Quirks: q, Has: has}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return s, nodetest.AddrOf(ln)
}

// fastConfig is a node's configuration with the timers of a test: dials
// retried, bitfields refreshed and the loop run within milliseconds.
func fastConfig(tor *nibble.Torrent, dir string) Config {
	return Config{
		Torrent: tor, Dir: dir, NetID: "tester", ListenHost: "127.0.0.1", NoTracker: true,
		Tick: 10 * time.Millisecond, RehelloInterval: 20 * time.Millisecond,
		RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		ProgressEvery: 50 * time.Millisecond,
	}
}

// testNode is a running node and everything it has said.
type testNode struct {
	*Node
	*nodetest.Running
	t   testing.TB
	dir string
}

// runNode starts a node on cfg and collects its events until the test ends.
func runNode(t testing.TB, cfg Config, opts ...Option) *testNode {
	t.Helper()
	n, err := New(cfg, opts...)
	n, run := nodetest.Start(t, n, err)
	return &testNode{Node: n, Running: run, t: t, dir: cfg.Dir}
}

// waitComplete waits until the file is complete and checks its bytes.
func (tn *testNode) waitComplete(want []byte) {
	tn.t.Helper()
	tn.Wait("complete download", tn.Completed())
	got, err := os.ReadFile(filepath.Join(tn.dir, tn.t0().FileName))
	if err != nil {
		tn.t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tn.t.Fatalf("the downloaded file differs from the original (%d bytes, want %d)", len(got), len(want))
	}
}

func (tn *testNode) t0() *nibble.Torrent { return tn.cfg.Torrent }
