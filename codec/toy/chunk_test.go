package toy

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// Property: Split then Reassemble gives the file back, for any size and
// chunk size; every chunk's filecontents fits one datagram and decodes to it.
func TestSplitReassembleProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 2, DefaultChunkSize - 1, DefaultChunkSize, DefaultChunkSize + 1, 1 << 20}
	for range 40 {
		sizes = append(sizes, rng.IntN(200_000))
	}
	for _, size := range sizes {
		chunkSize := []int{1 + rng.IntN(5000), DefaultChunkSize, MaxChunkSize}[rng.IntN(3)]
		if size/chunkSize > MaxChunks-1 {
			chunkSize = DefaultChunkSize
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		chunks, err := Split(data, chunkSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) != ChunkCount(int64(size), chunkSize) {
			t.Fatalf("size %d: %d chunks, ChunkCount %d", size, len(chunks), ChunkCount(int64(size), chunkSize))
		}
		got := make([][]byte, len(chunks))
		for i, c := range chunks {
			b, err := Encode(FileContents(1, 2, c, i, len(chunks), int64(size)))
			if err != nil {
				t.Fatalf("size %d chunk %d: %v", size, i, err)
			}
			m := mustDecode(t, b)
			got[i] = m.Contents
		}
		back, err := Reassemble(got, int64(size))
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("size %d by %d: %v", size, chunkSize, err)
		}
		if len(got) > 1 {
			lost := append([][]byte(nil), got...)
			lost[rng.IntN(len(lost))] = nil
			if _, err := Reassemble(lost, int64(size)); !errors.Is(err, ErrMissingChunk) {
				t.Fatalf("a lost chunk: %v", err)
			}
		}
		if _, err := Reassemble(got, int64(size)+1); err == nil {
			t.Fatal("a wrong total size is not refused")
		}
	}
}

func TestReassembleRefuses(t *testing.T) {
	tests := []struct {
		name   string
		chunks [][]byte
		size   int64
		want   string
	}{
		{"none", nil, 0, "0 chunks"},
		{"middle chunk short", [][]byte{[]byte("abc"), []byte("ab"), []byte("a")}, 6, "chunk 1"},
		{"last chunk long", [][]byte{[]byte("ab"), []byte("abc")}, 5, "chunk 1"},
		{"size disagrees", [][]byte{[]byte("ab"), []byte("a")}, 4, "the file has 4"},
		{"negative size", [][]byte{{}}, -1, "size -1"},
	}
	for _, tt := range tests {
		if _, err := Reassemble(tt.chunks, tt.size); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Split([]byte("x"), 0); err == nil {
		t.Error("chunk size 0 accepted")
	}
	if _, err := Split([]byte("x"), MaxChunkSize+1); err == nil {
		t.Error("a chunk over MaxChunkSize accepted")
	}
}

// A node that does not know chunking asks without chunk and reads the
// first chunk as the file's contents.
func TestOldNodeReadsTheFirstChunk(t *testing.T) {
	b := mustEncode(t, FileContents(9, 1, []byte("first"), 0, 3, 12))
	m, err := DecodeMap(b)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := m.Get(KeyFileContents)
	if v != "Zmlyc3Q=" {
		t.Fatalf("filecontents %v", v)
	}
	if req := mustDecode(t, mustEncode(t, GetFile(1, "f", -1))); req.HasChunk || len(req.Raw) != 3 {
		t.Fatalf("a getfile without chunk: %+v", req)
	}
}

func TestFileChunkIsSplitChunk(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 7)) // 70 bytes in chunks of 30: 30, 30, 10
	chunks, err := Split(data, 30)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range chunks {
		m, err := FileChunk(9, 4, data, i, 30)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Contents, want) || m.Chunk != i || m.Chunks != 3 || m.Size != 70 || m.ReplyTo != 4 || m.ID != 9 {
			t.Fatalf("chunk %d: %+v", i, m)
		}
		mustEncode(t, m)
	}
	if _, err := FileChunk(1, 1, data, 3, 30); err == nil {
		t.Error("chunk 3 of 3 given")
	}
	if m, err := FileChunk(1, 1, nil, 0, 30); err != nil || m.Chunks != 1 || len(m.Contents) != 0 {
		t.Errorf("an empty file: %+v %v", m, err)
	}
}
