package framebuf

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

var errBad = errors.New("test: impossible count")

// errTooLong is what sizeByte refuses: a length byte above maxLen.
var errTooLong = errors.New("test: frame too long")

const maxLen = 200 // the longest payload sizeByte allows

// sizeByte delimits a toy framing: one length byte, then that many bytes.
func sizeByte(pending []byte) (int, error) {
	if pending[0] > maxLen {
		return 0, errTooLong
	}
	return 1 + int(pending[0]), nil
}

func newToy(rd io.Reader) Reader {
	return Make(rd, Config{Initial: 8, MaxFrame: 1 + maxLen, Header: 1, BadCount: errBad})
}

// frame is a toy frame of n payload bytes.
func frame(n int) []byte { return append([]byte{byte(n)}, bytes.Repeat([]byte{'x'}, n)...) }

// countReader returns n (maybe impossible) and err on every read.
type countReader struct {
	n   int
	err error
}

func (c countReader) Read([]byte) (int, error) { return c.n, c.err }

func TestSource(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		rd   io.Reader
		want error
	}{
		{"negative count", countReader{-1, nil}, errBad},
		{"count beyond p", countReader{5, nil}, errBad},
		{"count beyond p with an error", countReader{5, io.EOF}, errBad},
		{"endless empty reads", countReader{0, nil}, io.ErrNoProgress},
		{"the reader's error", countReader{0, boom}, boom},
	} {
		s := Source{R: tc.rd, BadCount: errBad}
		var err error
		reads := 0
		for err == nil && reads <= MaxEmptyReads {
			_, err = s.Read(make([]byte, 4))
			reads++
		}
		if err != tc.want {
			t.Errorf("%s: %v after %d reads, want %v", tc.name, err, reads, tc.want)
		}
	}
}

// Empty reads count only in a row: data between them starts again.
func TestSourceEmptyReadsInARow(t *testing.T) {
	s := Source{R: &flaky{}, BadCount: errBad}
	for i := range 3 * MaxEmptyReads {
		if _, err := s.Read(make([]byte, 1)); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
}

// flaky returns one byte after every MaxEmptyReads-1 empty reads.
type flaky struct{ i int }

func (f *flaky) Read(p []byte) (int, error) {
	if f.i++; f.i%(MaxEmptyReads-1) == 0 {
		p[0] = 'x'
		return 1, nil
	}
	return 0, nil
}

func TestReaderFrames(t *testing.T) {
	frames := [][]byte{frame(0), frame(3), frame(maxLen), frame(7), frame(1), frame(150)}
	all := bytes.Join(frames, nil)
	for name, src := range map[string]io.Reader{
		"one read":         bytes.NewReader(all),
		"byte by byte":     iotest.OneByteReader(bytes.NewReader(all)),
		"data then EOF":    iotest.DataErrReader(bytes.NewReader(all)),
		"odd-sized chunks": &codectest.Chunked{B: all, Sizes: []int{3, 1, 9, 2, 70}},
	} {
		r := newToy(src)
		for i, want := range frames {
			got, err := r.Next(sizeByte)
			if err != nil || !bytes.Equal(got, want) || !bytes.Equal(r.Raw(), want) {
				t.Fatalf("%s: frame %d: %q, %v; want %q", name, i, got, err, want)
			}
		}
		if got, err := r.Next(sizeByte); err != io.EOF || got != nil || r.Raw() != nil {
			t.Errorf("%s: at the end %q, %v, want io.EOF", name, got, err)
		}
		if r.Size() > 1+maxLen {
			t.Errorf("%s: the buffer grew to %d bytes, more than MaxFrame", name, r.Size())
		}
	}
}

func TestReaderEnds(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		rd      io.Reader
		frames  int    // whole frames before the end
		partial string // returned with the error
		err     error
	}{
		{"clean end", bytes.NewReader(frame(2)), 1, "", io.EOF},
		{"inside a frame", bytes.NewReader(append(frame(2), 5, 'a')), 1, "\x05a", io.ErrUnexpectedEOF},
		{"only a header", bytes.NewReader([]byte{9}), 0, "\x09", io.ErrUnexpectedEOF},
		{"refused length", bytes.NewReader(append(frame(1), maxLen+1, 'a')), 1, "", errTooLong},
		{"an error after frames", io.MultiReader(bytes.NewReader(frame(4)), iotest.ErrReader(boom)), 1, "", boom},
		{"a reader that never reads", countReader{0, nil}, 0, "", io.ErrNoProgress},
		{"an impossible count", countReader{1 << 20, nil}, 0, "", errBad},
	} {
		r := newToy(tc.rd)
		for i := range tc.frames {
			if _, err := r.Next(sizeByte); err != nil {
				t.Fatalf("%s: frame %d: %v", tc.name, i, err)
			}
		}
		got, err := r.Next(sizeByte)
		if err != tc.err || string(got) != tc.partial || string(r.Raw()) != tc.partial {
			t.Errorf("%s: %q, %v (raw %q); want %q, %v", tc.name, got, err, r.Raw(), tc.partial, tc.err)
		}
		if again, err2 := r.Next(sizeByte); err2 != tc.err || again != nil {
			t.Errorf("%s: the error is not final: then %q, %v", tc.name, again, err2)
		}
	}
}

