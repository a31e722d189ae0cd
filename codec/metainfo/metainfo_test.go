package metainfo

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/bencode"
)

const testAnnounce = "http://127.0.0.1:6969/announce"

// e is a dictionary entry, for building test torrents.
func e(key string, v bencode.Value) bencode.Entry { return bencode.Entry{Key: key, Value: v} }

func s(str string) bencode.Value { return bencode.String(str) }
func n(i int64) bencode.Value    { return bencode.Int(i) }

// hashes is k piece hashes' worth of bytes.
func hashes(k int) bencode.Value {
	return bencode.Bytes(bytes.Repeat([]byte("0123456789abcdefghij"), k))
}

func fileEntry(length int64, path ...string) bencode.Value {
	comps := make([]bencode.Value, len(path))
	for i, c := range path {
		comps[i] = s(c)
	}
	return bencode.Dict(e("length", n(length)), e("path", bencode.List(comps...)))
}

// multiInfo is a valid multi-file info dictionary's entries: 3 + 0 + 5
// bytes in pieces of 4 (2 pieces).
func multiInfo() []bencode.Entry {
	return []bencode.Entry{
		e("name", s("dir")),
		e("piece length", n(4)),
		e("pieces", hashes(2)),
		e("files", bencode.List(fileEntry(3, "a", "b.txt"), fileEntry(0, "empty"), fileEntry(5, "z"))),
	}
}

