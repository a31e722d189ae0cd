package pex

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// stream is one of each message, a type the spec lacks (delimited and
// returned like any other), an empty peer list, a full give and a short
// one, in the byte order of o.
func stream(t *testing.T, o Options) [][]byte {
	h := mustHash(t, abcHash)
	full := bytes.Repeat([]byte{7}, o.Piece())
	unknown := o.Order.appendUint32(nil, 19)
	unknown = append(unknown, 3)
	unknown = append(unknown, make([]byte, 18)...)
	return [][]byte{
		AppendAsk(nil, h, o),
		must(AppendPeers(nil, peers(t, "[::1]:8100", "127.0.0.1:8101"), o)),
		unknown,
		must(AppendPeers(nil, nil, o)),
		must(AppendGive(nil, HashOf(full), full, o)),
		must(AppendGive(nil, h, []byte("abc"), o)),
		AppendAsk(nil, h, o),
	}
}

func TestReaderSplitsAndJoins(t *testing.T) {
	for _, o := range []Options{little, big} {
		frames := stream(t, o)
		all := bytes.Join(frames, nil)
		for name, src := range map[string]io.Reader{
			"all in one read":  bytes.NewReader(all),
			"one byte a read":  iotest.OneByteReader(bytes.NewReader(all)),
			"half a read":      iotest.HalfReader(bytes.NewReader(all)),
			"data then EOF":    iotest.DataErrReader(bytes.NewReader(all)),
			"odd-sized chunks": &codectest.Chunked{B: all, Sizes: []int{3, 1, 4100, 2, 70000, 37}},
		} {
			r := NewReader(src, o)
			got, err := codectest.ReadAll(r)
			if err != io.EOF {
				t.Errorf("%s, %s: error %v, want io.EOF", o.Order, name, err)
			}
			if len(got) != len(frames) {
				t.Fatalf("%s, %s: %d frames, want %d", o.Order, name, len(got), len(frames))
			}
			for i := range frames {
				if !bytes.Equal(got[i], frames[i]) {
					t.Errorf("%s, %s: frame %d: % x..., want % x...", o.Order, name, i, got[i][:min(8, len(got[i]))], frames[i][:min(8, len(frames[i]))])
				}
			}
			if r.buf.Size() > o.MaxFrame() {
				t.Errorf("%s, %s: buffer grew to %d bytes, more than MaxFrame", o.Order, name, r.buf.Size())
			}
		}
	}
}

// Several messages in one read come out one by one, and Buffered says the
// next is in memory.
func TestReaderBuffered(t *testing.T) {
	h := mustHash(t, abcHash)
	two := append(AppendAsk(nil, h, little), AppendAsk(nil, Hash{}, little)...)
	r := NewReader(bytes.NewReader(two), little)
	if f, err := r.Next(); err != nil || !r.Buffered() || !bytes.Equal(f, two[:37]) {
		t.Fatalf("after the first of two asks in one read: %v, Buffered %v", err, r.Buffered())
	}
	if f, err := r.Next(); err != nil || r.Buffered() || !bytes.Equal(f, two[37:]) || !bytes.Equal(r.Raw(), f) {
		t.Fatalf("after the second: %v, Buffered %v", err, r.Buffered())
	}
}

func TestReaderEnds(t *testing.T) {
	boom := errors.New("boom")
	ask := AppendAsk(nil, Hash{}, little)
	for _, tc := range []struct {
		name    string
		src     io.Reader
		frames  int
		partial []byte
		err     error
	}{
		{"clean end", bytes.NewReader(ask), 1, nil, io.EOF},
		{"end inside the prefix", bytes.NewReader(append(bytes.Clone(ask), 0x21, 0)), 1, []byte{0x21, 0}, io.ErrUnexpectedEOF},
		{"end inside the body", bytes.NewReader(ask[:20]), 0, ask[:20], io.ErrUnexpectedEOF},
		{"error after a message", io.MultiReader(bytes.NewReader(ask), iotest.ErrReader(boom)), 1, nil, boom},
		{"a reader that never reads", codectest.NoProgress{}, 0, nil, io.ErrNoProgress},
	} {
		r := NewReader(tc.src, little)
		n := 0
		for {
			f, err := r.Next()
			if err == nil {
				n++
				continue
			}
			if !errors.Is(err, tc.err) || n != tc.frames || !bytes.Equal(f, tc.partial) {
				t.Errorf("%s: %d frames, then % x, %v; want %d, % x, %v", tc.name, n, f, err, tc.frames, tc.partial, tc.err)
			}
			if _, again := r.Next(); !errors.Is(again, err) {
				t.Errorf("%s: the error is not final: then %v", tc.name, again)
			}
			break
		}
	}
}