// A refused length ends the stream before the frame is buffered: the
// buffer does not grow for it.
func TestReaderRefusesBeforeBuffering(t *testing.T) {
	r := newToy(bytes.NewReader(append([]byte{maxLen + 1}, make([]byte, 300)...)))
	if _, err := r.Next(sizeByte); err != errTooLong {
		t.Fatalf("got %v, want errTooLong", err)
	}
	if r.Size() != 8 {
		t.Errorf("the buffer grew to %d bytes", r.Size())
	}
}

func TestReaderBuffered(t *testing.T) {
	r := newToy(bytes.NewReader(append(frame(1), frame(1)...)))
	r.Next(sizeByte)
	if !r.Buffered() {
		t.Error("the second frame is read already: Buffered is false")
	}
	r.Next(sizeByte)
	if r.Buffered() {
		t.Error("nothing is left: Buffered is true")
	}
}

// Once grown, reading frames allocates nothing.
func TestReaderDoesNotAllocate(t *testing.T) {
	stream := bytes.Repeat(append(frame(maxLen), frame(3)...), 150)
	src := bytes.NewReader(stream)
	r := newToy(src)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := r.Next(sizeByte); err != nil {
			src.Reset(stream)
			r.Rewind()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame", allocs)
	}
}

// FuzzReader splits any stream, in any read sizes, into the frames that
// sizeByte delimits, never returning more than MaxFrame bytes or growing
// beyond it, and the frames put back together are the stream.
func FuzzReader(f *testing.F) {
	f.Add(append(frame(3), frame(0)...), byte(1))
	f.Add(append(frame(maxLen), 4, 'a'), byte(7))
	f.Add([]byte{maxLen + 1}, byte(0))
	f.Fuzz(func(t *testing.T, stream []byte, chunk byte) {
		r := newToy(&codectest.Chunked{B: stream, Sizes: []int{int(chunk)%11 + 1, int(chunk) + 1}})
		var got []byte
		for {
			fr, err := r.Next(sizeByte)
			if len(fr) > 1+maxLen || r.Size() > 1+maxLen {
				t.Fatalf("a frame of %d bytes, a buffer of %d", len(fr), r.Size())
			}
			got = append(got, fr...)
			if err == errTooLong {
				if !bytes.HasPrefix(stream, got) || stream[len(got)] <= maxLen {
					t.Fatalf("refused a length that fits")
				}
				return
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("error %v", err)
				}
				break
			}
		}
		if !bytes.Equal(got, stream) {
			t.Fatalf("frames %q, stream %q", got, stream)
		}
	})
}
