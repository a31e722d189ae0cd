package cli

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
)

// parseNibble runs the nibble command line up to its settings.
func parseNibble(t *testing.T, args ...string) (nibbleSettings, error) {
	return parseNode(t, nibbleCommand, args...)
}

func TestNibbleHelpHasTheCommandLineOfDialects(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"nibble", "--help"}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("--help: status %d", status)
	}
	for _, flag := range []string{"nibble [flags] NETID TORRENT_FILE", "-p, --port N", "(default 8088)", "--host ADDR", `(default "localhost")`,
		"-d, --dest DIR", `(default ".")`, "-v, --verbose", "--tracker URL", "--peer HOST:PORT", "--no-tracker", "--exit-when-complete",
		"--headless", "--json", "--record FILE", "--quiet"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help lacks %q", flag)
		}
	}
}

func TestNibbleSettings(t *testing.T) {
	s, err := parseNibble(t, "le0nh4rt", "f.ntorrent")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if s.Netid != "le0nh4rt" || s.TorrentFile != "f.ntorrent" || c.NetID != "le0nh4rt" || c.Port != 8088 || c.Dir != "." ||
		c.ListenHost != "127.0.0.1" || c.AnnounceIP != netip.MustParseAddr("127.0.0.1") || c.NoTracker || s.Front.Headless {
		t.Errorf("defaults: %+v", s)
	}
	if !strings.HasSuffix(s.Front.HistoryFile, "history") && s.Front.HistoryFile != "" {
		t.Errorf("history file %q", s.Front.HistoryFile)
	}
	s, err = parseNibble(t, "-p", "9000", "-d", "/tmp", "--host", "::1", "--peer", "127.0.0.1:7001", "--peer", "localhost:7002",
		"--peer", "127.0.0.1:7001", "--no-tracker", "--exit-when-complete", "--headless", "--record", "r.jsonl", "bob", "x.ntorrent")
	if err != nil {
		t.Fatal(err)
	}
	c = s.Config
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7001"), netip.MustParseAddrPort("127.0.0.1:7002")}
	if c.Port != 9000 || c.Dir != "/tmp" || c.ListenHost != "::1" || !c.NoTracker || !s.ExitWhenComplete || s.Front.Record != "r.jsonl" ||
		len(c.Peers) != 2 || c.Peers[0] != want[0] || c.Peers[1] != want[1] {
		t.Errorf("flags: %+v", s)
	}
	// Headless shows frames only with -v; the TUI always has them.
	for _, tc := range []struct {
		args     []string
		noFrames bool
	}{
		{[]string{"--headless"}, true},
		{[]string{"--headless", "-v"}, false},
		{[]string{"--verbose", "--json"}, false},
		{[]string{"--quiet", "-v"}, true},
		{nil, false},
	} {
		s, err := parseNibble(t, append(tc.args, "n", "t")...)
		if err != nil || s.Config.NoMessageEvents != tc.noFrames {
			t.Errorf("%q: no frame events %v, %v; want %v", tc.args, s.Config.NoMessageEvents, err, tc.noFrames)
		}
	}
	if s, _ := parseNibble(t, "--pace", "2ms", "n", "t"); s.Config.Pace != 2*time.Millisecond {
		t.Errorf("--pace 2ms: pace %v", s.Config.Pace)
	}
	s, _ = parseNibble(t, "--tracker", "http://127.0.0.1:6969/announce", "--host", "0.0.0.0", "n", "t")
	if s.Config.TrackerURL != "http://127.0.0.1:6969/announce" || s.Config.AnnounceIP.IsValid() || s.Config.ListenHost != "0.0.0.0" {
		t.Errorf("--tracker, --host 0.0.0.0: %+v", s.Config)
	}
}

func TestNibbleUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"nibble", "", "t"}, "bitclone nibble: NETID is empty\n"},
		{[]string{"nibble", "le0n h4rt", "t"}, `bitclone nibble: NETID "le0n h4rt": character 5 is not a letter, a digit or - . _ ~` + "\n"},
		{[]string{"nibble", "a&peer_id=x", "t"}, `bitclone nibble: NETID "a&peer_id=x": character 2 is not`},
		{[]string{"nibble", strings.Repeat("x", 56), "t"}, "bitclone nibble: NETID \"xxxx"},
		{[]string{"nibble", "n"}, "bitclone nibble: accepts 2 arg(s), received 1\n"},
		{[]string{"nibble", "-p", "70000", "n", "t"}, "bitclone nibble: --port 70000: want 0 to 65535\n"},
		{[]string{"nibble", "--tracker", "http://x/a", "--no-tracker", "n", "t"}, "bitclone nibble: --tracker and --no-tracker: pick one\n"},
		{[]string{"nibble", "--tracker", "ftp://x/a", "n", "t"}, "bitclone nibble: --tracker: tracker_url: \"ftp://x/a\": want an http:// or https:// URL\n"},
		{[]string{"nibble", "--peer", "nope", "n", "t"}, "bitclone nibble: --peer \"nope\": want HOST:PORT\n"},
		{[]string{"nibble", "--peer", "127.0.0.1:0", "n", "t"}, "bitclone nibble: --peer \"127.0.0.1:0\": want HOST:PORT\n"},
		{[]string{"nibble", "--bogus", "n", "t"}, "bitclone nibble: unknown flag: --bogus\n"},
		{[]string{"nibble", "--pace", "-1s", "n", "t"}, "bitclone nibble: --pace -1s: want 0 or more\n"},
	} {
		var stdout, stderr bytes.Buffer
		if status := execute(tt.args, nil, &stdout, &stderr); status != ExitUsage || !strings.HasPrefix(stderr.String(), tt.want) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", tt.args, status, stderr.String(), ExitUsage, tt.want)
		}
	}
}

