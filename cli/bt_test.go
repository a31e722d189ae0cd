package cli

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer"
	bt "github.com/bitclone/bitclone/peer/bittorrent"
	"github.com/bitclone/bitclone/peer/nodetest"
	"github.com/bitclone/bitclone/tracker"
)

// parseBT runs the bt command line up to its settings.
func parseBT(t *testing.T, args ...string) (btSettings, error) {
	return parseNode(t, btCommand, args...)
}

func TestBTHelpHasTheCommandLineOfDialects(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"bt", "--help"}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("--help: status %d", status)
	}
	for _, flag := range []string{"bt [flags] TORRENT_FILE", "-p, --port N", "(default 6881)", "--host ADDR",
		"-d, --dest DIR", `(default ".")`, "-v, --verbose", "--peer HOST:PORT", "--no-tracker", "--exit-when-complete",
		"--headless", "--json", "--record FILE", "--quiet", "--pace D"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help lacks %q", flag)
		}
	}
}

func TestBTSettings(t *testing.T) {
	s, err := parseBT(t, "f.torrent")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if s.TorrentFile != "f.torrent" || c.Port != 6881 || c.Dir != "." || c.ListenHost != "" || c.AnnounceIP.IsValid() ||
		s.NoTracker || s.swarm.Front.Headless || c.NoMessageEvents {
		t.Errorf("defaults: %+v", s)
	}
	s, err = parseBT(t, "-p", "7000", "-d", "/tmp", "--host", "127.0.0.1", "--peer", "127.0.0.1:7001", "--peer", "localhost:7002",
		"--peer", "127.0.0.1:7001", "--no-tracker", "--exit-when-complete", "--headless", "--record", "r.jsonl", "x.torrent")
	if err != nil {
		t.Fatal(err)
	}
	c = s.Config
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7001"), netip.MustParseAddrPort("127.0.0.1:7002")}
	if c.Port != 7000 || c.Dir != "/tmp" || c.ListenHost != "127.0.0.1" || c.AnnounceIP != netip.MustParseAddr("127.0.0.1") ||
		!s.NoTracker || !s.swarm.ExitWhenComplete || s.swarm.Front.Record != "r.jsonl" || !c.NoMessageEvents ||
		len(c.Peers) != 2 || c.Peers[0] != want[0] || c.Peers[1] != want[1] {
		t.Errorf("flags: %+v", s)
	}
	if s, _ := parseBT(t, "--headless", "-v", "t"); s.Config.NoMessageEvents {
		t.Error("--headless -v: frames are not built")
	}
}

func TestBTUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"bt"}, "bitclone bt: accepts 1 arg(s), received 0\n"},
		{[]string{"bt", "-p", "70000", "t"}, "bitclone bt: --port 70000: want 0 to 65535\n"},
		{[]string{"bt", "--peer", "nope", "t"}, "bitclone bt: --peer \"nope\": want HOST:PORT\n"},
		{[]string{"bt", "--pace", "-1s", "t"}, "bitclone bt: --pace -1s: want 0 or more\n"},
		{[]string{"bt", "--tracker", "http://x/a", "t"}, "bitclone bt: unknown flag: --tracker\n"},
	} {
		var stdout, stderr bytes.Buffer
		if status := execute(tt.args, nil, &stdout, &stderr); status != ExitUsage || !strings.HasPrefix(stderr.String(), tt.want) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", tt.args, status, stderr.String(), ExitUsage, tt.want)
		}
	}
}

// writeBTTorrent writes data as file.bin in a new directory and a torrent
// for it beside; it returns the torrent, its path and the directory.
func writeBTTorrent(t *testing.T, data []byte, pieceLen int) (*metainfo.Torrent, string, string) {
	t.Helper()
	return writeBTTorrentFor(t, data, pieceLen, "http://127.0.0.1:1/announce")
}

// writeBTTorrentFor is writeBTTorrent with the tracker at announce.
func writeBTTorrentFor(t *testing.T, data []byte, pieceLen int, announce string) (*metainfo.Torrent, string, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := metainfo.Make(os.DirFS(dir), "file.bin", metainfo.MakeOptions{Announce: announce, PieceLength: pieceLen})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "file.torrent")
	if err := os.WriteFile(path, m.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return m.Torrent, path, dir
}

