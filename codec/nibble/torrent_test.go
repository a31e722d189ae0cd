package nibble

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// specTorrent is the spec's example, trailing comma included.
const specTorrent = `{
    "torrent_id": "84e199cad6b953eee0c9b6d8b72612ddb2488999",
    "tracker_url": "http://lundrigan.byu.edu:6969/announce",
    "file_size": 8192,
    "file_name": "file.txt",
    "piece_size": 4096,
    "pieces": [
        "0938307ef77f5c8466f97dec40ccae523557257a",
        "01f7b90d66065f6f8bc4e225ed48b23f8766a382",
    ]
}
`

func TestParseSpecTorrent(t *testing.T) {
	tr, err := ParseTorrent([]byte(specTorrent))
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID.String() != specID || tr.TrackerURL != "http://lundrigan.byu.edu:6969/announce" || tr.FileSize != 8192 ||
		tr.FileName != "file.txt" || tr.PieceSize != 4096 || len(tr.Pieces) != 2 ||
		tr.Pieces[1].String() != "01f7b90d66065f6f8bc4e225ed48b23f8766a382" {
		t.Errorf("parsed %+v", tr)
	}
	// Written back, it is the spec's text without the trailing comma.
	if got, want := string(MarshalTorrent(tr)), strings.Replace(specTorrent, "382\",\n", "382\"\n", 1); got != want {
		t.Errorf("MarshalTorrent:\n%s\nwant:\n%s", got, want)
	}
}

// A comma inside a string is kept; a byte order mark and unknown keys are
// tolerated.
func TestParseTorrentTolerates(t *testing.T) {
	text := "\ufeff" + strings.Replace(specTorrent, `"file.txt",`, `"a, ]b.txt", "comment": "x",`, 1)
	tr, err := ParseTorrent([]byte(text))
	if err != nil || tr.FileName != "a, ]b.txt" {
		t.Fatalf("%+v, %v", tr, err)
	}
}

