package bittorrent

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// stream is a handshake and then every kind of message, an unknown id and
// a piece of the largest block among them.
func stream(t *testing.T) [][]byte {
	ih, _ := ParseInfoHash(testHash)
	hs := Handshake{InfoHash: ih, PeerID: testPeerID(t)}
	hs.Reserved[7] = 0x05
	return [][]byte{
		hs.Bytes(),
		AppendBitfield(nil, bitfield.Full(13)),
		AppendKeepAlive(nil),
		AppendSimple(nil, IDUnchoke),
		AppendSimple(nil, IDUnchoke), // real clients send it twice
		AppendSimple(nil, IDInterested),
		appendPayload(nil, 20, []byte("d1:md6:ut_pexi1eee")), // an extended handshake: skipped
		AppendHave(nil, 12),
		AppendRequest(nil, 0, 0, BlockSize),
		AppendPiece(nil, 0, 0, bytes.Repeat([]byte{7}, BlockSize)),
		AppendPiece(nil, 1, 0, bytes.Repeat([]byte{8}, MaxBlock)),
		AppendCancel(nil, 0, 16384, BlockSize),
		AppendPort(nil, 6881),
		AppendSimple(nil, IDChoke),
		AppendSimple(nil, IDNotInterested),
	}
}

func TestReaderSplitsAndJoins(t *testing.T) {
	frames := stream(t)
	all := bytes.Join(frames, nil)
	for name, src := range map[string]io.Reader{
		"all in one read":         bytes.NewReader(all),
		"one byte a read":         iotest.OneByteReader(bytes.NewReader(all)),
		"half a read":             iotest.HalfReader(bytes.NewReader(all)),
		"data then EOF":           iotest.DataErrReader(bytes.NewReader(all)),
		"split across reads":      &codectest.Chunked{B: all, Sizes: []int{3, 1, 67, 2, 16390, 5, 70000}},
		"the handshake in pieces": &codectest.Chunked{B: all, Sizes: []int{1, 19, 8, 20, 19, 1 << 20}},
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
		if r.buf.Size() > LengthSize+MaxMessageLength {
			t.Errorf("%s: buffer grew to %d bytes", name, r.buf.Size())
		}
		if CommandName(got[0]) != CmdHandshake || CommandName(got[6]) != CmdUnknown {
			t.Errorf("%s: the handshake is %q, the extended message %q", name, CommandName(got[0]), CommandName(got[6]))
		}
	}
}

// Several messages in one read come out one by one, and Buffered says the
// next is in memory.
func TestReaderBuffered(t *testing.T) {
	two := append(AppendHave(nil, 1), AppendHave(nil, 2)...)
	r := NewReader(bytes.NewReader(two))
	if _, err := r.Next(); err != nil || !r.Buffered() {
		t.Fatalf("after the first of two messages in one read: %v, Buffered %v", err, r.Buffered())
	}
	if f, err := r.Next(); err != nil || r.Buffered() || !bytes.Equal(f, AppendHave(nil, 2)) {
		t.Fatalf("the second: % x, %v, Buffered %v", f, err, r.Buffered())
	}
}

