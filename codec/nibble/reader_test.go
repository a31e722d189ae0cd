package nibble

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// stream is several frames back to back: a hello, a piece request, a frame
// of version 2 (delimited by its length like any other), an empty piece
// response, a full-size piece response and an error.
func stream(t *testing.T) [][]byte {
	id, _ := ParseTorrentID(specID)
	big, err := PieceResponse(bytes.Repeat([]byte{7}, MaxData))
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := PieceResponse(nil)
	return [][]byte{HelloRequest(id), PieceRequest(41), codectest.Unhex(t, "02 03 00 02 00 29"), empty, big, ErrorFrame("bye")}
}

func TestReaderSplitsAndJoins(t *testing.T) {
	frames := stream(t)
	all := bytes.Join(frames, nil)
	for name, src := range map[string]io.Reader{
		"all in one read":  bytes.NewReader(all),
		"one byte a read":  iotest.OneByteReader(bytes.NewReader(all)),
		"half a read":      iotest.HalfReader(bytes.NewReader(all)),
		"data then EOF":    iotest.DataErrReader(bytes.NewReader(all)),
		"odd-sized chunks": &codectest.Chunked{B: all, Sizes: []int{3, 1, 4100, 2, 70000}},
	} {
		r := NewReader(src)
		got, err := codectest.ReadAll(r)
		if err != io.EOF {
			t.Errorf("%s: error %v, want io.EOF", name, err)
		}
		if len(got) != len(frames) {
			t.Fatalf("%s: %d frames, want %d", name, len(got), len(frames))
		}
		for i := range frames {
			if !bytes.Equal(got[i], frames[i]) {
				t.Errorf("%s: frame %d: % x..., want % x...", name, i, got[i][:min(8, len(got[i]))], frames[i][:min(8, len(frames[i]))])
			}
		}
		if r.buf.Size() > MaxFrame {
			t.Errorf("%s: buffer grew to %d bytes, more than MaxFrame", name, r.buf.Size())
		}
	}
}

func TestReaderBuffered(t *testing.T) {
	two := append(PieceRequest(1), PieceRequest(2)...)
	r := NewReader(bytes.NewReader(two))
	if _, err := r.Next(); err != nil || !r.Buffered() {
		t.Fatalf("after the first of two frames in one read: %v, Buffered %v", err, r.Buffered())
	}
	if _, err := r.Next(); err != nil || r.Buffered() {
		t.Fatalf("after the second: %v, Buffered %v", err, r.Buffered())
	}
}

func TestReaderEnds(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		src     io.Reader
		frames  int
		partial string
		err     error
	}{
		{"clean end", bytes.NewReader(PieceRequest(1)), 1, "", io.EOF},
		{"end inside the header", bytes.NewReader(codectest.Unhex(t, "01 03 00 01 29 01 03")), 1, "01 03", io.ErrUnexpectedEOF},
		{"end inside the data", bytes.NewReader(codectest.Unhex(t, "01 04 00 05 aa bb")), 0, "01 04 00 05 aa bb", io.ErrUnexpectedEOF},
		{"error after a frame", io.MultiReader(bytes.NewReader(PieceRequest(1)), iotest.ErrReader(boom)), 1, "", boom},
		{"a reader that never reads", codectest.NoProgress{}, 0, "", io.ErrNoProgress},
	} {
		r := NewReader(tc.src)
		n := 0
		for {
			f, err := r.Next()
			if err == nil {
				n++
				continue
			}
			if !errors.Is(err, tc.err) || n != tc.frames || !bytes.Equal(f, codectest.Unhex(t, tc.partial)) {
				t.Errorf("%s: %d frames, then % x, %v; want %d, %s, %v", tc.name, n, f, err, tc.frames, tc.partial, tc.err)
			}
			if _, again := r.Next(); !errors.Is(again, err) && !(err == io.ErrUnexpectedEOF && again == io.ErrUnexpectedEOF) {
				t.Errorf("%s: the error is not final: then %v", tc.name, again)
			}
			break
		}
	}
}

// Reading frames allocates nothing once the buffer has grown: a download
// reads one frame per piece.
func TestReaderDoesNotAllocate(t *testing.T) {
	piece, _ := PieceResponse(make([]byte, 4096))
	stream := bytes.Repeat(piece, 200)
	src := bytes.NewReader(stream)
	r := NewReader(src)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := r.Next(); err != nil {
			src.Reset(stream)
			r.buf.Rewind()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame", allocs)
	}
}
