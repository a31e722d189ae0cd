package bittorrent

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// FuzzReader: the Reader never panics and never loses or invents a byte:
// the frames it returns (and the partial frame at the end) are the input
// in order, each within the largest frame, up to a refused length prefix,
// which must be over the limit. Every frame has a command name from the
// fixed set, Decode and Judge never panic, Describe's words are safe for a
// terminal, and they read back to the frame wherever they carry it all.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte, chunk uint16) {
		sizes := []int{int(chunk%16411) + 1, 1, int(chunk>>4) + 1}
		r := NewReader(&codectest.Chunked{B: input, Sizes: sizes})
		var out []byte
		for i := 0; ; i++ {
			frame, err := r.Next()
			out = append(out, frame...)
			if len(frame) > LengthSize+MaxMessageLength {
				t.Fatalf("a frame of %d bytes", len(frame))
			}
			if err != nil {
				switch {
				case err == io.EOF || err == io.ErrUnexpectedEOF:
					if !bytes.Equal(out, input) {
						t.Fatalf("the frames are not the input")
					}
				case errors.Is(err, ErrTooLong) || errors.Is(err, ErrNotBitTorrent):
					rest, ok := bytes.CutPrefix(input, out)
					if !ok || len(rest) < LengthSize || (rest[0] == PstrLen && i == 0) ||
						uint64(rest[0])<<24|uint64(rest[1])<<16|uint64(rest[2])<<8|uint64(rest[3]) <= MaxMessageLength {
						t.Fatalf("refused % x after %d bytes: %v", rest[:min(len(rest), 4)], len(out), err)
					}
				default:
					t.Fatalf("error %v", err)
				}
				break
			}
			if i > 0 && IsHandshake(frame) {
				t.Fatalf("a handshake after the first frame")
			}
			checkWords(t, frame)
		}
	})
}

// checkWords checks what Describe says of one frame.
func checkWords(t *testing.T, frame []byte) {
	switch CommandName(frame) {
	case CmdHandshake, CmdKeepAlive, CmdChoke, CmdUnchoke, CmdInterested, CmdNotInterested,
		CmdHave, CmdBitfield, CmdRequest, CmdPiece, CmdCancel, CmdPort, CmdUnknown:
	default:
		t.Fatalf("command name %q", CommandName(frame))
	}
	Decode(frame)
	if v := Judge(frame, Context{Pieces: 7, PieceLength: 100, Length: 650}); v.Level > Invalid || (v.Level == Valid) != (v.Text == "") {
		t.Fatalf("Judge(% x) = %+v", frame, v)
	}
	words := Describe(frame, Context{})
	for _, c := range []byte(words) {
		if c < 0x20 || c == 0x7f {
			t.Fatalf("Describe(% x) = %q holds a control byte", frame, words)
		}
	}
	if len(words) > 400 {
		t.Fatalf("Describe(% x) is %d bytes long", frame[:min(len(frame), 16)], len(words))
	}
	if m, err := Decode(frame); err == nil && !m.KeepAlive && m.ID == IDPiece {
		return // a summary
	}
	if strings.Contains(words, "…") || strings.Contains(words, " ... (") {
		return // cut
	}
	back, err := Parse(words, Context{})
	if err != nil || !bytes.Equal(back, frame) {
		t.Fatalf("Parse(Describe(% x)) = Parse(%q) = % x, %v", frame, words, back, err)
	}
}

// FuzzParse: Parse never panics; its errors are *InputError and safe to
// print, and Validate says Invalid with the same text; what it accepts
// (raw aside) is one frame the Reader delimits exactly, and its words read
// back to it.
func FuzzParse(f *testing.F) {
	ctx := testContext(f)
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
		if word, _, _ := strings.Cut(strings.TrimLeft(line, " "), " "); word != wordRaw {
			got, err := NewReader(bytes.NewReader(b)).Next()
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("the Reader does not give back Parse(%q) = % x: % x, %v", line, b, got, err)
			}
			if CommandName(b) == CmdUnknown {
				t.Fatalf("Parse(%q) made an unknown frame % x", line, b)
			}
		}
		checkWords(t, b)
	})
}
