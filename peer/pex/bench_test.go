package pex

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/durable"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// benchSize is the file moved: 256 pieces of the course's 131072 bytes.
const benchSize = 32 << 20

// BenchmarkPEXTransfer is issue 12's figure: a 32 MiB file, shared by one
// bitclone node, fetched piece by piece by another over loopback (course
// wire: 131072-byte pieces, little-endian), headless without -v (no
// message events), every piece hashed and written to --dest by durable
// write. Compare with BenchmarkPEXCopy (cp of the same bytes) in the same
// run:
//
//	go test -run '^$' -bench 'PEX' -benchtime 5x ./peer/pex/
func BenchmarkPEXTransfer(b *testing.B) {
	dir, _, hashes := shareDir(b, benchSize, 11, pex.DefaultPieceSize)
	seed, _ := start(b, Config{ListenHost: "127.0.0.1", Share: dir, NoMessageEvents: true})
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		n, err := New(Config{ListenHost: "127.0.0.1", Want: hashes, Dest: b.TempDir(), NoMessageEvents: true,
			Bootstrap: []netip.AddrPort{seed.Addr()}})
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Listen(); err != nil {
			b.Fatal(err)
		}
		r := nodetest.Run(b, n)
		r.Wait("every piece", n.Completed())
		b.StopTimer()
		r.Stop()
		b.StartTimer()
	}
}

// BenchmarkPEXCopy is cp of the same 32 MiB, the yardstick.
func BenchmarkPEXCopy(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, randomBytes(benchSize, 11), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for n := range b.N {
		dst := filepath.Join(dir, fmt.Sprint(n))
		if out, err := exec.Command("cp", src, dst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		b.StopTimer()
		os.Remove(dst)
		b.StartTimer()
	}
}

// BenchmarkPEXDurableWrites writes the same 256 pieces from memory into a
// directory as the node does (durable.WriteFile: a temporary file, fsync,
// rename, fsync of the directory), with MaxWriting at once: the part of
// BenchmarkPEXTransfer that is the disk's, which cp does not pay.
func BenchmarkPEXDurableWrites(b *testing.B) {
	pieces := piecesOf(randomBytes(benchSize, 11), pex.DefaultPieceSize)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		dest := b.TempDir()
		slots := make(chan struct{}, MaxWriting)
		var wg sync.WaitGroup
		for _, p := range pieces {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				if err := durable.WriteFile(fetchedPath(dest, pex.HashOf(p)), p, 0o644); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}
