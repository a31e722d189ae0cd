package bt

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// testTorrent describes data as file.bin in pieces of pieceLen.
func testTorrent(t testing.TB, data []byte, pieceLen int) *metainfo.Torrent {
	t.Helper()
	m, err := metainfo.Make(fstest.MapFS{"file.bin": {Data: data}}, "file.bin",
		metainfo.MakeOptions{Announce: "http://127.0.0.1:1/announce", PieceLength: pieceLen})
	if err != nil {
		t.Fatal(err)
	}
	return m.Torrent
}

// fastConfig is a node's configuration with the timers of a test.
func fastConfig(tor *metainfo.Torrent, dir string, seed uint64) Config {
	return Config{
		Torrent: tor, Dir: dir, ListenHost: "127.0.0.1",
		Tick: 10 * time.Millisecond, ChokeInterval: 50 * time.Millisecond, OptimisticInterval: 150 * time.Millisecond,
		RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		ProgressEvery: 50 * time.Millisecond,
		Rand:          rand.New(rand.NewPCG(seed, 7)),
	}
}

// testNode is a running node.
type testNode struct {
	*Node
	*nodetest.Running
	dir string
}

// runNode starts a node on cfg.
func runNode(t testing.TB, cfg Config, opts ...Option) *testNode {
	t.Helper()
	n, err := New(cfg, opts...)
	n, run := nodetest.Start(t, n, err)
	return &testNode{Node: n, Running: run, dir: cfg.Dir}
}

// seed writes data into a new directory and runs a node seeding it.
func seedNode(t testing.TB, tor *metainfo.Torrent, data []byte, seed uint64) *testNode {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, tor.Info.Name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return runNode(t, fastConfig(tor, dir, seed))
}

// leech runs a node downloading from peers into a new directory.
func leech(t testing.TB, tor *metainfo.Torrent, seed uint64, peers ...netip.AddrPort) *testNode {
	t.Helper()
	cfg := fastConfig(tor, t.TempDir(), seed)
	cfg.Peers = peers
	return runNode(t, cfg)
}

// waitComplete waits until the file is complete and checks its bytes.
func (tn *testNode) waitComplete(t testing.TB, want []byte) {
	t.Helper()
	tn.Wait("complete download", tn.Completed())
	got, err := os.ReadFile(filepath.Join(tn.dir, tn.t.Info.Name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the downloaded file differs from the original (%d bytes, want %d)", len(got), len(want))
	}
}
