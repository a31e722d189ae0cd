package pex

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// fuzzOptions is the wire a fuzz input picks: either byte order, and the
// default piece size or a small one, so that gives and refusals are both
// within reach of short inputs.
func fuzzOptions(bigOrder bool, piece uint8) Options {
	o := Options{PieceSize: int(piece)}
	if bigOrder {
		o.Order = Big
	}
	return o
}

// FuzzReader: the Reader never panics and never loses or invents a byte:
// the messages it returns (and the partial one at the end) are the input
// in order, each within MaxFrame, up to a refused size prefix, which must
// be over MaxBody. Every message has a command name from the fixed set,
// Decode and Judge agree, Describe and Summary are safe for a terminal,
// and Describe's words read back to the message.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte, chunk uint16, bigOrder bool, piece uint8) {
		o := fuzzOptions(bigOrder, piece)
		sizes := []int{int(chunk%300) + 1, 1, int(chunk>>4) + 1}
		r := NewReader(&codectest.Chunked{B: input, Sizes: sizes}, o)
		var out []byte
		for {
			frame, err := r.Next()
			out = append(out, frame...)
			if len(frame) > o.MaxFrame() {
				t.Fatalf("a message of %d bytes", len(frame))
			}
			if err != nil {
				switch {
				case err == io.EOF || err == io.ErrUnexpectedEOF:
					if !bytes.Equal(out, input) {
						t.Fatalf("the messages are not the input")
					}
				case errors.Is(err, ErrTooLong):
					rest, ok := bytes.CutPrefix(input, out)
					if !ok || len(rest) < PrefixSize || uint64(o.Order.uint32(rest)) <= uint64(o.MaxBody()) {
						t.Fatalf("refused % x after %d bytes: %v", rest[:min(len(rest), 4)], len(out), err)
					}
				default:
					t.Fatalf("error %v", err)
				}
				if err == io.ErrUnexpectedEOF && len(frame) > 0 {
					checkWords(t, frame, o)
				}
				return
			}
			checkWords(t, frame, o)
		}
	})
}

// checkWords checks what the human form says of one message.
func checkWords(t *testing.T, frame []byte, o Options) {
	switch CommandName(frame) {
	case CmdAsk, CmdGive, CmdPeer, CmdUnknown:
	default:
		t.Fatalf("command name %q", CommandName(frame))
	}
	m, err := Decode(frame, o)
	if v := Judge(frame, o); (err != nil) != (v.Level == Invalid) && !(m.Type == TypeGive && !CheckGive(m.Hash, m.Piece)) {
		t.Fatalf("Judge(% x) = %+v; Decode: %v", frame, v, err)
	}
	// The context shares the piece of a give, so its words read back too.
	ctx := Context{Options: o, Piece: func(h Hash) ([]byte, bool) { return m.Piece, m.Type == TypeGive && h == m.Hash }}
	words := Describe(frame, ctx)
	for _, s := range []string{words, Summary(frame, o)} {
		for _, c := range []byte(s) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("the words of % x: %q hold a control byte", frame, s)
			}
		}
	}
	if len(frame) > maxRawShown && strings.HasPrefix(words, wordRaw) {
		return // cut
	}
	back, err := Parse(words, ctx)
	if err != nil || !bytes.Equal(back, frame) {
		t.Fatalf("Parse(Describe(% x)) = Parse(%q) = % x, %v", frame, words, back, err)
	}
}

// FuzzParse: Parse never panics; its errors are *InputError and safe to
// print, and Validate says Invalid with the same words; what it accepts
// (raw aside) is one message the Reader delimits exactly and Decode reads,
// and Describe's words read back to it.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, line string, bigOrder bool, piece uint8) {
		o := fuzzOptions(bigOrder, piece)
		h := mustHash(t, abcHash)
		ctx := Context{Options: o, Shared: h, Piece: func(q Hash) ([]byte, bool) { return []byte("abc"), q == h }}
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
		if len(b) == 0 {
			t.Fatalf("Parse(%q) accepted no bytes", line)
		}
		if !strings.HasPrefix(strings.TrimLeft(line, " "), wordRaw) {
			if _, err := Decode(b, o); err != nil {
				t.Fatalf("Parse(%q) = % x, which Decode refuses: %v", line, b, err)
			}
			got, err := NewReader(bytes.NewReader(b), o).Next()
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("the Reader does not give back % x: % x, %v", b, got, err)
			}
		}
		if len(b) <= o.MaxFrame() {
			checkWords(t, b, o)
		}
	})
}