// A size prefix larger than a give can be ends the stream before its body
// is read: the Reader asks the source for nothing more and its buffer does
// not grow. An ask in the other byte order is one such prefix.
func TestReaderRefusesOversizeWithoutAllocating(t *testing.T) {
	ask := AppendAsk(nil, Hash{}, little)
	for name, tc := range map[string]struct {
		o      Options
		prefix string
	}{
		"one byte over, little":    {little, "22 00 02 00"},
		"one byte over, big":       {big, "00 02 00 22"},
		"4 GiB":                    {little, "ff ff ff ff"},
		"a big-endian ask, little": {little, "00 00 00 21"},
		"a little-endian ask, big": {big, "21 00 00 00"},
		"small pieces":             {Options{PieceSize: 4}, "26 00 00 00"},
	} {
		var input []byte
		if tc.o.Order == Little {
			input = bytes.Clone(ask)
		} else {
			input = AppendAsk(nil, Hash{}, tc.o)
		}
		input = append(input, codectest.Unhex(t, tc.prefix)...)
		r := NewReader(io.MultiReader(bytes.NewReader(input), neverEnds{}), tc.o)
		initial := r.buf.Size()
		if f, err := r.Next(); err != nil || len(f) != 37 {
			t.Fatalf("%s: the ask before: %v", name, err)
		}
		f, err := r.Next()
		if !errors.Is(err, ErrTooLong) || f != nil {
			t.Errorf("%s: % x, %v; want ErrTooLong", name, f, err)
		}
		if r.buf.Size() != initial {
			t.Errorf("%s: the buffer grew from %d to %d bytes", name, initial, r.buf.Size())
		}
		if _, again := r.Next(); again != err {
			t.Errorf("%s: the error is not final: then %v", name, again)
		}
	}
	// The largest give is read.
	for _, o := range []Options{little, big, {PieceSize: 4}} {
		full := make([]byte, o.Piece())
		r := NewReader(bytes.NewReader(must(AppendGive(nil, Hash{}, full, o))), o)
		if f, err := r.Next(); err != nil || len(f) != o.MaxFrame() {
			t.Errorf("%s, %d-byte pieces: a full give: %d bytes, %v", o.Order, o.Piece(), len(f), err)
		}
	}
	// The error says what it refused.
	_, err := NewReader(bytes.NewReader(codectest.Unhex(t, "00 00 00 21")), little).Next()
	if err == nil || !strings.Contains(err.Error(), "size prefix 553648128 (00 00 00 21, little-endian), at most 131105") {
		t.Errorf("the error: %v", err)
	}
}

// neverEnds would hand over a body forever: the Reader must not ask for it.
type neverEnds struct{}

func (neverEnds) Read(p []byte) (int, error) { return len(p), nil }

// Reading messages allocates nothing once the buffer has grown: a download
// reads one give per piece, and peer lists and asks come in between.
func TestReaderDoesNotAllocate(t *testing.T) {
	for _, o := range []Options{little, big} {
		give := must(AppendGive(nil, Hash{}, make([]byte, o.Piece()), o))
		one := append(append(give, AppendAsk(nil, Hash{}, o)...), must(AppendPeers(nil, peers(t, "[::1]:8100"), o))...)
		// More messages than runs: AllocsPerRun divides in integers, so a
		// run spent on the reset below would hide one allocation per message.
		stream := bytes.Repeat(one, 100)
		src := bytes.NewReader(stream)
		r := NewReader(src, o)
		allocs := testing.AllocsPerRun(200, func() {
			f, err := r.Next()
			if err != nil {
				src.Reset(stream)
				r.buf.Rewind()
				return
			}
			if m, err := Decode(f, o); err != nil || m.Type == TypePeer && m.NumPeers() != 1 {
				t.Fatalf("Decode: %v", err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per message", o.Order, allocs)
		}
	}
}