// seedBT runs a bt node seeding dir until the test ends.
func seedBT(t *testing.T, tor *metainfo.Torrent, dir string) *bt.Node {
	t.Helper()
	n, err := bt.New(bt.Config{Torrent: tor, Dir: dir, ListenHost: "127.0.0.1", NoMessageEvents: true})
	n, _ = nodetest.Start(t, n, err)
	return n
}

// bitclone bt, headless with -v, downloads from a seeder given with
// --peer, exits 0 once complete, and its --record replays in BitTorrent's
// framing.
func TestBTDownloadsRecordsAndReplays(t *testing.T) {
	data := nodetest.Pattern(300<<10+5, 3)
	tor, path, seedDir := writeBTTorrent(t, data, 64<<10)
	seeder := seedBT(t, tor, seedDir)
	dest := t.TempDir()
	record := filepath.Join(t.TempDir(), "rec.jsonl")
	var stdout, stderr bytes.Buffer
	status := execute([]string{"bt", "--headless", "-v", "--no-tracker", "--host", "127.0.0.1", "-p", "0", "-d", dest,
		"--peer", seeder.Addr().String(), "--exit-when-complete", "--record", record, path}, strings.NewReader(""), &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d; stderr:\n%s\nstdout:\n%s", status, stderr.String(), stdout.String())
	}
	got, err := os.ReadFile(filepath.Join(dest, "file.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the download differs (%v)", err)
	}
	out := stdout.String()
	for _, want := range []string{"complete: every piece verified and saved (5 pieces", " request 0 0 16384", " interested\n", " unchoke\n", " bitfield f8 (5 pieces, 5 have)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%.3000s", want, out)
		}
	}
	rec, err := os.ReadFile(record)
	if err != nil || !bytes.Contains(rec, []byte(`"dialect":"bt"`)) || !bytes.Contains(rec, []byte("request 0 0 16384")) {
		t.Fatalf("the recording does not name bt or lacks the requests in words (%v):\n%.800s", err, rec)
	}

	// Replayed to the seeder: our handshake and messages go out byte for
	// byte, and its answers read as BitTorrent.
	stdout.Reset()
	stderr.Reset()
	if status := execute([]string{"replay", record, "--to", seeder.Addr().String(), "--wait", "300ms"}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("replay: status %d; stderr:\n%s", status, stderr.String())
	}
	for _, want := range []string{"> handshake", "= handshake", "= bitfield", "> interested", "= unchoke", "> request 0 0 16384", "piece 0 0 (16384 bytes)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the replay lacks %q:\n%.3000s", want, stdout.String())
		}
	}
}

// bitclone bt finds its peers through the torrent's tracker: a seeder and
// a leecher that know nothing of each other meet at a bitclone tracker,
// and the leecher says stopped as it exits.
func TestBTFindsItsSeederThroughTheTracker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	srv := tracker.New(tracker.Config{OnEvent: func(e tracker.ServerEvent) {
		mu.Lock()
		events = append(events, e.String())
		mu.Unlock()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })

	data := nodetest.Pattern(200<<10+9, 5)
	tor, path, seedDir := writeBTTorrentFor(t, data, 32<<10, "http://"+ln.Addr().String()+"/announce")
	n, err := bt.New(bt.Config{Torrent: tor, Dir: seedDir, ListenHost: "127.0.0.1", AnnounceIP: netip.MustParseAddr("127.0.0.1"),
		NoMessageEvents: true, Tracker: btAnnounce(tor)})
	_, seeder := nodetest.Start(t, n, err)
	seeder.WaitText(peer.KindInfo, "tracker http://") // announced

	dest := t.TempDir()
	var stdout, stderr bytes.Buffer
	status := execute([]string{"bt", "--headless", "--host", "127.0.0.1", "-p", "0", "-d", dest, "--exit-when-complete", path},
		strings.NewReader(""), &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d; stderr:\n%s\nstdout:\n%s", status, stderr.String(), stdout.String())
	}
	if got, err := os.ReadFile(filepath.Join(dest, "file.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the download differs (%v)", err)
	}
	if !strings.Contains(stdout.String(), "1 peer") {
		t.Errorf("the leecher's log never heard of the seeder from the tracker:\n%s", stdout.String())
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(events, "\n")
	if strings.Count(all, "joined ") != 2 || !strings.Contains(all, "left ") {
		t.Errorf("the tracker saw, want two peers joining and one leaving:\n%s", all)
	}
}
