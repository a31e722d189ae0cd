package nibble

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/bitclone/bitclone/codec/human"

	"github.com/bitclone/bitclone/codec/bitfield"
)

// Limits and fixed sizes of the wire format.
const (
	ProtocolVersion = 0x01                 // the only version the spec defines
	HeaderSize      = 4                    // version, type, 16-bit length
	MaxData         = 65535                // the length field is 16 bits (the spec's "65,536" is one too many)
	MaxFrame        = HeaderSize + MaxData // the longest frame on the wire
	IDSize          = 20                   // a torrent id (SHA-1) in binary
	MaxIndexBytes   = 4                    // the widest piece index bitclone reads
	// MaxPieces is the most pieces a torrent may have: its hello
	// response bitfield must fit one frame.
	MaxPieces = MaxData * 8
)

// Type is a frame's type byte.
type Type byte

// The frame types of the spec.
const (
	TypeHelloRequest  Type = 0x01
	TypeHelloResponse Type = 0x02
	TypePieceRequest  Type = 0x03
	TypePieceResponse Type = 0x04
	TypeError         Type = 0x05
)

// The command names: the first word of a frame in the log, and the keys of
// the per-command statistics. CmdUnknown stands for every frame that is
// none of the five (another version, an unknown type, a broken header).
const (
	CmdHelloRequest  = "hello-request"
	CmdHelloResponse = "hello-response"
	CmdPieceRequest  = "piece-request"
	CmdPieceResponse = "piece-response"
	CmdError         = "error"
	CmdUnknown       = "?"
)

// Command is the command name of the type, or CmdUnknown.
func (t Type) Command() string {
	switch t {
	case TypeHelloRequest:
		return CmdHelloRequest
	case TypeHelloResponse:
		return CmdHelloResponse
	case TypePieceRequest:
		return CmdPieceRequest
	case TypePieceResponse:
		return CmdPieceResponse
	case TypeError:
		return CmdError
	}
	return CmdUnknown
}

// Errors of Decode and the payload parsers. Each is wrapped with detail;
// test with errors.Is. ErrVersion and ErrType describe a whole frame the
// Reader delimited: answer it with an error frame and go on.
var (
	ErrShort     = errors.New("shorter than the 4-byte header")
	ErrLength    = errors.New("the length field disagrees with the data")
	ErrVersion   = errors.New("version is not 0x01")
	ErrType      = errors.New("unknown type")
	ErrTooLong   = errors.New("data longer than 65535 bytes")
	ErrIDSize    = errors.New("a torrent id is 20 bytes")
	ErrIndexSize = errors.New("a piece index is at most 4 bytes")
)

// Frame is one decoded frame. Data aliases the bytes it was decoded from.
type Frame struct {
	Version byte
	Type    Type
	Data    []byte
}

// Append appends f's wire form (header and data) to dst. Data longer than
// MaxData cannot be framed: ErrTooLong.
func (f Frame) Append(dst []byte) ([]byte, error) {
	if len(f.Data) > MaxData {
		return dst, fmt.Errorf("%s: %w (%d)", f.Type.Command(), ErrTooLong, len(f.Data))
	}
	dst = append(dst, f.Version, byte(f.Type), 0, 0)
	binary.BigEndian.PutUint16(dst[len(dst)-2:], uint16(len(f.Data)))
	return append(dst, f.Data...), nil
}

// Encode is the wire form of a version-1 frame of type t, in one new
// buffer (header and data together, for a single write).
func Encode(t Type, data []byte) ([]byte, error) {
	return Frame{Version: ProtocolVersion, Type: t, Data: data}.Append(make([]byte, 0, HeaderSize+len(data)))
}

