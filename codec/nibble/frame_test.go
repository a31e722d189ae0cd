package nibble

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/internal/codectest"
)

const specID = "84e199cad6b953eee0c9b6d8b72612ddb2488999"

// Every hex example of the spec, built by the encoders and read back by
// Decode and the payload parsers.
func TestSpecExamples(t *testing.T) {
	id, err := ParseTorrentID(specID)
	if err != nil {
		t.Fatal(err)
	}
	piece := bytes.Repeat([]byte{0xab}, 4096)
	pieceResponse, err := PieceResponse(piece)
	if err != nil {
		t.Fatal(err)
	}
	helloResponse, err := HelloResponse(bitfield.Full(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		got   []byte
		want  string
		typ   Type
		words string
	}{
		{"hello request", HelloRequest(id), "01 01 00 14 84 e1 99 ca d6 b9 53 ee e0 c9 b6 d8 b7 26 12 dd b2 48 89 99", TypeHelloRequest, "hello-request " + specID},
		{"hello response", helloResponse, "01 02 00 01 c0", TypeHelloResponse, "hello-response 11000000"},
		{"piece request", PieceRequest(2), "01 03 00 01 02", TypePieceRequest, "piece-request 2"},
		{"piece response header", pieceResponse[:HeaderSize], "01 04 10 00", TypePieceResponse, ""},
		{"error", ErrorFrame("Piece index out of range"), "01 05 00 18 50 69 65 63 65 20 69 6e 64 65 78 20 6f 75 74 20 6f 66 20 72 61 6e 67 65", TypeError, "error Piece index out of range"},
	} {
		if want := codectest.Unhex(t, tc.want); !bytes.Equal(tc.got, want) {
			t.Errorf("%s: % x, want % x", tc.name, tc.got, want)
		}
		if tc.words == "" {
			continue
		}
		f, err := Decode(tc.got)
		if err != nil || f.Type != tc.typ || f.Version != ProtocolVersion {
			t.Errorf("%s: Decode = %+v, %v", tc.name, f, err)
		}
		if got := Describe(tc.got, Context{}); got != tc.words {
			t.Errorf("%s: Describe = %q, want %q", tc.name, got, tc.words)
		}
	}
	f, err := Decode(pieceResponse)
	if err != nil || !bytes.Equal(f.Data, piece) {
		t.Errorf("piece response: Decode = %v, data equal %v", err, bytes.Equal(f.Data, piece))
	}
	if got := Describe(pieceResponse, Context{Index: 41, HasIndex: true}); got != "piece-response 41 (4096 bytes)" {
		t.Errorf("piece response: Describe = %q", got)
	}
	if got, err := HelloID(codectest.Unhex(t, "84 e1 99 ca d6 b9 53 ee e0 c9 b6 d8 b7 26 12 dd b2 48 89 99")); err != nil || got != id {
		t.Errorf("HelloID = %v, %v", got, err)
	}
	// With two pieces known, the spec's hello response is the two bits.
	if got := Describe(helloResponse, Context{Pieces: 2}); got != "hello-response 11" {
		t.Errorf("hello response for 2 pieces: %q", got)
	}
	if bf, err := HelloBitfield(codectest.Unhex(t, "c0"), 2); err != nil || !bf.Complete() {
		t.Errorf("HelloBitfield(c0, 2) = %v, %v", bf, err)
	}
}

// Piece indexes: sent in the fewest bytes, read in 0 to 4 (DIALECTS.md).
func TestPieceIndex(t *testing.T) {
	for _, tc := range []struct {
		index uint32
		wire  string
	}{
		{0, "01 03 00 01 00"},
		{41, "01 03 00 01 29"},
		{255, "01 03 00 01 ff"},
		{256, "01 03 00 02 01 00"},
		{0x10000, "01 03 00 03 01 00 00"},
		{0xffffffff, "01 03 00 04 ff ff ff ff"},
	} {
		if got := PieceRequest(tc.index); !bytes.Equal(got, codectest.Unhex(t, tc.wire)) {
			t.Errorf("PieceRequest(%d) = % x, want %s", tc.index, got, tc.wire)
		}
	}
	for _, tc := range []struct {
		data string
		want uint32
		err  error
	}{
		{"", 0, nil},
		{"00", 0, nil},
		{"00 00", 0, nil}, // ceil(bits(pieces)/8) bytes, as one student peer sends
		{"01 00", 256, nil},
		{"00 00 01 2c", 300, nil},
		{"00 00 00 00 01", 0, ErrIndexSize},
	} {
		got, err := PieceIndex(codectest.Unhex(t, tc.data))
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("PieceIndex(%s) = %d, %v; want %d, %v", tc.data, got, err, tc.want, tc.err)
		}
	}
	if got := PieceRequestWidth(300, 4); !bytes.Equal(got, codectest.Unhex(t, "01 03 00 04 00 00 01 2c")) {
		t.Errorf("PieceRequestWidth(300, 4) = % x", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		wire string
		err  error
		cmd  string
	}{
		{"01 01 00", ErrShort, CmdUnknown},
		{"01 03 00 02 29", ErrLength, CmdPieceRequest},
		{"01 03 00 00 29", ErrLength, CmdPieceRequest},
		{"02 03 00 01 29", ErrVersion, CmdUnknown},
		{"01 06 00 00", ErrType, CmdUnknown},
		{"01 00 00 00", ErrType, CmdUnknown},
	} {
		_, err := Decode(codectest.Unhex(t, tc.wire))
		if !errors.Is(err, tc.err) {
			t.Errorf("Decode(%s) = %v, want %v", tc.wire, err, tc.err)
		}
		if got := CommandName(codectest.Unhex(t, tc.wire)); got != tc.cmd {
			t.Errorf("CommandName(%s) = %q, want %q", tc.wire, got, tc.cmd)
		}
	}
	// A frame of another version is whole: Decode gives it with the error,
	// so the peer can answer it.
	if f, err := Decode(codectest.Unhex(t, "02 03 00 01 29")); f.Version != 2 || !bytes.Equal(f.Data, []byte{0x29}) || err == nil {
		t.Errorf("version 2: %+v, %v", f, err)
	}
	if _, err := HelloID(make([]byte, 19)); !errors.Is(err, ErrIDSize) {
		t.Errorf("HelloID of 19 bytes: %v", err)
	}
}

func TestEncodeLimits(t *testing.T) {
	if _, err := PieceResponse(make([]byte, MaxData+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("PieceResponse of %d bytes: %v", MaxData+1, err)
	}
	b, err := PieceResponse(make([]byte, MaxData))
	if err != nil || len(b) != MaxFrame || b[2] != 0xff || b[3] != 0xff {
		t.Errorf("PieceResponse of MaxData bytes: %d bytes, %v", len(b), err)
	}
	if _, err := HelloResponse(bitfield.Full(MaxPieces + 1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("HelloResponse of %d pieces: %v", MaxPieces+1, err)
	}
	if _, err := HelloResponse(bitfield.Full(MaxPieces)); err != nil {
		t.Errorf("HelloResponse of MaxPieces: %v", err)
	}
	if b := ErrorFrame(strings.Repeat("x", MaxData+10)); len(b) != MaxFrame {
		t.Errorf("a long error text is cut to one frame: %d bytes", len(b))
	}
}

func TestTorrentID(t *testing.T) {
	id, err := ParseTorrentID(strings.ToUpper(specID))
	if err != nil || id.String() != specID || id.IsZero() {
		t.Errorf("ParseTorrentID upper case: %v, %v", id, err)
	}
	for _, s := range []string{"", specID[:39], specID + "0", specID[:39] + "g"} {
		if _, err := ParseTorrentID(s); err == nil {
			t.Errorf("ParseTorrentID(%q) accepted", s)
		}
	}
}
