package metainfo

import (
	"bytes"
	"crypto/sha1"
	"reflect"
	"testing"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bencode"
)

// FuzzParse: no input crashes Parse. What it accepts is valid (Validate),
// its info_hash is the SHA-1 of the info bytes in the input, every path
// component is safe to join under a directory, and Marshal writes it back
// as a torrent that Parse reads as the same torrent.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			if err.Error() == "" || codec.PrintableString(err.Error()) != err.Error() {
				t.Fatalf("error %q is not printable text", err)
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		root, _ := bencode.DecodeLenient(data)
		info, _ := root.Get("info")
		if tr.InfoHash != sha1.Sum(info.Raw) || !bytes.Contains(data, info.Raw) {
			t.Fatalf("info_hash is not of the info bytes")
		}
		for _, f := range tr.Info.Files {
			for _, c := range f.Path {
				if checkComponent("", c) != nil {
					t.Fatalf("unsafe path component %q", c)
				}
			}
		}
		out, err := Marshal(tr)
		if err != nil {
			t.Fatalf("Marshal of a parsed torrent: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(t)): %v", err)
		}
		again.InfoHash = tr.InfoHash
		if !reflect.DeepEqual(again, tr) {
			t.Fatalf("Parse(Marshal(t)) differs:\n%+v\n%+v", again, tr)
		}
	})
}