func encode(t *testing.T, v bencode.Value) []byte {
	t.Helper()
	data, err := bencode.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// torrent is a torrent file with these info entries, announce and
// announce-list.
func torrent(t *testing.T, info []bencode.Entry) []byte {
	return encode(t, bencode.Dict(
		e("announce", s(testAnnounce)),
		e("announce-list", bencode.List(bencode.List(s(testAnnounce), s("udp://127.0.0.1:1/")), bencode.List(s("http://127.0.0.2/a")))),
		e("created by", s("test")),
		e("creation date", n(1700000000)),
		e("comment", s("hi")),
		e("info", bencode.Dict(info...))))
}

func TestParseSingleFile(t *testing.T) {
	info := "d6:lengthi10e4:name5:a.txt12:piece lengthi4e6:pieces60:" + strings.Repeat("0123456789abcdefghij", 3) + "e"
	data := []byte("d8:announce30:" + testAnnounce + "4:info" + info + "e")
	tr, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Announce != testAnnounce || tr.AnnounceList != nil || tr.CreatedBy != "" || tr.CreationDate != 0 {
		t.Errorf("torrent %+v", tr)
	}
	if tr.InfoHash != sha1.Sum([]byte(info)) {
		t.Errorf("info_hash %s, want the SHA-1 of the info bytes", tr.InfoHash)
	}
	in := tr.Info
	if in.Name != "a.txt" || in.PieceLength != 4 || in.NumPieces() != 3 || in.MultiFile || in.Private || in.TotalLength() != 10 {
		t.Errorf("info %+v", in)
	}
	if len(in.Files) != 1 || in.Files[0].SlashPath() != "a.txt" || in.Files[0].Length != 10 || in.Files[0].Offset != 0 {
		t.Errorf("files %+v", in.Files)
	}
	if in.Pieces[1] != Hash([]byte("0123456789abcdefghij")) {
		t.Errorf("piece 1 %s", in.Pieces[1])
	}
	for i, want := range []int{4, 4, 2, 0, 0} {
		if got := in.PieceLen(i); got != want {
			t.Errorf("PieceLen(%d) = %d, want %d", i, got, want)
		}
	}
	if in.PieceLen(-1) != 0 {
		t.Errorf("PieceLen(-1)")
	}
	// The Torrent shares no memory with the input.
	for i := range data {
		data[i] = 'x'
	}
	if tr.Info.Name != "a.txt" || tr.Info.Pieces[1] != Hash([]byte("0123456789abcdefghij")) {
		t.Errorf("the torrent changed with its input")
	}
}

func TestParseMultiFile(t *testing.T) {
	tr, err := Parse(torrent(t, multiInfo()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.AnnounceList) != 2 || tr.AnnounceList[0][1] != "udp://127.0.0.1:1/" || tr.AnnounceList[1][0] != "http://127.0.0.2/a" {
		t.Errorf("announce-list %q", tr.AnnounceList)
	}
	if tr.CreatedBy != "test" || tr.CreationDate != 1700000000 || tr.Comment != "hi" {
		t.Errorf("torrent %+v", tr)
	}
	in := tr.Info
	if !in.MultiFile || in.TotalLength() != 8 || in.NumPieces() != 2 {
		t.Fatalf("info %+v", in)
	}
	want := []struct {
		path           string
		length, offset int64
	}{{"dir/a/b.txt", 3, 0}, {"dir/empty", 0, 3}, {"dir/z", 5, 3}}
	for i, w := range want {
		f := in.Files[i]
		if f.SlashPath() != w.path || f.Length != w.length || f.Offset != w.offset {
			t.Errorf("file %d: %+v, want %+v", i, f, w)
		}
	}
}

// The info_hash is of the info dictionary's bytes as they are in the file,
// keys out of order included, not of a re-encoding.
func TestInfoHashIsOfTheExactBytes(t *testing.T) {
	info := "d4:name1:x6:lengthi1e12:piece lengthi1e6:pieces20:0123456789abcdefghije"
	data := []byte("d4:info" + info + "8:announce3:urle")
	tr, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if tr.InfoHash != sha1.Sum([]byte(info)) {
		t.Fatalf("info_hash %s, want %x", tr.InfoHash, sha1.Sum([]byte(info)))
	}
	canonical, _ := Marshal(tr)
	again, err := Parse(canonical)
	if err != nil {
		t.Fatal(err)
	}
	if again.InfoHash == tr.InfoHash {
		t.Fatalf("the re-encoded info has the same hash: the test shows nothing")
	}
}

func TestParseErrors(t *testing.T) {
	with := func(edit func([]bencode.Entry) []bencode.Entry) []byte {
		return torrent(t, edit(multiInfo()))
	}
	set := func(key string, v bencode.Value) func([]bencode.Entry) []bencode.Entry {
		return func(es []bencode.Entry) []bencode.Entry {
			for i := range es {
				if es[i].Key == key {
					es[i].Value = v
					return es
				}
			}
			return append(es, e(key, v))
		}
	}
	del := func(key string) func([]bencode.Entry) []bencode.Entry {
		return func(es []bencode.Entry) []bencode.Entry {
			for i := range es {
				if es[i].Key == key {
					return append(es[:i], es[i+1:]...)
				}
			}
			return es
		}
	}
	files := func(fs ...bencode.Value) func([]bencode.Entry) []bencode.Entry {
		return set("files", bencode.List(fs...))
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not bencode", []byte("d4:infoi1e"), "not a torrent file: bencode: byte 10: want a byte-string key or 'e' to end the dictionary, got the end of the input"},
		{"a list", []byte("le"), "not a torrent file: a list, want a dictionary"},
		{"too big", make([]byte, MaxFileSize+1), "larger than 16 MiB: not a torrent file"},
		{"no info", encode(t, bencode.Dict(e("announce", s("x")))), "info: missing"},
		{"info a string", encode(t, bencode.Dict(e("info", s("x")))), "info: want a dictionary, got a byte string"},
		{"announce an int", encode(t, bencode.Dict(e("announce", n(1)), e("info", bencode.Dict(multiInfo()...)))), "announce: want a byte string, got an integer"},
		{"announce-list tier", encode(t, bencode.Dict(e("announce-list", bencode.List(s("x"))), e("info", bencode.Dict(multiInfo()...)))), "announce-list[0]: want a list, got a byte string"},
		{"announce-list url", encode(t, bencode.Dict(e("announce-list", bencode.List(bencode.List(s("x"), n(2)))), e("info", bencode.Dict(multiInfo()...)))), "announce-list[0][1]: want a byte string, got an integer"},
		{"creation date", encode(t, bencode.Dict(e("creation date", s("today")), e("info", bencode.Dict(multiInfo()...)))), "creation date: want an integer, got a byte string"},
		{"no name", with(del("name")), "info.name: missing"},
		{"name ..", with(set("name", s(".."))), `info.name: ".." is not allowed`},
		{"name empty", with(set("name", s(""))), "info.name: empty"},
		{"name with /", with(set("name", s("a/b"))), `info.name: "a/b": a path component holds no '/', '\' or NUL`},
		{"name too long", with(set("name", s(strings.Repeat("x", 256)))), "info.name: 256 bytes, at most 255"},
		{"no piece length", with(del("piece length")), "info.piece length: missing"},
		{"piece length 0", with(set("piece length", n(0))), "info.piece length: 0: must be at least 1"},
		{"piece length big", with(set("piece length", n(MaxPieceLength+1))), "info.piece length: 67108865 is more than 67108864 (64 MiB)"},
		{"piece length string", with(set("piece length", s("4"))), "info.piece length: want an integer, got a byte string"},
		{"no pieces", with(del("pieces")), "info.pieces: missing"},
		{"pieces 30 bytes", with(set("pieces", bencode.Bytes(make([]byte, 30)))), "info.pieces: 30 bytes, not a multiple of 20 (one SHA-1 per piece)"},
		{"pieces a list", with(set("pieces", bencode.List())), "info.pieces: want a byte string, got a list"},
		{"too few pieces", with(set("pieces", hashes(1))), "info.pieces: 1 hashes, but 8 bytes in pieces of 4 make 2"},
		{"too many pieces", with(set("pieces", hashes(3))), "info.pieces: 3 hashes, but 8 bytes in pieces of 4 make 2"},
		{"both", with(set("length", n(8))), "info: both length (one file) and files (several)"},
		{"neither", with(del("files")), "info: neither length (one file) nor files (several)"},
		{"single negative", with(func(es []bencode.Entry) []bencode.Entry { return set("length", n(-1))(del("files")(es)) }), "info.length: -1: negative"},
		{"private 2", with(set("private", n(2))), "info.private: 2: want 0 or 1"},
		{"files a dict", with(set("files", bencode.Dict())), "info.files: want a list, got a dictionary"},
		{"files empty", with(files()), "info.files: empty"},
		{"file not a dict", with(files(fileEntry(8, "a"), s("b"))), "info.files[1]: want a dictionary, got a byte string"},
		{"file no length", with(files(bencode.Dict(e("path", bencode.List(s("a")))))), "info.files[0].length: missing"},
		{"file negative", with(files(fileEntry(9, "a"), fileEntry(-1, "b"))), "info.files[1].length: -1: negative"},
		{"file no path", with(files(bencode.Dict(e("length", n(8))))), "info.files[0].path: missing"},
		{"file path a string", with(files(bencode.Dict(e("length", n(8)), e("path", s("a"))))), "info.files[0].path: want a list, got a byte string"},
		{"file path empty", with(files(fileEntry(8))), "info.files[0].path: empty"},
		{"file path int", with(files(bencode.Dict(e("length", n(8)), e("path", bencode.List(s("a"), n(1)))))), "info.files[0].path[1]: want a byte string, got an integer"},
		{"file ..", with(files(fileEntry(1, "a"), fileEntry(1, "b"), fileEntry(6, "c", ".."))), `info.files[2].path[1]: ".." is not allowed`},
		{"file .", with(files(fileEntry(8, "."))), `info.files[0].path[0]: "." is not allowed`},
		{"file empty component", with(files(fileEntry(8, "a", ""))), "info.files[0].path[1]: empty"},
		{"file absolute", with(files(fileEntry(8, "/etc/passwd"))), `info.files[0].path[0]: "/etc/passwd": a path component holds no '/', '\' or NUL`},
		{"file backslash", with(files(fileEntry(8, `..\x`))), `info.files[0].path[0]: "..\x": a path component holds no '/', '\' or NUL`},
		{"file NUL", with(files(fileEntry(8, "a\x00b"))), `info.files[0].path[0]: "a\x00b": a path component holds no '/', '\' or NUL`},
		{"file twice", with(files(fileEntry(4, "a", "b"), fileEntry(4, "a", "b"))), `info.files[1].path: "dir/a/b" again (info.files[0])`},
		{"file is a dir", with(files(fileEntry(4, "a", "b"), fileEntry(4, "a"))), `info.files[1].path: "dir/a" is a directory of info.files[0]`},
		{"file under a file", with(files(fileEntry(4, "a"), fileEntry(4, "a", "b"))), `info.files[1].path: "dir/a/b" lies under info.files[0], a file`},
		{"total overflows", with(files(fileEntry(1<<62, "a"), fileEntry(1<<62, "b"), fileEntry(1<<62, "c"), fileEntry(1<<62, "d"))), "info.files[1].length: 4611686018427387904: the total length overflows"},
	} {
		_, err := Parse(tc.data)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v\n want %s", tc.name, err, tc.want)
		}
	}
	var fe *FieldError
	if _, err := Parse(with(files(fileEntry(8, "..")))); !errors.As(err, &fe) || fe.Field != "info.files[0].path[0]" {
		t.Errorf("not a *FieldError naming the field: %v", err)
	}
	var be *bencode.Error
	if _, err := Parse([]byte("d")); !errors.As(err, &be) || be.Offset != 1 {
		t.Errorf("a bencode error does not unwrap: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, info := range [][]bencode.Entry{
		multiInfo(),
		{e("name", s("one")), e("piece length", n(3)), e("pieces", hashes(1)), e("length", n(3)), e("private", n(1))},
	} {
		in := torrent(t, info)
		tr, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in) {
			t.Errorf("Marshal(Parse(x)) != x:\n%q\n%q", out, in)
		}
		if _, err := bencode.Decode(out); err != nil {
			t.Errorf("Marshal's output is not canonical: %v", err)
		}
	}
	bad := &Torrent{Info: Info{Name: "x", PieceLength: 1, Files: []File{{Path: []string{"y"}, Length: 1}}, Pieces: make([]Hash, 1)}}
	if _, err := Marshal(bad); err == nil || err.Error() != "info: a single-file torrent is one file named as info.name" {
		t.Errorf("Marshal of a file not named as info.name: %v", err)
	}
	if _, err := Marshal(&Torrent{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("Marshal of nothing: %v", err)
	}
	bad = &Torrent{Info: Info{Name: "x", PieceLength: 1, MultiFile: true, Files: []File{{Path: []string{"x", "a"}, Length: 1, Offset: 5}}, Pieces: make([]Hash, 1)}}
	if _, err := Marshal(bad); err == nil || err.Error() != "info.files[0]: offset 5, want 0 (the lengths before it summed)" {
		t.Errorf("Marshal with a wrong offset: %v", err)
	}
}

func TestCheckAnnounce(t *testing.T) {
	for u, want := range map[string]string{
		testAnnounce:                 "",
		"https://t.example/announce": "",
		"udp://127.0.0.1:6969":       "",
		"":                           "announce: empty",
		"127.0.0.1:6969":             `announce: "127.0.0.1:6969": want an http://, https:// or udp:// URL`,
		"ftp://x/":                   `announce: "ftp://x/": want an http://, https:// or udp:// URL`,
		"http:///announce":           `announce: "http:///announce": no host`,
	} {
		err := CheckAnnounce(u)
		if (err == nil) != (want == "") || err != nil && err.Error() != want {
			t.Errorf("CheckAnnounce(%q) = %v, want %q", u, err, want)
		}
	}
}
