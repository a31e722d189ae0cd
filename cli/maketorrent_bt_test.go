package cli

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/bencode"
	"github.com/bitclone/bitclone/codec/metainfo"
)

// writeTree writes files (slash paths under dir -> sizes) of patterned bytes.
func writeTree(t *testing.T, dir string, files map[string]int) {
	t.Helper()
	for p, n := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Dir(full), filepath.Base(full), n)
	}
}

// checkAgainstDisk: the torrent's pieces are the SHA-1s of its files'
// bytes end to end, read from under root.
func checkAgainstDisk(t *testing.T, tr *metainfo.Torrent, root string) {
	t.Helper()
	var all []byte
	for _, f := range tr.Info.Files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.SlashPath())))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(data)) != f.Length || int64(len(all)) != f.Offset {
			t.Errorf("%s: %d bytes at %d, the torrent says %d at %d", f.SlashPath(), len(data), len(all), f.Length, f.Offset)
		}
		all = append(all, data...)
	}
	if len(tr.Info.Pieces) != (len(all)+tr.Info.PieceLength-1)/tr.Info.PieceLength {
		t.Fatalf("%d pieces for %d bytes", len(tr.Info.Pieces), len(all))
	}
	for i, h := range tr.Info.Pieces {
		piece := all[i*tr.Info.PieceLength : min(len(all), (i+1)*tr.Info.PieceLength)]
		if sha1.Sum(piece) != h {
			t.Errorf("piece %d: hash differs from the files'", i)
		}
	}
}

func TestMakeTorrentBT(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "movie.bin", 3*16384+17)
	share := filepath.Join(dir, "share")
	writeTree(t, share, map[string]int{"b/z.txt": 5, "a.txt": 70000, "b/a": 0, ".hidden": 3, "c d/é.bin": 16384})
	os.Mkdir(filepath.Join(share, "void"), 0o755)
	before := time.Now().Unix()
	for _, tc := range []struct {
		args      []string
		out       string
		name      string
		pieceSize int
		files     []string
		stdout    string
		stderr    string
	}{
		{[]string{"make-torrent", file, "--tracker", testTracker}, file + ".torrent", "movie.bin", 256 << 10, []string{"movie.bin"},
			"movie.bin, 49169 bytes in 1 file, 1 piece of 262144", ""},
		{[]string{"make-torrent", "--format", "bt", "--piece-size", "16384", "-o", filepath.Join(dir, "x.torrent"), file, "--tracker", testTracker}, filepath.Join(dir, "x.torrent"), "movie.bin", 16384, []string{"movie.bin"},
			"movie.bin, 49169 bytes in 1 file, 4 pieces of 16384", ""},
		{[]string{"make-torrent", share + "/", "--piece-size", "32768", "--tracker", testTracker}, share + ".torrent", "share", 32768,
			[]string{"share/.hidden", "share/a.txt", "share/b/a", "share/b/z.txt", "share/c d/é.bin"},
			"share, 86392 bytes in 5 files, 3 pieces of 32768",
			`bitclone make-torrent: "share/void" holds no file: not in the torrent (a torrent lists files only)` + "\n"},
	} {
		var stdout, stderr bytes.Buffer
		if status := execute(tc.args, nil, &stdout, &stderr); status != ExitOK {
			t.Fatalf("%q: status %d, stderr %q", tc.args, status, stderr.String())
		}
		data, err := os.ReadFile(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bencode.Decode(data); err != nil {
			t.Errorf("%q: not canonical bencode: %v", tc.args, err)
		}
		tr, err := metainfo.Parse(data)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		var paths []string
		for _, f := range tr.Info.Files {
			paths = append(paths, f.SlashPath())
		}
		if tr.Info.Name != tc.name || tr.Info.PieceLength != tc.pieceSize || strings.Join(paths, "|") != strings.Join(tc.files, "|") ||
			tr.Announce != testTracker || tr.CreatedBy != "bitclone" || tr.CreationDate < before || tr.CreationDate > time.Now().Unix() || tr.Info.Private {
			t.Errorf("%q: torrent %+v, files %q", tc.args, tr, paths)
		}
		checkAgainstDisk(t, tr, dir) // every case makes a torrent of something in dir
		if want := "wrote " + tc.out + ": " + tc.stdout + ", info_hash " + tr.InfoHash.String() + "\n"; stdout.String() != want {
			t.Errorf("stdout %q, want %q", stdout.String(), want)
		}
		if stderr.String() != tc.stderr {
			t.Errorf("stderr %q, want %q", stderr.String(), tc.stderr)
		}
	}
}

