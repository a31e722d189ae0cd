// Package interop holds bitclone's BitTorrent interop tests against
// anacrolix/torrent, on loopback (see harness).
package interop

import (
	"context"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	anacrolix "github.com/anacrolix/torrent/metainfo"

	"github.com/bitclone/bitclone/codec/metainfo"
	bt "github.com/bitclone/bitclone/peer/bittorrent"
	"github.com/bitclone/bitclone/peer/nodetest"

	"github.com/bitclone/bitclone/interop/harness"
)

// transferTimeout bounds one transfer: far beyond what a few MiB on
// loopback take under -race.
const transferTimeout = time.Minute

func TestMain(m *testing.M) { harness.Main(m) }

// torrentOf makes anacrolix's torrent of seedDir/name and reads it back
// with bitclone's metainfo, as a user would load the .torrent file.
func torrentOf(t *testing.T, seedDir, name string) (*anacrolix.MetaInfo, *metainfo.Torrent) {
	t.Helper()
	mi, err := harness.MakeTorrent(filepath.Join(seedDir, name), 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".torrent")
	if err := harness.WriteTorrentFile(mi, path); err != nil {
		t.Fatal(err)
	}
	tor, err := metainfo.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if tor.InfoHash != metainfo.Hash(mi.HashInfoBytes()) {
		t.Fatalf("info_hash %s, anacrolix says %s", tor.InfoHash, mi.HashInfoBytes())
	}
	return mi, tor
}

// runBT runs a bitclone bt node on loopback until the test ends.
func runBT(t *testing.T, cfg bt.Config) (*bt.Node, *nodetest.Running) {
	t.Helper()
	cfg.ListenHost = "127.0.0.1"
	n, err := bt.New(cfg)
	return nodetest.Start(t, n, err)
}

// fixtures are the trees the tests move: one file with a short last
// piece, and a directory with nested and empty files.
func fixtures(t *testing.T) []struct{ dir, name string } {
	single := t.TempDir()
	if err := harness.WriteRandomFile(filepath.Join(single, "single.bin"), 6<<20+12345, 1); err != nil {
		t.Fatal(err)
	}
	multi := t.TempDir()
	for i, f := range []struct {
		path string
		size int64
	}{{"album/a.bin", 1<<20 + 3}, {"album/disc 2/b.bin", 2 << 20}, {"album/disc 2/deep/c.txt", 10}} {
		if err := harness.WriteRandomFile(filepath.Join(multi, f.path), f.size, uint64(i+2)); err != nil {
			t.Fatal(err)
		}
	}
	return []struct{ dir, name string }{{single, "single.bin"}, {multi, "album"}}
}

// anacrolix seeds; bitclone downloads, byte-identical.
func TestAnacrolixSeedsToBitclone(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), transferTimeout)
			defer cancel()
			mi, tor := torrentOf(t, f.dir, f.name)
			seeder := harness.NewClient(t, f.dir)
			if _, err := seeder.Seed(ctx, mi); err != nil {
				t.Fatal(err)
			}
			dest := t.TempDir()
			n, run := runBT(t, bt.Config{Torrent: tor, Dir: dest, Peers: []netip.AddrPort{seeder.Addr4()}, NoMessageEvents: true})
			run.Wait("the download from anacrolix", n.Completed())
			run.Stop()
			if err := harness.SameTree(filepath.Join(f.dir, f.name), filepath.Join(dest, f.name)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// bitclone seeds; anacrolix downloads, byte-identical.
func TestBitcloneSeedsToAnacrolix(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), transferTimeout)
			defer cancel()
			mi, tor := torrentOf(t, f.dir, f.name)
			n, run := runBT(t, bt.Config{Torrent: tor, Dir: f.dir, NoMessageEvents: true})
			leecher := harness.NewClient(t, t.TempDir())
			if _, err := leecher.Download(ctx, mi, n.Addr()); err != nil {
				t.Fatalf("%v; bitclone's log:\n%s", err, run.Log())
			}
			leecher.Close()
			if err := harness.SameTree(filepath.Join(f.dir, f.name), filepath.Join(leecher.Dir, f.name)); err != nil {
				t.Fatal(err)
			}
			if _, up := n.Traffic(); up < tor.Info.TotalLength() {
				t.Errorf("bitclone sent %d payload bytes of %d", up, tor.Info.TotalLength())
			}
		})
	}
}

// btBenchMiB sizes BenchmarkBTDownload's file (issue 11 point 9: 256 MiB).
var btBenchMiB = flag.Int64("bt-bench-mib", 256, "size in MiB of the file BenchmarkBTDownload transfers")

// BenchmarkBTDownload downloads one file from one anacrolix seeder over
// one loopback connection, by anacrolix and by bitclone bt, one after the
// other in the same run: the ratio of their ns/op is the figure.
//
//	cd interop && go test -tags nosqlite,disable_libutp -run '^$' -bench BTDownload -benchtime 3x . -args -bt-bench-mib 256
func BenchmarkBTDownload(b *testing.B) {
	size := *btBenchMiB << 20
	seedDir := b.TempDir()
	src := filepath.Join(seedDir, "bench.bin")
	if err := harness.WriteRandomFile(src, size, 1); err != nil {
		b.Fatal(err)
	}
	mi, err := harness.MakeTorrent(src, 256<<10)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.torrent")
	if err := harness.WriteTorrentFile(mi, path); err != nil {
		b.Fatal(err)
	}
	tor, err := metainfo.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	seeder := harness.NewClient(b, seedDir)
	if _, err := seeder.Seed(b.Context(), mi); err != nil {
		b.Fatal(err)
	}
	// download runs one download into a fresh directory, timed.
	download := func(b *testing.B, get func(dir string)) {
		b.SetBytes(size)
		for range b.N {
			b.StopTimer()
			dir, err := os.MkdirTemp(b.TempDir(), "dl")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			get(dir)
			b.StopTimer()
			if err := harness.SameTree(src, filepath.Join(dir, "bench.bin")); err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(dir)
			b.StartTimer()
		}
	}
	b.Run("anacrolix", func(b *testing.B) {
		download(b, func(dir string) {
			leecher := harness.NewClient(b, dir)
			defer leecher.Close()
			if _, err := leecher.Download(context.Background(), mi, seeder.Addr4()); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("cp", func(b *testing.B) { // the same bytes with no network at all
		download(b, func(dir string) {
			if err := harness.CopyFile(src, filepath.Join(dir, "bench.bin")); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("bitclone", func(b *testing.B) {
		download(b, func(dir string) {
			n, err := bt.New(bt.Config{Torrent: tor, Dir: dir, ListenHost: "127.0.0.1", Peers: []netip.AddrPort{seeder.Addr4()}, NoMessageEvents: true})
			if err != nil {
				b.Fatal(err)
			}
			n, run := nodetest.Start(b, n, nil)
			run.Wait("the download", n.Completed())
			run.Stop()
		})
	})
}