func TestParseTorrentRefuses(t *testing.T) {
	edit := func(old, new string) string { return strings.Replace(specTorrent, old, new, 1) }
	for _, tc := range []struct {
		name, text, err string
	}{
		{"piece_size 65536", edit(`"piece_size": 4096`, `"piece_size": 65536`), "piece_size: 65536 is more than 65535: a piece must fit one frame (the length field is 16 bits)"},
		{"piece_size 0", edit(`"piece_size": 4096`, `"piece_size": 0`), "piece_size: 0: must be at least 1"},
		{"piece_size text", edit(`"piece_size": 4096`, `"piece_size": "4096"`), "piece_size: want a whole number, got string"},
		{"file_size inconsistent", edit(`"file_size": 8192`, `"file_size": 8193`), "pieces: 2 hashes, but file_size 8193 in pieces of 4096 bytes makes 3"},
		{"file_size negative", edit(`"file_size": 8192`, `"file_size": -1`), "file_size: -1: negative"},
		{"short piece hash", edit(`"0938307ef77f5c8466f97dec40ccae523557257a"`, `"0938307e"`), "pieces[0]: want 40 hex digits, got 8 characters"},
		{"bad piece hash", edit(`"01f7b90d66065f6f8bc4e225ed48b23f8766a382"`, `"01f7b90d66065f6f8bc4e225ed48b23f8766a38z"`), "pieces[1]: want 40 hex digits: not a hex digit at 40"},
		{"pieces not a list", edit(`"pieces": [`, `"pieces": 3, "x": [`), "pieces: want a list of 40-hex-digit strings, got number"},
		{"torrent_id", edit(specID, "84e1"), "torrent_id: want 40 hex digits, got 4 characters"},
		{"no torrent_id", edit(`"torrent_id"`, `"id"`), "torrent_id: missing"},
		{"no pieces", edit(`"pieces"`, `"piece"`), "pieces: missing"},
		{"file_name with a directory", edit(`"file.txt"`, `"../file.txt"`), `file_name: "../file.txt": a plain file name, without directories`},
		{"file_name ..", edit(`"file.txt"`, `".."`), `file_name: "..": not a file name`},
		{"file_name empty", edit(`"file.txt"`, `""`), "file_name: empty"},
		{"file_name control", edit(`"file.txt"`, `"a\u001b[2J"`), `file_name: "a\x1b[2J": contains control characters`},
		{"file_name backslash", edit(`"file.txt"`, `"c:\\x"`), `file_name: "c:\x": a plain file name, without directories`},
		{"tracker ftp", edit(`http://lundrigan`, `ftp://lundrigan`), `tracker_url: "ftp://lundrigan.byu.edu:6969/announce": want an http:// or https:// URL`},
		{"tracker no host", edit(`http://lundrigan.byu.edu:6969/announce`, `http:///announce`), `tracker_url: "http:///announce": no host`},
		{"not JSON", "{\n\"torrent_id\": x}", "line 2: not JSON: invalid character 'x' looking for beginning of value"},
		{"not an object", "[1]", "not a JSON object"},
	} {
		_, err := ParseTorrent([]byte(tc.text))
		var te *TorrentError
		if !errors.As(err, &te) || err.Error() != tc.err {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
	if _, err := ReadTorrent(bytes.NewReader(make([]byte, MaxTorrentFile+1))); err == nil || err.Error() != "larger than 32 MiB: not a torrent file" {
		t.Errorf("a huge file: %v", err)
	}
}

// make -> write -> load -> verify, and what Verify catches.
func TestMakeLoadVerify(t *testing.T) {
	file := make([]byte, 3*4096+100)
	for i := range file {
		file[i] = byte(i * 7)
	}
	tr, err := MakeTorrent(iotest.HalfReader(bytes.NewReader(file)), "f.bin", "http://127.0.0.1:6969/announce", DefaultPieceSize)
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID != TorrentID(sha1.Sum(file)) || tr.FileSize != int64(len(file)) || tr.NumPieces() != 4 ||
		tr.Pieces[3] != Hash(sha1.Sum(file[3*4096:])) || tr.PieceLen(3) != 100 || tr.PieceLen(0) != 4096 || tr.PieceLen(4) != 0 {
		t.Fatalf("made %+v", tr)
	}
	back, err := ParseTorrent(MarshalTorrent(tr))
	if err != nil || !reflect.DeepEqual(back, tr) {
		t.Fatalf("read back %+v, %v", back, err)
	}
	if err := back.Verify(bytes.NewReader(file)); err != nil {
		t.Errorf("Verify of the file itself: %v", err)
	}
	if err := back.CheckPiece(1, file[4096:8192]); err != nil {
		t.Errorf("CheckPiece: %v", err)
	}
	bad := bytes.Clone(file)
	bad[5000] ^= 1
	if err := back.CheckPiece(1, bad[4096:8192]); !errors.Is(err, ErrPieceHash) {
		t.Errorf("CheckPiece of a changed piece: %v", err)
	}
	for _, tc := range []struct {
		name string
		file []byte
		err  string
	}{
		{"a changed byte", bad, "piece 1: SHA-1 does not match"},
		{"a shorter file", file[:len(file)-1], "file_size: the file has 12387 bytes, the torrent says 12388"},
		{"a longer file", append(bytes.Clone(file), 0), "file_size: the file has 12389 bytes, the torrent says 12388"},
	} {
		if err := back.Verify(bytes.NewReader(tc.file)); err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("Verify, %s: %v, want %q...", tc.name, err, tc.err)
		}
	}
	// Pieces right, torrent_id not the file's SHA-1.
	back.ID[0] ^= 1
	if err := back.Verify(bytes.NewReader(file)); err == nil || !strings.HasPrefix(err.Error(), "torrent_id: the file's SHA-1 is "+tr.ID.String()) {
		t.Errorf("Verify with a wrong torrent_id: %v", err)
	}
}

func TestMakeTorrentRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		size      int
		err       string
	}{
		{"f", "http://127.0.0.1/a", MaxPieceSize + 1, "piece_size: 65536 is more than 65535: a piece must fit one frame (the length field is 16 bits)"},
		{"f", "127.0.0.1:6969", 4096, `tracker_url: "127.0.0.1:6969": want an http:// or https:// URL`},
		{"a/f", "http://127.0.0.1/a", 4096, `file_name: "a/f": a plain file name, without directories`},
	} {
		if _, err := MakeTorrent(strings.NewReader("x"), tc.name, tc.url, tc.size); err == nil || err.Error() != tc.err {
			t.Errorf("MakeTorrent(%q, %q, %d) = %v, want %q", tc.name, tc.url, tc.size, err, tc.err)
		}
	}
	// An empty file is a torrent of no pieces.
	tr, err := MakeTorrent(strings.NewReader(""), "empty", "https://127.0.0.1/a", 4096)
	if err != nil || tr.NumPieces() != 0 || tr.Verify(strings.NewReader("")) != nil {
		t.Errorf("empty file: %+v, %v", tr, err)
	}
	if !strings.Contains(string(MarshalTorrent(tr)), `"pieces": []`) {
		t.Errorf("no pieces are written as null:\n%s", MarshalTorrent(tr))
	}
}

// FuzzParseTorrent: ParseTorrent never panics; its errors are
// *TorrentError and safe to print; what it accepts is valid and survives
// MarshalTorrent and ParseTorrent again unchanged.
func FuzzParseTorrent(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseTorrent(data)
		if err != nil {
			var te *TorrentError
			if !errors.As(err, &te) {
				t.Fatalf("error %T: %v", err, err)
			}
			for _, c := range []byte(err.Error()) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("error %q holds a control byte", err)
				}
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("accepted an invalid torrent: %v", err)
		}
		back, err := ParseTorrent(MarshalTorrent(tr))
		if err != nil || !reflect.DeepEqual(back, tr) {
			t.Fatalf("read back %+v, %v", back, err)
		}
	})
}
