package nibble

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

func TestParseHumanForm(t *testing.T) {
	id, _ := ParseTorrentID(specID)
	ctx := Context{Torrent: id, Pieces: 2}
	for _, tc := range []struct {
		line string
		wire string
	}{
		{"hello", "01 01 00 14 " + specID},
		{"hello " + specID, "01 01 00 14 " + specID},
		{"hello-request " + strings.ToUpper(specID), "01 01 00 14 " + specID},
		{"hello-response 11", "01 02 00 01 c0"},
		{"hello-response 0101 0101 1", "01 02 00 02 55 80"},
		{"hello-response", "01 02 00 00"},
		{"piece 41", "01 03 00 01 29"},
		{"piece-request 41", "01 03 00 01 29"},
		{"piece 0", "01 03 00 01 00"},
		{"piece 300", "01 03 00 02 01 2c"},
		{"piece-request 41 (2 bytes)", "01 03 00 02 00 29"},
		{"piece-request 0 (0 bytes)", "01 03 00 00"},
		{"piece-response de ad be ef", "01 04 00 04 de ad be ef"},
		{"error Piece index out of range", "01 05 00 18 50 69 65 63 65 20 69 6e 64 65 78 20 6f 75 74 20 6f 66 20 72 61 6e 67 65"},
		{"error  two spaces ", "01 05 00 0c 20 74 77 6f 20 73 70 61 63 65 73 20"},
		{"raw 01 03 00 01 29", "01 03 00 01 29"},
		{"raw 0103000129", "01 03 00 01 29"},
		{"raw 02 99 ff ff", "02 99 ff ff"},
	} {
		got, err := Parse(tc.line, ctx)
		if err != nil || !bytes.Equal(got, codectest.Unhex(t, tc.wire)) {
			t.Errorf("Parse(%q) = % x, %v; want %s", tc.line, got, err, tc.wire)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		line string
		err  string
	}{
		{"", "empty line: type hello, hello-response, piece, piece-response, error, raw"},
		{"hello", "hello: no torrent: type hello ID (40 hex digits)"},
		{"hello 84e1", "hello: torrent id: want 40 hex digits, got 4 characters"},
		{"hello-response 102", `hello-response: bitfield: want one 0 or 1 per piece, piece 0 first: "2" at 3`},
		{"piece", "piece: index: missing: type piece N"},
		{"piece -1", "piece: index: want a decimal number below 2^32"},
		{"piece 4294967296", "piece: index: want a decimal number below 2^32"},
		{"piece 300 (1 bytes)", "piece: index width: 300 does not fit in 1 bytes"},
		{"piece 3 (5 bytes)", "piece: index width: want (N bytes), N from 0 to 4"},
		{"piece-response abc", "piece-response: data: want hex bytes, e.g. 01 03 00 01 29: odd number of digits"},
		{"raw 01 0g", "raw: want hex bytes, e.g. 01 03 00 01 29: not a hex digit at 4"},
		{"raw", "raw: no bytes: type raw and hex, e.g. raw 01 03 00 01 29"},
		{"ping\x1b[2J", `ping\x1b[2J: unknown command: type hello, hello-response, piece, piece-response, error, raw`},
		{"error " + strings.Repeat("x", MaxData+1), "error: text: more than 65535 bytes"},
	} {
		_, err := Parse(tc.line, Context{})
		var ie *InputError
		if !errors.As(err, &ie) || err.Error() != tc.err {
			t.Errorf("Parse(%.40q) = %v, want %q", tc.line, err, tc.err)
		}
	}
	if _, err := Parse("hello-response "+strings.Repeat("1", MaxPieces+1), Context{}); err == nil {
		t.Error("a bitfield too long for one frame was accepted")
	}
}

func TestDescribeOffSpecFrames(t *testing.T) {
	long := append(codectest.Unhex(t, "01 09 01 00"), make([]byte, 256)...)
	for _, tc := range []struct {
		wire string
		ctx  Context
		want string
	}{
		{"02 03 00 01 29", Context{}, "raw 02 03 00 01 29"},
		{"01 07 00 00", Context{}, "raw 01 07 00 00"},
		{"01 03 00 02 29", Context{}, "raw 01 03 00 02 29"},
		{"01 01 00 01 84", Context{}, "raw 01 01 00 01 84"},
		{"01 03 00 05 00 00 00 00 01", Context{}, "raw 01 03 00 05 00 00 00 00 01"},
		{"01 03 00 02 00 29", Context{}, "piece-request 41 (2 bytes)"},
		{"01 03 00 00", Context{}, "piece-request 0 (0 bytes)"},
		{"01 04 00 02 aa bb", Context{}, "piece-response (2 bytes)"},
		{"01 05 00 00", Context{}, "error"},
		{"01 02 00 00", Context{Pieces: 3}, "hello-response"},
		{"01 05 00 03 61 1b 5b", Context{}, `error a\x1b[`},
		{"01 02 00 01 e0", Context{Pieces: 2}, "hello-response 11100000"}, // spare bit set: all bits shown
		{"01 02 00 02 c0 00", Context{Pieces: 2}, "hello-response 1100000000000000"},
		{"01 02 00 01 c0", Context{Pieces: 3}, "hello-response 110"},
	} {
		if got := Describe(codectest.Unhex(t, tc.wire), tc.ctx); got != tc.want {
			t.Errorf("Describe(%s) = %q, want %q", tc.wire, got, tc.want)
		}
	}
	if got := Describe(long, Context{}); !strings.HasSuffix(got, " 00 ... (260 bytes)") || len(got) != len("raw")+3*maxRawShown+len(" ... (260 bytes)") {
		t.Errorf("a long raw frame: %q", got)
	}
}

func TestValidate(t *testing.T) {
	id, _ := ParseTorrentID(specID)
	ctx := Context{Torrent: id, Pieces: 10}
	for _, tc := range []struct {
		line  string
		level Level
		text  string
	}{
		{"hello", Valid, ""},
		{"piece 41", Valid, ""},
		{"piece-request 41 (2 bytes)", Valid, ""},
		{"hello-response 1111111111", Valid, ""},
		{"error Piece index out of range", Valid, ""},
		{"raw 01 03 00 01 29", Valid, ""},
		{"piece-request 0 (0 bytes)", Lenient, "piece-request: no index: the payload is the index of the piece (bitclone reads none as 0)"},
		{"hello-response 11111111 11111111", Lenient, "hello-response: spare bits set: the spec pads the bitfield with zeros"},
		{"hello-response 11111111", Lenient, "hello-response: the bitfield of 10 pieces is 2 bytes, got 1"},
		{"error caf\u00e9", Lenient, "error: the payload is ASCII text describing what went wrong"},
		{"raw 02 03 00 01 29", Invalid, "version: always 0x01 (version is not 0x01: version 0x02)"},
		{"raw 01 06 00 00", Invalid, "type: hello request (0x01), hello response (0x02), piece request (0x03), piece response (0x04) or error (0x05) (unknown type 0x06)"},
		{"raw 01 03 00 02 29", Invalid, "length: the length of the data field in bytes (the length field disagrees with the data: length 2, 1 bytes of data)"},
		{"raw 01 03", Invalid, "header: version, type and a 16-bit length (shorter than the 4-byte header: 2 bytes)"},
		{"raw 01 01 00 01 00", Invalid, "hello-request: the payload is the torrent id in binary (20 bytes), got 1 bytes"},
		{"raw 01 03 00 05 00 00 00 00 01", Invalid, "piece-request: the index is at most 4 bytes, got 5"},
		{"piece x", Invalid, "piece: index: want a decimal number below 2^32"},
	} {
		if got := Validate(tc.line, ctx); got != (Verdict{Level: tc.level, Text: tc.text}) {
			t.Errorf("Validate(%q) = %+v, want %v %q", tc.line, got, tc.level, tc.text)
		}
	}
	if got := Validate("hello", Context{}); got.Level != Invalid {
		t.Errorf("hello without a torrent: %+v", got)
	}
}

// Every template is a line Parse reads and Validate finds valid.
func TestTemplates(t *testing.T) {
	id, _ := ParseTorrentID(specID)
	for _, ctx := range []Context{{}, {Torrent: id, Pieces: 13}} {
		tpl := Templates(ctx)
		if len(tpl) != len(Words) {
			t.Errorf("%d templates for %d words", len(tpl), len(Words))
		}
		for i, line := range tpl {
			if !strings.HasPrefix(line, Words[i]) {
				t.Errorf("template %q does not start with %q", line, Words[i])
			}
			if v := Validate(line, ctx); v.Level != Valid {
				t.Errorf("template %q: %+v", line, v)
			}
		}
	}
}

func TestFraming(t *testing.T) {
	f := Framing()
	r := f.NewReader(bytes.NewReader(PieceRequest(41)))
	frame, err := r.Next()
	if err != nil || f.Command(frame) != CmdPieceRequest || string(f.Text(frame)) != "piece-request 41" || f.Overhead != 0 {
		t.Errorf("Framing: %v, %q, %q", err, f.Command(frame), f.Text(frame))
	}
}

func TestComplete(t *testing.T) {
	id, _ := ParseTorrentID(specID)
	ctx := Context{Torrent: id, Pieces: 3}
	for _, tc := range []struct {
		word string
		want []string
	}{
		{"h", []string{"hello", "hello-response 111"}},
		{"hello-", []string{"hello-response 111"}},
		{"pie", []string{"piece 0", "piece-response 00"}},
		{"e", []string{"error Piece index out of range"}},
		{"r", []string{"raw 01 03 00 01 00"}},
		{"x", nil},
		{"piece 4", nil},
	} {
		if got := Complete(tc.word, ctx); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Complete(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
	if got := Complete("h", Context{}); len(got) != 2 || got[0] != "hello "+strings.Repeat("0", 40) {
		t.Errorf("without a torrent: %q", got)
	}
}

func TestClassOf(t *testing.T) {
	for cmd, want := range map[string]Class{
		CmdHelloRequest: ClassHandshake, CmdHelloResponse: ClassHandshake,
		CmdPieceRequest: ClassData, CmdPieceResponse: ClassData,
		CmdError: ClassError, CmdUnknown: ClassUnknown, "ping": ClassUnknown,
	} {
		if got := ClassOf(cmd); got != want {
			t.Errorf("ClassOf(%q) = %d, want %d", cmd, got, want)
		}
	}
	if len(Commands) != 5 {
		t.Errorf("Commands: %q", Commands)
	}
	for i, c := range Commands {
		if Type(i+1).Command() != c {
			t.Errorf("Commands[%d] = %q, type %d is %q", i, c, i+1, Type(i+1).Command())
		}
	}
}