// "make-torrent ." is named after the directory, and so is its torrent.
func TestMakeTorrentBTDot(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	writeTree(t, share, map[string]int{"a": 10})
	t.Chdir(share)
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"make-torrent", ".", "--tracker", testTracker}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("status %d, stderr %q", status, stderr.String())
	}
	tr, err := metainfo.Load(share + ".torrent")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Info.Name != "share" || tr.Info.Files[0].SlashPath() != "share/a" {
		t.Errorf("torrent %+v", tr.Info)
	}
}

func TestMakeTorrentBTRefusesLinksInside(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	writeTree(t, share, map[string]int{"a": 10})
	writeTestFile(t, dir, "secret", 4)
	if err := os.Symlink(filepath.Join(dir, "secret"), filepath.Join(share, "link")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	var stdout, stderr bytes.Buffer
	status := execute([]string{"make-torrent", share, "--tracker", testTracker}, nil, &stdout, &stderr)
	want := "bitclone make-torrent: " + share + `: "share/link": a symbolic link: make-torrent takes regular files only (copy the file in, or make a torrent of it alone)` + "\n"
	if status != ExitError || stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("status %d, stderr %q, want %q", status, stderr.String(), want)
	}
	if _, err := os.Stat(share + ".torrent"); !os.IsNotExist(err) {
		t.Errorf("a torrent was written: %v", err)
	}
}

// Real clients read what make-torrent writes.

// libtorrentScript prints, for each torrent, what libtorrent reads in it as
// one JSON line, and whether a libtorrent session (on loopback, no DHT, LSD,
// UPnP or NAT-PMP) checks the files under the save path as complete: once
// it has checked them, it seeds only if every piece's hash matched.
const libtorrentScript = `
import json, sys, time
import libtorrent as lt
save = sys.argv[1]
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_incoming_utp': False,
                  'enable_outgoing_utp': False,
                  'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification})
for path in sys.argv[2:]:
    ti = lt.torrent_info(path)
    fs = ti.files()
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = save
    h = ses.add_torrent(atp)
    checked, deadline = False, time.time() + 30
    while not checked and time.time() < deadline:
        ses.wait_for_alert(100)
        checked = any(isinstance(a, lt.torrent_checked_alert) for a in ses.pop_alerts())
    s = h.status()
    ses.remove_torrent(h)
    print(json.dumps({
        'info_hash': str(ti.info_hash()), 'name': ti.name(), 'private': ti.priv(),
        'pieces': ti.num_pieces(), 'piece_length': ti.piece_length(), 'creator': ti.creator(),
        'trackers': [t.url for t in ti.trackers()],
        'files': [[fs.file_path(i), fs.file_size(i), fs.file_offset(i)] for i in range(fs.num_files())],
        'checked': checked, 'seeding': s.state == lt.torrent_status.seeding,
        'error': s.errc.message() if s.errc.value() else '',
    }))
`

// debianPython is where python3-libtorrent installs its module; a python3
// earlier on PATH (pyenv) may not see it.
const debianPython = "/usr/bin/python3"

func libtorrentPython(t *testing.T) string {
	for _, py := range []string{debianPython, "python3"} {
		if exec.Command(py, "-c", "import libtorrent").Run() == nil {
			return py
		}
	}
	t.Skip("libtorrent for Python is not installed (apt-get install python3-libtorrent): skipping the libtorrent check")
	return ""
}

// makeForClients writes a single-file and a multi-file torrent under dir
// (the save path) and returns their paths and what bitclone reads in them.
func makeForClients(t *testing.T, dir string) ([]string, []*metainfo.Torrent) {
	// A tracker nobody listens on: port 1 of loopback.
	const deadTracker = "http://127.0.0.1:1/announce"
	writeTestFile(t, dir, "single.bin", 5*16384+100)
	writeTree(t, filepath.Join(dir, "multi"), map[string]int{"a.bin": 20000, "b/c.txt": 1, "b/empty": 0, "d e/ü.bin": 50000, "z": 16384})
	var paths []string
	var torrents []*metainfo.Torrent
	for _, name := range []string{"single.bin", "multi"} {
		out := filepath.Join(t.TempDir(), name+".torrent")
		var stdout, stderr bytes.Buffer
		if status := execute([]string{"make-torrent", filepath.Join(dir, name), "--piece-size", "16384", "--tracker", deadTracker, "-o", out}, nil, &stdout, &stderr); status != ExitOK {
			t.Fatalf("make-torrent %s: status %d, %s", name, status, stderr.String())
		}
		tr, err := metainfo.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, out)
		torrents = append(torrents, tr)
	}
	return paths, torrents
}