// writeTorrent writes data as FILE in dir and a torrent for it, and
// returns the torrent's path.
func writeTorrent(t *testing.T, data []byte) (*nibble.Torrent, string) {
	tor, err := nibble.MakeTorrent(bytes.NewReader(data), "file.bin", "http://127.0.0.1:1/announce", 4096)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "file.ntorrent")
	if err := os.WriteFile(path, nibble.MarshalTorrent(tor), 0o644); err != nil {
		t.Fatal(err)
	}
	return tor, path
}

func TestNibbleRunErrorsSayWhatIsWrong(t *testing.T) {
	data := bytes.Repeat([]byte("nibble"), 5000)
	tor, good := writeTorrent(t, data)
	bad := filepath.Join(t.TempDir(), "bad.ntorrent")
	os.WriteFile(bad, bytes.Replace(nibble.MarshalTorrent(tor), []byte(`"piece_size": 4096`), []byte(`"piece_size": 70000`), 1), 0o644)
	aFile := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(aFile, nil, 0o644)
	differs := t.TempDir()
	os.WriteFile(filepath.Join(differs, "file.bin"), []byte("something else"), 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	base := []string{"nibble", "--headless", "--no-tracker", "--host", "127.0.0.1"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "0", "n", bad}, "bitclone nibble: torrent: " + bad + ": piece_size: 70000 is more than 65535"},
		{[]string{"-p", "0", "n", filepath.Join(t.TempDir(), "missing")}, "bitclone nibble: torrent: open "},
		{[]string{"-p", "0", "-d", aFile, "n", good}, "bitclone nibble: --dest " + aFile + ": not a directory\n"},
		{[]string{"-p", "0", "-d", filepath.Join(aFile, "x"), "n", good}, "bitclone nibble: --dest " + filepath.Join(aFile, "x") + ": stat "},
		{[]string{"-p", "0", "-d", differs, "n", good}, "bitclone nibble: --dest " + differs + ": piece: destination file differs from the torrent"},
		{[]string{"-p", busyPort, "-d", t.TempDir(), "n", good}, "bitclone nibble: listen (--host, --port " + busyPort + "): listen tcp 127.0.0.1:" + busyPort + ": bind: address already in use\n"},
	} {
		var stdout, stderr bytes.Buffer
		if status := execute(append(base, tt.args...), strings.NewReader(""), &stdout, &stderr); status != ExitError || !strings.HasPrefix(stderr.String(), tt.want) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", tt.args, status, stderr.String(), ExitError, tt.want)
		}
	}
}

// bitclone nibble, headless, downloads from a classmate's peer given with
// --peer, exits 0 once complete; -v shows every frame, and --record keeps
// them in words.
func TestNibbleDownloadsAndExitsWhenComplete(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	tor, path := writeTorrent(t, data)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seeder := &fakepeer.Seeder{ID: tor.ID, PieceSize: tor.PieceSize, Data: data}
	seeder.Serve(ln)
	defer seeder.Close()
	for _, verbose := range []bool{false, true} {
		dest := t.TempDir()
		record := filepath.Join(t.TempDir(), "rec.jsonl")
		args := []string{"nibble", "--headless", "--no-tracker", "--host", "127.0.0.1", "-p", "0", "-d", dest,
			"--peer", ln.Addr().String(), "--exit-when-complete", "--record", record, "tester", path}
		if verbose {
			args = append(args, "-v")
		}
		var stdout, stderr bytes.Buffer
		if status := execute(args, strings.NewReader(""), &stdout, &stderr); status != ExitOK {
			t.Fatalf("status %d; stderr:\n%s\nstdout:\n%s", status, stderr.String(), stdout.String())
		}
		got, err := os.ReadFile(filepath.Join(dest, "file.bin"))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("the download differs (%v)", err)
		}
		out := stdout.String()
		if !strings.Contains(out, "complete: every piece verified and saved (79 pieces") {
			t.Errorf("no completion line:\n%s", out)
		}
		if frames := strings.Contains(out, " piece-request "); frames != verbose {
			t.Errorf("-v %v, frames in the log %v:\n%s", verbose, frames, out)
		}
		rec, err := os.ReadFile(record)
		if err != nil || !bytes.Contains(rec, []byte(`hello-request `+tor.ID.String())) {
			t.Errorf("the recording lacks the hello in words (%v):\n%.500s", err, rec)
		}
	}
}

func TestNibbleInterruptedBeforeCompleteIsAFailure(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 10000)
	_, path := writeTorrent(t, data)
	var stdout, stderr bytes.Buffer
	// No peers at all: :quit stops it before anything arrives.
	status := execute([]string{"nibble", "--headless", "--no-tracker", "--host", "127.0.0.1", "-p", "0", "-d", t.TempDir(),
		"--exit-when-complete", "tester", path}, strings.NewReader(":quit\n"), &stdout, &stderr)
	if status != ExitError || !strings.Contains(stderr.String(), "stopped before the download was complete") {
		t.Errorf("status %d, stderr %q", status, stderr.String())
	}
}

// Without --headless the TUI runs with the NibbleTorrent dialect; Ctrl-C
// quits it.
func TestNibbleWithoutHeadlessRunsTheTUI(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	_, path := writeTorrent(t, bytes.Repeat([]byte("y"), 10000))
	var stdout, stderr bytes.Buffer
	status := execute([]string{"nibble", "--no-tracker", "--host", "127.0.0.1", "-p", "0", "-d", t.TempDir(), "tester", path},
		strings.NewReader("\x03"), &stdout, &stderr)
	if status != ExitOK || !strings.Contains(stdout.String(), "\x1b[?1049h") {
		t.Errorf("status %d; stderr:\n%s\nstdout:\n%q", status, stderr.String(), stdout.String())
	}
}
