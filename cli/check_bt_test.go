package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer/bittorrent/fakebt"
)

// startBTSeeder serves a 3-piece file with the quirks q on loopback and
// writes its .torrent; it returns the seeder's address and the torrent
// file.
func startBTSeeder(t *testing.T, q fakebt.Quirks) (addr, torrent string) {
	t.Helper()
	const pieceLength = 16 << 10
	data := bytes.Repeat([]byte("bt check "), 5000) // 45000 bytes: 2 pieces of 16 KiB and one of 12232
	for i := range data {
		data[i] += byte(i / pieceLength)
	}
	made, err := metainfo.Make(fstest.MapFS{"file.txt": {Data: data}}, "file.txt",
		metainfo.MakeOptions{Announce: "http://127.0.0.1:6969/announce", PieceLength: pieceLength})
	if err != nil {
		t.Fatal(err)
	}
	torrent = filepath.Join(t.TempDir(), "file.torrent")
	if err := os.WriteFile(torrent, made.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &fakebt.Seeder{InfoHash: made.Torrent.InfoHash, PieceLength: pieceLength, Data: data, Quirks: q}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return ln.Addr().String(), torrent
}

// check --dialect bt passes a correct seeder, with exit status 0.
func TestCheckBTAgainstASeeder(t *testing.T) {
	addr, torrent := startBTSeeder(t, fakebt.Quirks{})
	var stdout, stderr bytes.Buffer
	status := execute([]string{"check", "--dialect", "bt", "--torrent", torrent, addr, "--timeout", "2s", "--pace", "5ms"}, nil, &stdout, &stderr)
	out := stdout.String()
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; report:\n%s", status, stderr.String(), out)
	}
	if !strings.HasPrefix(out, "bitclone check "+addr+"  (BitTorrent, info_hash ") || !strings.Contains(out, ", 3 pieces of 16384 bytes; timeout 2s)\n") ||
		!strings.Contains(out, "\n11 passed in ") || strings.Count(out, "  PASS  ") != 11 || !strings.HasSuffix(out, "PASS: "+addr+" conforms\n") {
		t.Errorf("report:\n%s", out)
	}
}

// A seeder that serves while choked: the JSON report fails the choking
// check alone, and the exit status is 1.
func TestCheckBTJSONFailsServingWhileChoked(t *testing.T) {
	addr, torrent := startBTSeeder(t, fakebt.Quirks{ServeWhileChoked: true})
	r := checkJSON(t, ExitError, "check", "--json", "--dialect", "bt", "--torrent", torrent, addr, "--timeout", "2s", "--pace", "0")
	expectOnlyFailure(t, r, 11, "choking",
		"it served a request while choking us (before our interested and its unchoke)")
}

func TestCheckBTErrors(t *testing.T) {
	_, torrent := startBTSeeder(t, fakebt.Quirks{})
	bad := filepath.Join(t.TempDir(), "bad.torrent")
	os.WriteFile(bad, []byte("d4:infod4:name1:xee"), 0o644)
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
		{[]string{"check", "--dialect", "bt", "127.0.0.1:1"}, ExitUsage, "bitclone check: --dialect bt needs --torrent FILE\n"},
		{[]string{"check", "--dialect", "bt", "--torrent", torrent, "--slow", "127.0.0.1:1"}, ExitUsage, "bitclone check: --slow is for --dialect bitclone\n"},
		{[]string{"check", "--dialect", "bt", "--torrent", torrent, "--pace", "-1s", "127.0.0.1:1"}, ExitUsage, "bitclone check: --pace -1s: want 0 or more\n"},
		{[]string{"check", "--dialect", "bt", "--torrent", torrent, "nope"}, ExitUsage, `bitclone check: bad peer "nope": want IPv4:PORT, [IPv6]:PORT or IP,PORT` + "\n"},
		{[]string{"check", "--dialect", "bt", "--torrent", bad, "127.0.0.1:1"}, ExitUsage, "bitclone check: --torrent: " + bad + ": "},
		{[]string{"check", "--dialect", "bt", "--torrent", torrent, closed}, ExitError, "bitclone check: cannot reach " + closed + ": dial tcp " + closed + ": connect: connection refused\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := withoutUsage(stderr.String())
		if status != tt.status || !strings.HasPrefix(got, tt.stderr) || strings.HasSuffix(tt.stderr, "\n") && got != tt.stderr {
			t.Errorf("%q: status %d, stderr %q; want %d, %q", tt.args, status, got, tt.status, tt.stderr)
		}
	}
}
