package pex

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// testPiece is a small piece size, so that multi-node tests move little.
const testPiece = 1024

// fast are the timings of a node in a test: everything in tens of
// milliseconds, so that peers spread and asks repeat quickly.
func fast(c Config) Config {
	c.Tick = 20 * time.Millisecond
	c.PeerEvery = 50 * time.Millisecond
	c.AskEvery = 200 * time.Millisecond
	c.RetryBase = 20 * time.Millisecond
	c.RetryMax = 200 * time.Millisecond
	if c.Options.PieceSize == 0 {
		c.Options.PieceSize = testPiece
	}
	return c
}

// shareDir writes a file of size bytes (seeded) into a new directory and
// returns the directory, the file's bytes and its pieces' hashes (the
// last padded).
func shareDir(t testing.TB, size int, seed byte, pieceSize int) (string, []byte, []pex.Hash) {
	t.Helper()
	dir := t.TempDir()
	data := randomBytes(size, seed)
	if err := os.WriteFile(filepath.Join(dir, "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var hashes []pex.Hash
	for off := 0; off < size; off += pieceSize {
		p := make([]byte, pieceSize)
		copy(p, data[off:])
		hashes = append(hashes, pex.HashOf(p))
	}
	return dir, data, hashes
}

// randomBytes are size bytes from a generator seeded with seed: every
// piece differs (nodetest.Pattern repeats every 256 KiB).
func randomBytes(size int, seed byte) []byte {
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{seed}).Read(data)
	return data
}

// piecesOf are data's pieces, the last padded.
func piecesOf(data []byte, pieceSize int) [][]byte {
	var out [][]byte
	for off := 0; off < len(data); off += pieceSize {
		p := make([]byte, pieceSize)
		copy(p, data[off:])
		out = append(out, p)
	}
	return out
}

// loopbackHost is "::1" or "127.0.0.1"; the IPv6 one is skipped where ::1
// cannot be bound.
func loopbackHost(t testing.TB, v6 bool) string {
	t.Helper()
	if !v6 {
		return "127.0.0.1"
	}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("::1 cannot be bound here:", err)
	}
	ln.Close()
	return "::1"
}

// start makes, binds and runs a node.
func start(t testing.TB, c Config) (*Node, *nodetest.Running) {
	t.Helper()
	n, err := New(c)
	return nodetest.Start(t, n, err)
}

// checkFetched says whether dest holds every piece byte for byte.
func checkFetched(t testing.TB, dest string, pieces [][]byte) {
	t.Helper()
	for _, p := range pieces {
		got, err := os.ReadFile(filepath.Join(dest, pex.HashOf(p).String()))
		if err != nil {
			t.Errorf("piece %s: %v", pex.HashOf(p).Short(), err)
			continue
		}
		if !bytes.Equal(got, p) {
			t.Errorf("piece %s: not the bytes given", pex.HashOf(p).Short())
		}
	}
}

// knowsAll says whether n's address book holds every address of want.
func knowsAll(n *Node, want []netip.AddrPort) bool {
	k := map[netip.AddrPort]bool{}
	for _, a := range n.Known() {
		k[a] = true
	}
	for _, a := range want {
		if !k[a] {
			return false
		}
	}
	return true
}