// An oversize length prefix ends the stream at once, before any of the
// message is read or buffered: the buffer never grows for it.
func TestReaderRefusesOversizeWithoutAllocating(t *testing.T) {
	hs := Handshake{}.Bytes()
	for name, tc := range map[string]struct {
		prefix string
		err    error
	}{
		"one byte over":        {"00 02 00 0a", ErrTooLong},
		"4 GiB":                {"ff ff ff ff", ErrTooLong},
		"a second handshake":   {"13 42 69 74", ErrTooLong},
		"first, not a message": {"", ErrNotBitTorrent},
	} {
		var input []byte
		if tc.prefix != "" {
			input = append(append(bytes.Clone(hs), AppendHave(nil, 1)...), codectest.Unhex(t, tc.prefix)...)
		} else {
			input = codectest.Unhex(t, "01 01 00 14") // a NibbleTorrent hello request
		}
		rest := &countingReader{r: bytes.NewReader(input)}
		r := NewReader(io.MultiReader(rest, neverEnds{}))
		for {
			f, err := r.Next()
			if err == nil {
				continue
			}
			if !errors.Is(err, tc.err) || f != nil {
				t.Errorf("%s: % x, %v; want %v", name, f, err, tc.err)
			}
			if r.buf.Size() != readSize {
				t.Errorf("%s: the buffer grew to %d bytes", name, r.buf.Size())
			}
			if _, again := r.Next(); again != err {
				t.Errorf("%s: the error is not final: then %v", name, again)
			}
			break
		}
	}
	// MaxMessageLength itself is read.
	big := AppendPiece(nil, 0, 0, make([]byte, MaxBlock))
	if f, err := NewReader(bytes.NewReader(append(bytes.Clone(hs), big...))).Next(); err != nil || !IsHandshake(f) {
		t.Fatalf("handshake: %v", err)
	}
	r := NewReader(bytes.NewReader(big))
	if f, err := r.Next(); err != nil || len(f) != LengthSize+MaxMessageLength {
		t.Errorf("a message of MaxMessageLength: %d bytes, %v", len(f), err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// neverEnds would hand over a message body forever: the Reader must not
// ask for it.
type neverEnds struct{}

func (neverEnds) Read(p []byte) (int, error) { return len(p), nil }

// The first frame: a handshake whatever its pstr (ParseHandshake judges),
// or a message when the stream starts without one (the session refuses it;
// replay reads single recorded messages so).
func TestReaderFirstFrame(t *testing.T) {
	odd := Handshake{}.Bytes()
	copy(odd[1:], "BitTorrent_protocol")
	for name, tc := range map[string]struct {
		input  []byte
		frames [][]byte
	}{
		"a handshake with another pstr": {append(bytes.Clone(odd), AppendHave(nil, 1)...), [][]byte{odd, AppendHave(nil, 1)}},
		"a message first":               {append(AppendHave(nil, 1), AppendSimple(nil, IDChoke)...), [][]byte{AppendHave(nil, 1), AppendSimple(nil, IDChoke)}},
		"a keep-alive first":            {AppendKeepAlive(nil), [][]byte{AppendKeepAlive(nil)}},
	} {
		got, err := codectest.ReadAll(NewReader(iotest.OneByteReader(bytes.NewReader(tc.input))))
		if err != io.EOF || len(got) != len(tc.frames) {
			t.Fatalf("%s: %d frames, %v", name, len(got), err)
		}
		for i := range got {
			if !bytes.Equal(got[i], tc.frames[i]) {
				t.Errorf("%s: frame %d % x, want % x", name, i, got[i], tc.frames[i])
			}
		}
	}
	if _, err := ParseHandshake(odd); !errors.Is(err, ErrProtocol) {
		t.Errorf("another pstr: %v", err)
	}
}

func TestReaderEnds(t *testing.T) {
	boom := errors.New("boom")
	hs := Handshake{}.Bytes()
	for _, tc := range []struct {
		name    string
		src     io.Reader
		frames  int
		partial []byte
		err     error
	}{
		{"clean end", bytes.NewReader(AppendHave(nil, 1)), 1, nil, io.EOF},
		{"nothing at all", bytes.NewReader(nil), 0, nil, io.EOF},
		{"end inside the handshake", bytes.NewReader(hs[:30]), 0, hs[:30], io.ErrUnexpectedEOF},
		{"end inside the prefix", bytes.NewReader(append(AppendHave(nil, 1), 0, 0)), 1, []byte{0, 0}, io.ErrUnexpectedEOF},
		{"end inside the payload", bytes.NewReader(AppendHave(nil, 1)[:7]), 0, AppendHave(nil, 1)[:7], io.ErrUnexpectedEOF},
		{"error after a message", io.MultiReader(bytes.NewReader(AppendHave(nil, 1)), iotest.ErrReader(boom)), 1, nil, boom},
		{"a reader that never reads", codectest.NoProgress{}, 0, nil, io.ErrNoProgress},
	} {
		r := NewReader(tc.src)
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
			if _, again := r.Next(); !errors.Is(again, err) && !(err == io.ErrUnexpectedEOF && again == io.ErrUnexpectedEOF) {
				t.Errorf("%s: the error is not final: then %v", tc.name, again)
			}
			break
		}
	}
}

// Reading messages allocates nothing once the buffer has grown: a
// download reads one piece message per 16 KiB block.
func TestReaderDoesNotAllocate(t *testing.T) {
	piece := AppendPiece(nil, 0, 0, make([]byte, BlockSize))
	// More frames than runs: AllocsPerRun divides in integers, so a run
	// spent on the reset below would hide one allocation per frame.
	stream := bytes.Repeat(append(piece, AppendHave(nil, 3)...), 150)
	src := bytes.NewReader(stream)
	r := NewReader(src)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := r.Next(); err != nil {
			src.Reset(stream)
			r.buf.Rewind()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per message", allocs)
	}
}

// The framing a peer.Conn is given: the Reader from the start of a stream,
// the command names and the words.
func TestFraming(t *testing.T) {
	f := Framing()
	hs := Handshake{}.Bytes()
	r := f.NewReader(bytes.NewReader(append(bytes.Clone(hs), AppendHave(nil, 3)...)))
	first, err := r.Next()
	if err != nil || f.Command(first) != CmdHandshake {
		t.Fatalf("first frame % x, %v", first, err)
	}
	second, err := r.Next()
	if err != nil || f.Command(second) != CmdHave || string(f.Text(second)) != "have 3" || f.Overhead != 0 {
		t.Fatalf("second frame % x, %v: %q %q", second, err, f.Command(second), f.Text(second))
	}
}
