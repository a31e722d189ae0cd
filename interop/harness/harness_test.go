package harness

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"go.uber.org/goleak"
)

// transferTimeout bounds one loopback transfer of a few MiB (well under a
// second, several under -race on 2 busy cores); it is a deadline for a hang.
const transferTimeout = time.Minute

func TestMain(m *testing.M) {
	Main(m)
}

// seedAndDownload makes a torrent of the tree at seedDir/name, seeds it from
// seedDir with one client, downloads it with another into a fresh directory,
// and checks that the download is byte-identical.
func seedAndDownload(t *testing.T, seedDir, name string, pieceLength int64) {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(t.Context(), transferTimeout)
	defer cancel()

	mi, err := MakeTorrent(filepath.Join(seedDir, name), pieceLength)
	if err != nil {
		t.Fatal(err)
	}
	seeder := NewClient(t, seedDir)
	defer seeder.Close()
	if _, err := seeder.Seed(ctx, mi); err != nil {
		t.Fatal(err)
	}
	leecher := NewClient(t, t.TempDir())
	defer leecher.Close()
	tor, err := leecher.Download(ctx, mi, seeder.Addrs()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range tor.PeerConns() {
		if ap, err := netip.ParseAddrPort(pc.RemoteAddr.String()); err != nil || !ap.Addr().IsLoopback() {
			t.Errorf("leecher connected to %v, not a loopback address", pc.RemoteAddr)
		}
	}
	if err := SameTree(filepath.Join(seedDir, name), filepath.Join(leecher.Dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestSeedToDownloadSingleFile(t *testing.T) {
	dir := t.TempDir()
	// Not a multiple of the piece length: the last piece is short. 16 MiB
	// is more than anacrolix's default request budget lets through.
	if err := WriteRandomFile(filepath.Join(dir, "single.bin"), 16<<20+12345, 1); err != nil {
		t.Fatal(err)
	}
	seedAndDownload(t, dir, "single.bin", 256<<10)
}

func TestSeedToDownloadMultiFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int64{
		"multi/a.bin":          1<<20 + 7,
		"multi/empty.txt":      0,
		"multi/sub/b.bin":      100_000, // spans a piece boundary with a.bin's tail
		"multi/sub/deep/c.bin": 2<<20 + 1,
	}
	seed := uint64(10)
	for rel, size := range files {
		if err := WriteRandomFile(filepath.Join(dir, rel), size, seed); err != nil {
			t.Fatal(err)
		}
		seed++
	}
	seedAndDownload(t, dir, "multi", 256<<10)
}

// A seeder whose data does not match its torrent is caught by Seed, not
// served: the harness's own guard against comparing garbage with garbage.
func TestSeedRefusesWrongData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	if err := WriteRandomFile(path, 1<<20, 1); err != nil {
		t.Fatal(err)
	}
	mi, err := MakeTorrent(path, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRandomFile(path, 1<<20, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(t, dir).Seed(t.Context(), mi); err == nil {
		t.Fatal("Seed accepted data that does not match the torrent")
	}
}

func TestConfigIsLoopbackOnly(t *testing.T) {
	cfg := Config(t.TempDir())
	for name, off := range map[string]bool{
		"NoDHT":                              cfg.NoDHT,
		"DisableTrackers":                    cfg.DisableTrackers,
		"NoDefaultPortForwarding":            cfg.NoDefaultPortForwarding,
		"DisableUTP":                         cfg.DisableUTP,
		"DisablePEX":                         cfg.DisablePEX,
		"DisableWebseeds":                    cfg.DisableWebseeds,
		"DisableWebtorrent":                  cfg.DisableWebtorrent,
		"!PeriodicallyAnnounceTorrentsToDht": !cfg.PeriodicallyAnnounceTorrentsToDht,
	} {
		if !off {
			t.Errorf("config: %s is not set", name)
		}
	}
	for _, network := range []string{"tcp4", "tcp6", "udp4", "udp6", "tcp", "udp"} {
		host := cfg.ListenHost(network)
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			t.Errorf("config: ListenHost(%q) = %q, not a loopback address", network, host)
		}
	}
	for _, ip := range []string{"127.0.0.1", "127.3.2.1", "::1"} {
		if _, blocked := cfg.IPBlocklist.Lookup(net.ParseIP(ip)); blocked {
			t.Errorf("block list blocks loopback %s", ip)
		}
	}
	// Only looked up, never contacted.
	for _, ip := range []string{"192.0.2.1", "10.0.0.1", "0.0.0.0", "::", "2001:db8::1", "::ffff:192.0.2.1"} {
		if _, blocked := cfg.IPBlocklist.Lookup(net.ParseIP(ip)); !blocked {
			t.Errorf("block list lets %s through", ip)
		}
	}
}

func TestClientListensOnLoopbackOnly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := NewClient(t, t.TempDir())
	defer c.Close()
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		t.Fatal("client listens nowhere")
	}
	for _, a := range addrs {
		if a.Network() != "tcp" {
			t.Errorf("listening on %s %v: only TCP is expected", a.Network(), a)
		}
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil || !ap.Addr().IsLoopback() {
			t.Errorf("listening on %v, not a loopback address", a)
		}
	}
	if got := c.Addrs(); len(got) != len(addrs) {
		t.Errorf("Addrs() = %v, want the %d listen addresses %v", got, len(addrs), addrs)
	}
	if a := c.Addr4(); !a.Addr().Is4() || !a.Addr().IsLoopback() || a.Port() == 0 {
		t.Errorf("Addr4() = %v, want 127.0.0.1 and the listen port", a)
	}
}

// A torrent file written by the harness loads back with the same info_hash.
func TestWriteTorrentFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	if err := WriteRandomFile(path, 100_000, 1); err != nil {
		t.Fatal(err)
	}
	mi, err := MakeTorrent(path, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	tf := filepath.Join(dir, "f.torrent")
	if err := WriteTorrentFile(mi, tf); err != nil {
		t.Fatal(err)
	}
	back, err := metainfo.LoadFromFile(tf)
	if err != nil {
		t.Fatal(err)
	}
	if back.HashInfoBytes() != mi.HashInfoBytes() {
		t.Errorf("info_hash %v after the round trip, want %v", back.HashInfoBytes(), mi.HashInfoBytes())
	}
	info, err := back.UnmarshalInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "f.bin" || info.Length != 100_000 || info.NumPieces() != 7 {
		t.Errorf("info = name %q, length %d, %d pieces; want f.bin, 100000, 7", info.Name, info.Length, info.NumPieces())
	}
}

// SameTree is what the transfer tests rest on: it must see a changed byte,
// a missing file and an extra one.
func TestSameTreeSeesDifferences(t *testing.T) {
	want := t.TempDir()
	for _, rel := range []string{"a.bin", "sub/b.bin"} {
		if err := WriteRandomFile(filepath.Join(want, rel), 3<<20, 1); err != nil {
			t.Fatal(err)
		}
	}
	copyTree := func(t *testing.T) string {
		got := t.TempDir()
		for _, rel := range []string{"a.bin", "sub/b.bin"} {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(got, rel)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := CopyFile(filepath.Join(want, rel), filepath.Join(got, rel)); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}
	if err := SameTree(want, copyTree(t)); err != nil {
		t.Fatalf("identical trees: %v", err)
	}
	flipped := copyTree(t)
	f, err := os.OpenFile(filepath.Join(flipped, "sub/b.bin"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 2<<20+5); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, 2<<20+5); err != nil {
		t.Fatal(err)
	}
	f.Close()
	missing := copyTree(t)
	os.Remove(filepath.Join(missing, "a.bin"))
	extra := copyTree(t)
	if err := os.WriteFile(filepath.Join(extra, "c.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	short := copyTree(t)
	if err := os.Truncate(filepath.Join(short, "a.bin"), 3<<20-1); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"changed byte": flipped, "missing file": missing, "extra file": extra, "short file": short} {
		if err := SameTree(want, got); err == nil {
			t.Errorf("%s: SameTree saw no difference", name)
		}
	}
}

// anacrolix refuses a peer outside loopback before any dial: AddPeers takes
// the loopback peer and not the other. Dialling is switched off in this
// client, so even a broken block list could not send a packet off loopback.
func TestAddPeersRefusesNonLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	if err := WriteRandomFile(path, 64<<10, 1); err != nil {
		t.Fatal(err)
	}
	mi, err := MakeTorrent(path, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(t, t.TempDir(), func(cfg *torrent.ClientConfig) { cfg.DialForPeerConns = false })
	defer c.Close()
	tor, err := c.AddTorrent(mi)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		want int
	}{
		{"127.0.0.1:6881", 1},
		{"[::1]:6881", 1},
		{"192.0.2.1:6881", 0},
		{"[2001:db8::1]:6881", 0},
	} {
		ap := netip.MustParseAddrPort(tc.addr)
		n := tor.AddPeers([]torrent.PeerInfo{{Addr: net.TCPAddrFromAddrPort(ap), Source: torrent.PeerSourceDirect}})
		if n != tc.want {
			t.Errorf("AddPeers(%s) took %d peers, want %d", tc.addr, n, tc.want)
		}
	}
	known := tor.KnownSwarm()
	if !slices.ContainsFunc(known, func(p torrent.PeerInfo) bool { return p.Addr.String() == "127.0.0.1:6881" }) {
		t.Errorf("known swarm %v lacks the loopback peer", known)
	}
}