func TestMakeTorrentLibtorrentReadsIt(t *testing.T) {
	py := libtorrentPython(t)
	dir := t.TempDir()
	paths, torrents := makeForClients(t, dir)
	out, err := exec.Command(py, append([]string{"-c", libtorrentScript, dir}, paths...)...).Output()
	if err != nil {
		t.Fatalf("libtorrent: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(torrents) {
		t.Fatalf("libtorrent printed %q", out)
	}
	for i, tr := range torrents {
		var got struct {
			InfoHash    string `json:"info_hash"`
			Name        string `json:"name"`
			Private     bool   `json:"private"`
			Pieces      int    `json:"pieces"`
			PieceLength int    `json:"piece_length"`
			Creator     string `json:"creator"`
			Trackers    []string
			Files       [][]any `json:"files"`
			Checked     bool    `json:"checked"`
			Seeding     bool    `json:"seeding"`
			Error       string  `json:"error"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		var files [][]any
		for _, f := range tr.Info.Files {
			files = append(files, []any{f.SlashPath(), float64(f.Length), float64(f.Offset)})
		}
		if got.InfoHash != tr.InfoHash.String() || got.Name != tr.Info.Name || got.Private || got.Pieces != tr.Info.NumPieces() ||
			got.PieceLength != tr.Info.PieceLength || got.Creator != "bitclone" || fmt.Sprint(got.Files) != fmt.Sprint(files) ||
			len(got.Trackers) != 1 || got.Trackers[0] != tr.Announce {
			t.Errorf("%s: libtorrent reads %+v\nbitclone reads %s %+v %v", paths[i], got, tr.InfoHash, tr.Info, files)
		}
		if !got.Checked || !got.Seeding || got.Error != "" {
			t.Errorf("%s: libtorrent does not find the files complete: checked %v, seeding %v, error %q", paths[i], got.Checked, got.Seeding, got.Error)
		}
	}
}

func TestMakeTorrentAria2ReadsIt(t *testing.T) {
	if _, err := exec.LookPath("aria2c"); err != nil {
		t.Skip("aria2c is not installed (apt-get install aria2): skipping the aria2 check")
	}
	paths, torrents := makeForClients(t, t.TempDir())
	for i, tr := range torrents {
		out, err := exec.Command("aria2c", "--show-files", paths[i]).CombinedOutput()
		if err != nil {
			t.Fatalf("aria2c: %v\n%s", err, out)
		}
		got := parseAria2(t, out)
		var files []string
		for _, f := range tr.Info.Files {
			files = append(files, f.SlashPath()+" "+strconv.FormatInt(f.Length, 10))
		}
		mode := map[bool]string{false: "single", true: "multi"}[tr.Info.MultiFile]
		if got.infoHash != tr.InfoHash.String() || got.name != tr.Info.Name || got.mode != mode || got.pieces != tr.Info.NumPieces() ||
			got.createdBy != "bitclone" || strings.Join(got.files, "|") != strings.Join(files, "|") {
			t.Errorf("%s: aria2 reads %+v\nbitclone reads %s %s %d pieces %q", paths[i], got, tr.InfoHash, mode, tr.Info.NumPieces(), files)
		}
	}
}

type aria2Info struct {
	infoHash, name, mode, createdBy string
	pieces                          int
	files                           []string // "path length"
}

var (
	aria2File   = regexp.MustCompile(`^\s*\d+\|\./(.*)$`)
	aria2Length = regexp.MustCompile(`^\s*\|.*\(([\d,]+)\)$`)
)

// parseAria2 reads what aria2c --show-files prints.
func parseAria2(t *testing.T, out []byte) aria2Info {
	var info aria2Info
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		key, value, _ := strings.Cut(line, ": ")
		switch key {
		case "Info Hash":
			info.infoHash = value
		case "Name":
			info.name = value
		case "Mode":
			info.mode = value
		case "Created By":
			info.createdBy = value
		case "The Number of Pieces":
			info.pieces, _ = strconv.Atoi(value)
		}
		if m := aria2File.FindStringSubmatch(line); m != nil {
			info.files = append(info.files, m[1])
		} else if m := aria2Length.FindStringSubmatch(line); m != nil && len(info.files) > 0 {
			info.files[len(info.files)-1] += " " + strings.ReplaceAll(m[1], ",", "")
		}
	}
	if info.infoHash == "" || len(info.files) == 0 {
		t.Fatalf("aria2c printed no info hash or files:\n%s", out)
	}
	return info
}
