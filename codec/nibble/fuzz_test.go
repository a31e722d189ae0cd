package nibble

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// FuzzReader: the Reader never panics and never loses or invents a byte:
// the frames it returns, and the partial frame at the end, are the input in
// order, each within MaxFrame. Every frame has a command name from the
// fixed set, Describe never fails and its words are safe for a terminal,
// and the words read back to the frame (a piece response excepted).
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte, chunk uint16) {
		sizes := []int{int(chunk%4099) + 1, 1, int(chunk>>4) + 1}
		r := NewReader(&codectest.Chunked{B: input, Sizes: sizes})
		var out []byte
		for {
			frame, err := r.Next()
			out = append(out, frame...)
			if len(frame) > MaxFrame {
				t.Fatalf("a frame of %d bytes", len(frame))
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("error %v", err)
				}
				break
			}
			checkWords(t, frame)
		}
		if !bytes.Equal(out, input) {
			t.Fatalf("the frames are not the input")
		}
	})
}

// checkWords checks what Describe says of one frame.
func checkWords(t *testing.T, frame []byte) {
	switch CommandName(frame) {
	case CmdHelloRequest, CmdHelloResponse, CmdPieceRequest, CmdPieceResponse, CmdError, CmdUnknown:
	default:
		t.Fatalf("command name %q", CommandName(frame))
	}
	words := Describe(frame, Context{})
	for _, c := range []byte(words) {
		if c < 0x20 || c == 0x7f {
			t.Fatalf("Describe(% x) = %q holds a control byte", frame, words)
		}
	}
	if f, err := Decode(frame); err == nil && (f.Type == TypePieceResponse ||
		f.Type == TypeError && codec.Printable(f.Data) != string(f.Data)) {
		return // a summary, or escaped text: not meant to read back
	}
	if len(frame) > maxRawShown && strings.HasPrefix(words, wordRaw) {
		return // cut
	}
	back, err := Parse(words, Context{})
	if err != nil || !bytes.Equal(back, frame) {
		t.Fatalf("Parse(Describe(% x)) = Parse(%q) = % x, %v", frame, words, back, err)
	}
}

// FuzzParse: Parse never panics; its errors are *InputError and safe to
// print; what it accepts is one frame the Reader delimits exactly (unless
// raw made it malformed), Validate agrees it parses, and its words read
// back to it.
func FuzzParse(f *testing.F) {
	id, _ := ParseTorrentID(specID)
	ctx := Context{Torrent: id, Pieces: 10}
	f.Fuzz(func(t *testing.T, line string) {
		b, err := Parse(line, ctx)
		v := Validate(line, ctx)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || b != nil || v.Level != Invalid || v.Text != err.Error() {
				t.Fatalf("Parse(%q) = % x, %v (%T); Validate %+v", line, b, err, err, v)
			}
			for _, c := range []byte(err.Error()) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("error %q holds a control byte", err)
				}
			}
			return
		}
		if len(b) > MaxFrame && !strings.HasPrefix(line, wordRaw) {
			t.Fatalf("Parse(%q) made %d bytes", line, len(b))
		}
		fr, derr := Decode(b)
		if wellFormed := derr == nil && payloadOK(fr); wellFormed != (v.Level != Invalid) {
			t.Fatalf("Validate(%q) = %+v; Decode: %v", line, v, derr)
		}
		if derr == nil {
			got, err := NewReader(bytes.NewReader(b)).Next()
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("the Reader does not give back % x: % x, %v", b, got, err)
			}
		}
		checkWords(t, b)
	})
}

// payloadOK says whether a decoded frame's data reads as its type says.
func payloadOK(f Frame) bool {
	switch f.Type {
	case TypeHelloRequest:
		_, err := HelloID(f.Data)
		return err == nil
	case TypePieceRequest:
		_, err := PieceIndex(f.Data)
		return err == nil
	}
	return true
}