// Decode reads exactly one frame from b, as the Reader returns them. It
// fails with ErrShort or ErrLength for a broken header; it returns the
// frame together with an error wrapping ErrVersion or ErrType for a frame
// that is whole but not one the spec defines.
func Decode(b []byte) (Frame, error) {
	if len(b) < HeaderSize {
		return Frame{}, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	f := Frame{Version: b[0], Type: Type(b[1]), Data: b[HeaderSize:]}
	if n := int(binary.BigEndian.Uint16(b[2:4])); n != len(f.Data) {
		return Frame{}, fmt.Errorf("%w: length %d, %d bytes of data", ErrLength, n, len(f.Data))
	}
	switch {
	case f.Version != ProtocolVersion:
		return f, fmt.Errorf("%w: version %#02x", ErrVersion, f.Version)
	case f.Type.Command() == CmdUnknown:
		return f, fmt.Errorf("%w %#02x", ErrType, byte(f.Type))
	}
	return f, nil
}

// TorrentID is a torrent's id: the SHA-1 of the whole file.
type TorrentID [IDSize]byte

// ParseTorrentID reads 40 hex digits (either case).
func ParseTorrentID(s string) (TorrentID, error) {
	var id TorrentID
	if len(s) != 2*IDSize {
		return id, fmt.Errorf("want 40 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, errors.New("want 40 hex digits: " + human.HexProblem(s))
	}
	return id, nil
}

// String is the id as 40 lowercase hex digits.
func (id TorrentID) String() string { return hex.EncodeToString(id[:]) }

// IsZero says whether id is unset.
func (id TorrentID) IsZero() bool { return id == TorrentID{} }

// HelloRequest is the hello request for torrent id.
func HelloRequest(id TorrentID) []byte {
	b, _ := Encode(TypeHelloRequest, id[:]) // 20 bytes always fit
	return b
}

// HelloResponse is the hello response carrying f's bytes. A bitfield of
// more than MaxPieces pieces does not fit a frame: ErrTooLong.
func HelloResponse(f bitfield.Bitfield) ([]byte, error) {
	return Encode(TypeHelloResponse, f.Bytes())
}

// PieceRequest is the request for piece index, the index in the fewest
// bytes (index 0 is one byte 0x00).
func PieceRequest(index uint32) []byte {
	return PieceRequestWidth(index, IndexWidth(index))
}

// PieceRequestWidth is the request for piece index written in width bytes
// (0 to 4), as some peers write it; the index is cut to width bytes.
func PieceRequestWidth(index uint32, width int) []byte {
	width = max(0, min(width, MaxIndexBytes))
	var be [4]byte
	binary.BigEndian.PutUint32(be[:], index)
	b, _ := Encode(TypePieceRequest, be[4-width:])
	return b
}

// IndexWidth is the fewest bytes that hold index (at least one).
func IndexWidth(index uint32) int {
	w := 1
	for index > 0xff {
		index >>= 8
		w++
	}
	return w
}

// PieceResponse is the piece response carrying data; more than MaxData
// bytes do not fit a frame: ErrTooLong.
func PieceResponse(data []byte) ([]byte, error) { return Encode(TypePieceResponse, data) }

// ErrorFrame is the error frame carrying text (the spec wants ASCII; the
// bytes are sent as given). Text longer than MaxData is cut to fit.
func ErrorFrame(text string) []byte {
	b, _ := Encode(TypeError, []byte(text[:min(len(text), MaxData)]))
	return b
}

// HelloID reads a hello request's data: exactly the 20-byte torrent id.
func HelloID(data []byte) (TorrentID, error) {
	var id TorrentID
	if len(data) != IDSize {
		return id, fmt.Errorf("%w, got %d", ErrIDSize, len(data))
	}
	copy(id[:], data)
	return id, nil
}

// PieceIndex reads a piece request's data: a big-endian index in 1 to 4
// bytes; no data at all is index 0 (a peer's reading, which DIALECTS.md
// asks us to accept).
func PieceIndex(data []byte) (uint32, error) {
	if len(data) > MaxIndexBytes {
		return 0, fmt.Errorf("%w, got %d", ErrIndexSize, len(data))
	}
	var v uint32
	for _, c := range data {
		v = v<<8 | uint32(c)
	}
	return v, nil
}

// HelloBitfield reads a hello response's data for a torrent of pieces
// pieces, strictly: exactly ceil(pieces/8) bytes, spare bits zero (the
// error wraps bitfield.ErrLength or bitfield.ErrSpareBits). For bitclone
// check; a peer reads with HelloBitfieldLenient.
func HelloBitfield(data []byte, pieces int) (bitfield.Bitfield, error) {
	return bitfield.Parse(data, pieces)
}

// HelloBitfieldLenient reads a hello response's data as tolerant peers
// do: short data is padded with zeros, extra bytes and spare bits ignored.
func HelloBitfieldLenient(data []byte, pieces int) bitfield.Bitfield {
	return bitfield.Lenient(data, pieces)
}
