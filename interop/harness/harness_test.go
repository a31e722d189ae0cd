package harness

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
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
