package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/nibble"
)

const testTracker = "http://127.0.0.1:6969/announce"

// writeTestFile writes n bytes of a pattern to dir/name.
func writeTestFile(t *testing.T, dir, name string, n int) string {
	t.Helper()
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*31 + i/251)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// make -> load -> verify against the file, with the defaults and with
// -o and --piece-size.
func TestMakeTorrentRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := writeTestFile(t, dir, "movie.bin", 3*4096+17)
	for _, tc := range []struct {
		args      []string
		out       string
		pieceSize int
	}{
		{[]string{"make-torrent", "--format", "nibble", path, "--tracker", testTracker}, path + ".ntorrent", 4096},
		{[]string{"make-torrent", "--format", "nibble", "--piece-size", "1000", "-o", filepath.Join(dir, "x.ntorrent"), path, "--tracker", testTracker}, filepath.Join(dir, "x.ntorrent"), 1000},
	} {
		var stdout, stderr bytes.Buffer
		if status := execute(tc.args, nil, &stdout, &stderr); status != ExitOK {
			t.Fatalf("%q: status %d, stderr %q", tc.args, status, stderr.String())
		}
		tr, err := nibble.LoadTorrent(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		if tr.FileName != "movie.bin" || tr.TrackerURL != testTracker || tr.PieceSize != tc.pieceSize || tr.FileSize != 3*4096+17 {
			t.Errorf("%q: torrent %+v", tc.args, tr)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Verify(file); err != nil {
			t.Errorf("%q: Verify against the file: %v", tc.args, err)
		}
		file.Close()
		want := "wrote " + tc.out + ": movie.bin, 12305 bytes in " + map[int]string{4096: "4 pieces of 4096", 1000: "13 pieces of 1000"}[tc.pieceSize] + ", torrent_id " + tr.ID.String() + "\n"
		if stdout.String() != want {
			t.Errorf("stdout %q, want %q", stdout.String(), want)
		}
	}
	// The file is the spec's layout: four-space indent, keys in its order.
	text, _ := os.ReadFile(path + ".ntorrent")
	if !strings.HasPrefix(string(text), "{\n    \"torrent_id\": \"") || !strings.Contains(string(text), "\",\n    \"tracker_url\": \"http://127.0.0.1:6969/announce\",\n    \"file_size\": 12305,\n    \"file_name\": \"movie.bin\",\n    \"piece_size\": 4096,\n    \"pieces\": [\n        \"") {
		t.Errorf("layout:\n%s", text)
	}
}

func TestMakeTorrentErrors(t *testing.T) {
	dir := t.TempDir()
	path := writeTestFile(t, dir, "f", 10)
	missing := filepath.Join(dir, "none")
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"make-torrent", "--format", "nibble", missing, "--tracker", testTracker}, ExitError,
			"bitclone make-torrent: open " + missing + ": no such file or directory\n"},
		{[]string{"make-torrent", "--format", "nibble", dir, "--tracker", testTracker}, ExitError,
			"bitclone make-torrent: " + dir + " is a directory: a nibble torrent describes one file\n"},
		{[]string{"make-torrent", "--format", "nibble", "--piece-size", "65536", path, "--tracker", testTracker}, ExitUsage,
			"bitclone make-torrent: --piece-size 65536: at most 65535 for nibble: a piece must fit one frame (the length field is 16 bits)\n"},
		{[]string{"make-torrent", "--format", "nibble", "--piece-size", "-1", path, "--tracker", testTracker}, ExitUsage,
			"bitclone make-torrent: --piece-size -1: want a positive size\n"},
		{[]string{"make-torrent", "--format", "nibble", path, "--tracker", "127.0.0.1:6969"}, ExitUsage,
			`bitclone make-torrent: --tracker: tracker_url: "127.0.0.1:6969": want an http:// or https:// URL` + "\n"},
		{[]string{"make-torrent", "--format", "nibble", path}, ExitUsage, "bitclone make-torrent: --tracker URL is required\n"},
		{[]string{"make-torrent", "--format", "zip", path, "--tracker", testTracker}, ExitUsage, `bitclone make-torrent: --format "zip": want bt or nibble` + "\n"},
		{[]string{"make-torrent", "--tracker", testTracker}, ExitUsage, "bitclone make-torrent: accepts 1 arg(s), received 0\n"},
		{[]string{"make-torrent", "--format", "nibble", path, "-o", path, "--tracker", testTracker}, ExitUsage, "bitclone make-torrent: -o " + path + " is FILE itself\n"},
		{[]string{"make-torrent", missing, "--tracker", testTracker}, ExitError,
			"bitclone make-torrent: stat " + missing + ": no such file or directory\n"},
		{[]string{"make-torrent", path, "--tracker", "127.0.0.1:6969"}, ExitUsage,
			`bitclone make-torrent: --tracker: announce: "127.0.0.1:6969": want an http://, https:// or udp:// URL` + "\n"},
		{[]string{"make-torrent", "--piece-size", "67108865", path, "--tracker", testTracker}, ExitUsage,
			"bitclone make-torrent: --piece-size 67108865: at most 67108864 (64 MiB) for bt\n"},
		{[]string{"make-torrent", path, "-o", path, "--tracker", testTracker}, ExitUsage, "bitclone make-torrent: -o " + path + " is FILE itself\n"},
		{[]string{"make-torrent", path, "--tracker", testTracker, "-o", filepath.Join(missing, "x")}, ExitError,
			"bitclone make-torrent: create " + filepath.Join(missing, "x") + ": no such file or directory\n"},
		{[]string{"make-torrent", "--format", "nibble", path, "--tracker", testTracker, "-o", filepath.Join(missing, "x")}, ExitError,
			"bitclone make-torrent: create " + filepath.Join(missing, "x") + ": no such file or directory\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := withoutUsage(stderr.String())
		if status != tt.status || !strings.HasPrefix(got, tt.stderr) || stdout.Len() != 0 {
			t.Errorf("%q: status %d, stderr %q, stdout %q; want %d, %q", tt.args, status, got, stdout.String(), tt.status, tt.stderr)
		}
	}
	if data, _ := os.ReadFile(path); len(data) != 10 {
		t.Errorf("-o FILE changed the file: %d bytes", len(data))
	}
	for _, ext := range []string{".ntorrent", ".torrent"} {
		if _, err := os.Stat(path + ext); !os.IsNotExist(err) {
			t.Errorf("a failed make-torrent wrote a torrent: %v", err)
		}
	}
}
