package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
)

// startNibbleSeeder serves a 4-piece file with the quirks q on loopback
// and writes its torrent; it returns the seeder's address and the torrent
// file.
func startNibbleSeeder(t *testing.T, q fakepeer.Quirks) (addr, torrent string) {
	t.Helper()
	data := bytes.Repeat([]byte("nibble check "), 300) // 3900 bytes: 3 pieces of 1000 and one of 900, each different
	for i := range data {
		data[i] += byte(i / 1000)
	}
	tor, err := nibble.MakeTorrent(bytes.NewReader(data), "file.txt", "http://127.0.0.1:6969/announce", 1000)
	if err != nil {
		t.Fatal(err)
	}
	torrent = filepath.Join(t.TempDir(), "file.ntorrent")
	if err := os.WriteFile(torrent, nibble.MarshalTorrent(tor), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &fakepeer.Seeder{ID: tor.ID, PieceSize: 1000, Data: data, Quirks: q}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return ln.Addr().String(), torrent
}

// check --dialect nibble passes a correct seeder, with exit status 0.
func TestCheckNibbleAgainstASeeder(t *testing.T) {
	addr, torrent := startNibbleSeeder(t, fakepeer.Quirks{})
	var stdout, stderr bytes.Buffer
	status := execute([]string{"check", "--dialect", "nibble", "--torrent", torrent, addr, "--timeout", "2s", "--pace", "5ms"}, nil, &stdout, &stderr)
	out := stdout.String()
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; report:\n%s", status, stderr.String(), out)
	}
	if !strings.HasPrefix(out, "bitclone check "+addr+"  (NibbleTorrent, torrent ") || !strings.Contains(out, ", 4 pieces of 1000 bytes; timeout 2s)\n") ||
		!strings.Contains(out, "\n14 passed in ") || strings.Count(out, "  PASS  ") != 14 || !strings.HasSuffix(out, "PASS: "+addr+" conforms\n") {
		t.Errorf("report:\n%s", out)
	}
}

// A seeder whose bitfield has spare bits set: the JSON report fails the
// bitfield check alone, and the exit status is 1.
func TestCheckNibbleJSONFailsABadBitfield(t *testing.T) {
	addr, torrent := startNibbleSeeder(t, fakepeer.Quirks{SpareBits: true})
	r := checkJSON(t, ExitError, "check", "--json", "--dialect", "nibble", "--torrent", torrent, addr, "--timeout", "2s", "--pace", "0")
	expectOnlyFailure(t, r, 14, "bitfield",
		"spare bits set: the last byte is ff, and for 4 pieces its low 4 bits must be zero")
}

func TestCheckNibbleErrors(t *testing.T) {
	_, torrent := startNibbleSeeder(t, fakepeer.Quirks{})
	bad := filepath.Join(t.TempDir(), "bad.ntorrent")
	os.WriteFile(bad, []byte(`{"torrent_id": "00"}`), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"check", "--dialect", "nibble", "127.0.0.1:1"}, ExitUsage, "bitclone check: --dialect nibble needs --torrent FILE\n"},
		{[]string{"check", "--torrent", torrent, "127.0.0.1:1"}, ExitUsage, "bitclone check: --torrent is for --dialect nibble or bt\n"},
		{[]string{"check", "--dialect", "bitclone", "--torrent", torrent, "127.0.0.1:1"}, ExitUsage, "bitclone check: --torrent is for --dialect nibble or bt\n"},
		{[]string{"check", "--dialect", "bit\x1b", "127.0.0.1:1"}, ExitUsage, `bitclone check: --dialect "bit\x1b": want bitclone, nibble, bt, pex or toy` + "\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", torrent, "--slow", "127.0.0.1:1"}, ExitUsage, "bitclone check: --slow is for --dialect bitclone\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", torrent, "--listen", "0", "127.0.0.1:1"}, ExitUsage, "bitclone check: --listen is for --dialect bitclone\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", torrent, "--timeout", "0s", "127.0.0.1:1"}, ExitUsage, "bitclone check: --timeout 0s: want a positive duration\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", torrent, "nope"}, ExitUsage, `bitclone check: bad peer "nope": want IPv4:PORT, [IPv6]:PORT or IP,PORT` + "\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", bad, "127.0.0.1:1"}, ExitUsage, "bitclone check: --torrent: " + bad + ": tracker_url: missing\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", torrent, closed}, ExitError, "bitclone check: cannot reach " + closed + ": dial tcp " + closed + ": connect: connection refused\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := withoutUsage(stderr.String())
		if status != tt.status || got != tt.stderr {
			t.Errorf("%q: status %d, stderr %q; want %d, %q", tt.args, status, got, tt.status, tt.stderr)
		}
	}
}
