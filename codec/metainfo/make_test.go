package metainfo

import (
	"bytes"
	"crypto/sha1"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bitclone/bitclone/codec/bencode"
)

// pattern is n bytes that differ from piece to piece.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/13) ^ seed
	}
	return b
}

// pieceHashes hashes data in pieces, independently of Make.
func pieceHashes(data []byte, pl int) []Hash {
	var out []Hash
	for len(data) > 0 {
		k := min(pl, len(data))
		out = append(out, sha1.Sum(data[:k]))
		data = data[k:]
	}
	return out
}

var testDate = time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)

func TestMakeSingleFile(t *testing.T) {
	data := pattern(100, 1)
	fsys := fstest.MapFS{"in/movie.bin": {Data: data}}
	made, err := Make(fsys, "in/movie.bin", MakeOptions{Announce: testAnnounce, PieceLength: 32, CreatedBy: "bitclone", CreationDate: testDate})
	if err != nil {
		t.Fatal(err)
	}
	tr := made.Torrent
	if tr.Announce != testAnnounce || tr.CreatedBy != "bitclone" || tr.CreationDate != testDate.Unix() {
		t.Errorf("torrent %+v", tr)
	}
	if tr.Info.Name != "movie.bin" || tr.Info.MultiFile || tr.Info.Private || tr.Info.TotalLength() != 100 || tr.Info.PieceLength != 32 {
		t.Errorf("info %+v", tr.Info)
	}
	if !reflect.DeepEqual(tr.Info.Pieces, pieceHashes(data, 32)) {
		t.Errorf("piece hashes differ from the file's")
	}
	v, err := bencode.Decode(made.Data)
	if err != nil {
		t.Fatalf("not canonical: %v", err)
	}
	info, _ := v.Get("info")
	if _, ok := info.Get("private"); ok {
		t.Errorf("private is set")
	}
	if tr.InfoHash != sha1.Sum(info.Raw) {
		t.Errorf("info_hash")
	}
	if !bytes.HasPrefix(made.Data, []byte("d8:announce30:"+testAnnounce+"10:created by8:bitclone13:creation datei1795914000e4:infod6:lengthi100e4:name9:movie.bin12:piece lengthi32e6:pieces80:")) {
		t.Errorf("layout %q", made.Data[:min(len(made.Data), 200)])
	}
	// Defaults: the piece length, no creation date, no created by.
	made, err = Make(fsys, "in/movie.bin", MakeOptions{Announce: testAnnounce})
	if err != nil {
		t.Fatal(err)
	}
	if made.Torrent.Info.PieceLength != DefaultPieceLength || made.Torrent.Info.NumPieces() != 1 || made.Torrent.CreationDate != 0 || bytes.Contains(made.Data, []byte("created by")) {
		t.Errorf("defaults: %+v", made.Torrent)
	}
}

func TestMakeDirectory(t *testing.T) {
	fsys := fstest.MapFS{
		"d/b/z.txt":   {Data: pattern(7, 2)},
		"d/a.txt":     {Data: pattern(40, 3)},
		"d/b/a":       {Data: pattern(0, 0)},
		"d/.hidden":   {Data: pattern(5, 4)},
		"d/c/d/e/f":   {Data: pattern(33, 5)},
		"d/empty/x":   {Mode: 0o755 | os.ModeDir},
		"d/emptytoo":  {Mode: 0o755 | os.ModeDir},
		"other/ig.no": {Data: pattern(3, 6)},
	}
	made, err := Make(fsys, "d", MakeOptions{Announce: testAnnounce, PieceLength: 16})
	if err != nil {
		t.Fatal(err)
	}
	in := made.Torrent.Info
	var paths []string
	var all []byte
	for _, f := range in.Files {
		paths = append(paths, f.SlashPath())
		all = append(all, fsys[f.SlashPath()].Data...)
	}
	want := []string{"d/.hidden", "d/a.txt", "d/b/a", "d/b/z.txt", "d/c/d/e/f"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("files %q, want %q", paths, want)
	}
	if !in.MultiFile || in.Name != "d" || in.TotalLength() != 85 || in.Files[2].Offset != 45 || in.Files[4].Offset != 52 {
		t.Errorf("info %+v", in)
	}
	if !reflect.DeepEqual(in.Pieces, pieceHashes(all, 16)) {
		t.Errorf("piece hashes differ from the files' bytes end to end")
	}
	if !reflect.DeepEqual(made.EmptyDirs, []string{"d/empty", "d/empty/x", "d/emptytoo"}) {
		t.Errorf("empty directories %q", made.EmptyDirs)
	}
	if !bytes.Contains(made.Data, []byte("5:filesld6:lengthi5e4:pathl7:.hiddeneed6:lengthi40e4:pathl5:a.txteed6:lengthi0e4:pathl1:b1:aee")) {
		t.Errorf("files list %q", made.Data)
	}
}

func TestMakeErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"f":         {Data: []byte("x")},
		"zero":      {Data: nil},
		"emptydir":  {Mode: os.ModeDir | 0o755},
		"zeros/a":   {Data: nil},
		"dev/null":  {Mode: os.ModeDevice | os.ModeCharDevice},
		"withdev/x": {Mode: os.ModeNamedPipe},
	}
	for _, tc := range []struct {
		name string
		opt  MakeOptions
		want string
	}{
		{"f", MakeOptions{}, "announce: empty"},
		{"f", MakeOptions{Announce: "x"}, `announce: "x": want an http://, https:// or udp:// URL`},
		{"f", MakeOptions{Announce: testAnnounce, PieceLength: -1}, "info.piece length: -1: must be at least 1"},
		{"f", MakeOptions{Announce: testAnnounce, PieceLength: MaxPieceLength + 1}, "info.piece length: 67108865 is more than 67108864 (64 MiB)"},
		{"none", MakeOptions{Announce: testAnnounce}, "open none: file does not exist"},
		{"zero", MakeOptions{Announce: testAnnounce}, `"zero": nothing to share: every file is empty`},
		{"zeros", MakeOptions{Announce: testAnnounce}, `"zeros": nothing to share: every file is empty`},
		{"emptydir", MakeOptions{Announce: testAnnounce}, `"emptydir": no files in the directory: a torrent lists files`},
		{"dev/null", MakeOptions{Announce: testAnnounce}, `"dev/null": Dc---------, not a regular file or a directory`},
		{"withdev", MakeOptions{Announce: testAnnounce}, `"withdev/x": p---------, not a regular file: make-torrent takes regular files only`},
	} {
		_, err := Make(fsys, tc.name, tc.opt)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Make(%s, %+v): %v\n want %s", tc.name, tc.opt, err, tc.want)
		}
	}
}

// On a real directory: a symbolic link inside is refused by name (never
// skipped), while the named root may itself be a link.
func TestMakeRefusesLinksInside(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "share", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "share", "sub", "a"), []byte("abc"), 0o644)
	os.WriteFile(filepath.Join(dir, "outside"), []byte("secret"), 0o644)
	if err := os.Symlink(filepath.Join(dir, "share"), filepath.Join(dir, "link-to-share")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	fsys := os.DirFS(dir)
	made, err := Make(fsys, "link-to-share", MakeOptions{Announce: testAnnounce})
	if err != nil {
		t.Fatalf("a link as the root: %v", err)
	}
	if got := made.Torrent.Info.Files[0].SlashPath(); got != "link-to-share/sub/a" {
		t.Errorf("file %q", got)
	}
	os.Symlink(filepath.Join(dir, "outside"), filepath.Join(dir, "share", "sub", "b"))
	_, err = Make(fsys, "share", MakeOptions{Announce: testAnnounce})
	if err == nil || err.Error() != `"share/sub/b": a symbolic link: make-torrent takes regular files only (copy the file in, or make a torrent of it alone)` {
		t.Errorf("a link inside: %v", err)
	}
}

func TestMakeTooManyPieces(t *testing.T) {
	fsys := fstest.MapFS{"f": {Data: make([]byte, maxMadePieces+1)}}
	_, err := Make(fsys, "f", MakeOptions{Announce: testAnnounce, PieceLength: 1})
	if err == nil || !strings.Contains(err.Error(), `"f": more pieces than a torrent file of 16 MiB holds: choose a bigger piece length`) {
		t.Errorf("%v", err)
	}
}
