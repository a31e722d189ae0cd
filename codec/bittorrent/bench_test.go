package bittorrent

import (
	"bytes"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// BenchmarkReaderBlocks reads and decodes 16 KiB piece messages, a
// download's stream, in 64 KiB socket reads.
func BenchmarkReaderBlocks(b *testing.B) {
	piece := AppendPiece(nil, 0, 0, make([]byte, BlockSize))
	stream := bytes.Repeat(piece, 64)
	src := &codectest.Chunked{Sizes: []int{64 << 10}}
	b.SetBytes(int64(len(piece)))
	b.ReportAllocs()
	r := NewReader(src)
	for b.Loop() {
		f, err := r.Next()
		if err != nil {
			src.B, src.I = stream, 0
			r.buf.Rewind()
			continue
		}
		if _, err := Decode(f); err != nil {
			b.Fatal(err)
		}
	}
}
