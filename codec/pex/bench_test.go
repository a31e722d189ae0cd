package pex

import (
	"bytes"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// BenchmarkReaderGives reads, decodes and verifies full 131072-byte gives,
// a download's stream, in 64 KiB socket reads; BenchmarkReaderGivesNoHash
// is the same without CheckGive, so the ratio says what hashing costs.
func BenchmarkReaderGives(b *testing.B)       { benchGives(b, true) }
func BenchmarkReaderGivesNoHash(b *testing.B) { benchGives(b, false) }

func benchGives(b *testing.B, verify bool) {
	piece := make([]byte, DefaultPieceSize)
	give := must(AppendGive(nil, HashOf(piece), piece, Options{}))
	stream := bytes.Repeat(give, 16)
	src := &codectest.Chunked{Sizes: []int{64 << 10}}
	b.SetBytes(int64(len(give)))
	b.ReportAllocs()
	r := NewReader(src, Options{})
	for b.Loop() {
		f, err := r.Next()
		if err != nil {
			src.B, src.I = stream, 0
			r.buf.Rewind()
			continue
		}
		m, err := Decode(f, Options{})
		if err != nil || verify && !CheckGive(m.Hash, m.Piece) {
			b.Fatal(err)
		}
	}
}
