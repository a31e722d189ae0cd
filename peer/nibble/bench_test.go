package nibble

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
)

// BenchmarkSwarmPeer is the figure for the peer: the swarm file
// (64 MiB in 4096-byte pieces) from three local bitclone seeders into one
// bitclone leecher, headless without -v (no frame events), every piece
// hashed and written. Compare with BenchmarkSwarm/baseline=frames (the
// same file in the same frames, no hashing or bookkeeping) and
// BenchmarkSwarmCopy (cp), in the same run:
//
//	go test -run '^$' -bench 'Swarm' -benchtime 3x ./peer/nibble/
func BenchmarkSwarmPeer(b *testing.B) {
	data := swarmFile(swarmSize)
	tor := testTorrent(b, data, swarmPiece)
	var seeds []string
	for k := range 3 {
		cfg := benchConfig(tor, b.TempDir(), fmt.Sprint("seed", k))
		if err := os.WriteFile(filepath.Join(cfg.Dir, tor.FileName), data, 0o644); err != nil {
			b.Fatal(err)
		}
		s := runNode(b, cfg)
		s.WaitText(peer.KindInfo, "seeding")
		seeds = append(seeds, s.Addr().String())
	}
	b.SetBytes(swarmSize)
	b.ResetTimer()
	for range b.N {
		cfg := benchConfig(tor, b.TempDir(), "leech")
		for _, a := range seeds {
			cfg.Peers = append(cfg.Peers, mustAddr(b, a))
		}
		l := runNode(b, cfg)
		<-l.Completed()
		b.StopTimer()
		l.Stop()
		b.StartTimer()
	}
}

// BenchmarkSwarmCopy is cp of the swarm file, the other yardstick.
func BenchmarkSwarmCopy(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, swarmFile(swarmSize), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(swarmSize)
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

// benchConfig is a node as the command line makes it headless without -v.
func benchConfig(tor *nibble.Torrent, dir, name string) Config {
	return Config{Torrent: tor, Dir: dir, NetID: name, ListenHost: "127.0.0.1", NoTracker: true, NoMessageEvents: true}
}
