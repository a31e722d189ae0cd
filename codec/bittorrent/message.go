package bittorrent

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bitclone/bitclone/codec/bitfield"
)

// Limits and fixed sizes of the wire format. One limit bounds what a
// connection buffers (MaxMessageLength); the others say what a message may
// carry. A message past any of them is an error: the peer drops the
// connection, as the spec says of bitfields (and real clients of requests).
const (
	LengthSize = 4 // the big-endian length prefix of every message

	// BlockSize is the block the spec's clients request: 16 KiB. A request
	// or piece of more is read (Lenient): older clients asked for 32 KiB.
	BlockSize = 16 << 10
	// MaxBlock is the largest block bitclone accepts both ways: a request
	// for more, or a piece carrying more, drops the connection ("a request
	// of more than 128 KiB").
	MaxBlock = 128 << 10
	// PieceHeaderSize is a piece message's length after its prefix, less
	// the block: the id, index and begin.
	PieceHeaderSize = 1 + 4 + 4
	// MaxMessageLength is the largest length prefix read: a piece of
	// MaxBlock bytes and its header. A longer message is refused before a
	// byte of it is buffered.
	MaxMessageLength = PieceHeaderSize + MaxBlock
	// MaxPieces is the most pieces a torrent may have: its bitfield message
	// (one id byte, a bit per piece) must fit MaxMessageLength.
	MaxPieces = 8 * MaxBlock

	// The lengths of the fixed-size messages (prefix excluded).
	lengthNoPayload = 1       // choke, unchoke, interested, not interested
	lengthHave      = 1 + 4   // id, index
	lengthRequest   = 1 + 4*3 // id, index, begin, length (request and cancel)
	lengthPort      = 1 + 2   // id, port (BEP 5)
)

// ID is a message's id byte.
type ID byte

// The ids of the spec, and the DHT's port message (BEP 5), which real
// clients send once they set the DHT reserved bit.
const (
	IDChoke         ID = 0
	IDUnchoke       ID = 1
	IDInterested    ID = 2
	IDNotInterested ID = 3
	IDHave          ID = 4
	IDBitfield      ID = 5
	IDRequest       ID = 6
	IDPiece         ID = 7
	IDCancel        ID = 8
	IDPort          ID = 9
)

// Known says whether bitclone reads messages of this id; a message of any
// other id is skipped, not fatal.
func (id ID) Known() bool { return id <= IDPort }

// Errors of Decode: each is wrapped with detail (test with errors.Is), and
// each means the message is broken: the peer drops the connection. An
// unknown id is not among them.
var (
	ErrShort          = errors.New("shorter than the 4-byte length prefix")
	ErrLength         = errors.New("the length prefix disagrees with the message")
	ErrSize           = errors.New("wrong size for its id")
	ErrTooLong        = errors.New("longer than a block and its header")
	ErrRequestTooLong = errors.New("request for more than 128 KiB")
	ErrRequestEmpty   = errors.New("request for 0 bytes")
)

// Message is one decoded message. Payload aliases the bytes it was decoded
// from: a bitfield's bytes, a piece's block, or an unknown id's payload.
type Message struct {
	KeepAlive bool // a zero length prefix: no id, nothing else set
	ID        ID
	Index     uint32 // have, request, piece, cancel
	Begin     uint32 // request, piece, cancel
	Length    uint32 // request, cancel
	Port      uint16 // port
	Payload   []byte
}

// Decode reads exactly one message (length prefix included), as the Reader
// returns them. A message of an unknown id decodes without error, with its
// ID and Payload: skip it. Errors (ErrShort, ErrLength, ErrSize,
// ErrTooLong, ErrRequestTooLong, ErrRequestEmpty) mean drop the
// connection. It does not allocate.
func Decode(frame []byte) (Message, error) {
	if len(frame) < LengthSize {
		return Message{}, fmt.Errorf("%w: %d bytes", ErrShort, len(frame))
	}
	n := binary.BigEndian.Uint32(frame)
	body := frame[LengthSize:]
	if n > MaxMessageLength { // what the Reader refuses, whatever follows
		return Message{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, n, MaxMessageLength)
	}
	if int(n) != len(body) {
		return Message{}, fmt.Errorf("%w: length %d, %d bytes follow", ErrLength, n, len(body))
	}
	if n == 0 {
		return Message{KeepAlive: true}, nil
	}
	m := Message{ID: ID(body[0])}
	p := body[1:]
	size := func(want int) error {
		if len(body) != want {
			return fmt.Errorf("%s: %w: length %d, want %d", m.ID.Command(), ErrSize, len(body), want)
		}
		return nil
	}
	switch m.ID {
	case IDChoke, IDUnchoke, IDInterested, IDNotInterested:
		return m, size(lengthNoPayload)
	case IDHave:
		if err := size(lengthHave); err != nil {
			return m, err
		}
		m.Index = binary.BigEndian.Uint32(p)
	case IDBitfield:
		m.Payload = p
	case IDRequest, IDCancel:
		if err := size(lengthRequest); err != nil {
			return m, err
		}
		m.Index = binary.BigEndian.Uint32(p)
		m.Begin = binary.BigEndian.Uint32(p[4:])
		m.Length = binary.BigEndian.Uint32(p[8:])
		if m.Length > MaxBlock {
			return m, fmt.Errorf("%s: %w: %d bytes", m.ID.Command(), ErrRequestTooLong, m.Length)
		}
		if m.Length == 0 {
			return m, fmt.Errorf("%s: %w", m.ID.Command(), ErrRequestEmpty)
		}
	case IDPiece:
		if len(body) < PieceHeaderSize {
			return m, fmt.Errorf("piece: %w: length %d, want at least %d", ErrSize, len(body), PieceHeaderSize)
		}
		m.Index = binary.BigEndian.Uint32(p)
		m.Begin = binary.BigEndian.Uint32(p[4:])
		m.Payload = p[8:]
	case IDPort:
		if err := size(lengthPort); err != nil {
			return m, err
		}
		m.Port = binary.BigEndian.Uint16(p)
	default:
		m.Payload = p
	}
	return m, nil
}

// Append appends m's wire form, length prefix included, to dst. It writes
// what m says without judging it (a request of any length, a bitfield of
// any size); Decode judges. For an unknown id it writes the id and Payload.
func (m Message) Append(dst []byte) []byte {
	if m.KeepAlive {
		return AppendKeepAlive(dst)
	}
	switch m.ID {
	case IDChoke, IDUnchoke, IDInterested, IDNotInterested:
		return AppendSimple(dst, m.ID)
	case IDHave:
		return AppendHave(dst, m.Index)
	case IDRequest, IDCancel:
		return appendRequest(dst, m.ID, m.Index, m.Begin, m.Length)
	case IDPiece:
		return AppendPiece(dst, m.Index, m.Begin, m.Payload)
	case IDPort:
		return AppendPort(dst, m.Port)
	}
	return appendPayload(dst, m.ID, m.Payload)
}

// Bytes is m's wire form in one new buffer (for a single write).
func (m Message) Bytes() []byte { return m.Append(nil) }

// appendHeader appends a length prefix for a message of id with n bytes
// after the id.
func appendHeader(dst []byte, id ID, n int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(1+n))
	return append(dst, byte(id))
}

// AppendKeepAlive appends a keep-alive: four zero bytes.
func AppendKeepAlive(dst []byte) []byte { return append(dst, 0, 0, 0, 0) }

// AppendSimple appends a message of id with no payload (choke, unchoke,
// interested, not interested).
func AppendSimple(dst []byte, id ID) []byte { return appendHeader(dst, id, 0) }

// AppendHave appends a have for piece index.
func AppendHave(dst []byte, index uint32) []byte {
	return binary.BigEndian.AppendUint32(appendHeader(dst, IDHave, 4), index)
}

// AppendBitfield appends a bitfield message carrying f's bytes.
func AppendBitfield(dst []byte, f bitfield.Bitfield) []byte {
	return appendPayload(dst, IDBitfield, f.Bytes())
}

// AppendRequest appends a request for length bytes at begin in piece index.
func AppendRequest(dst []byte, index, begin, length uint32) []byte {
	return appendRequest(dst, IDRequest, index, begin, length)
}

// AppendCancel appends the cancel of a request.
func AppendCancel(dst []byte, index, begin, length uint32) []byte {
	return appendRequest(dst, IDCancel, index, begin, length)
}

func appendRequest(dst []byte, id ID, index, begin, length uint32) []byte {
	dst = appendHeader(dst, id, 12)
	dst = binary.BigEndian.AppendUint32(dst, index)
	dst = binary.BigEndian.AppendUint32(dst, begin)
	return binary.BigEndian.AppendUint32(dst, length)
}

// AppendPieceHeader appends a piece message's prefix, id, index and begin
// for a block of n bytes, which the caller appends next (say, read from
// disk straight into the buffer).
func AppendPieceHeader(dst []byte, index, begin uint32, n int) []byte {
	dst = appendHeader(dst, IDPiece, 8+n)
	dst = binary.BigEndian.AppendUint32(dst, index)
	return binary.BigEndian.AppendUint32(dst, begin)
}

// AppendPiece appends a piece message carrying block.
func AppendPiece(dst []byte, index, begin uint32, block []byte) []byte {
	return append(AppendPieceHeader(dst, index, begin, len(block)), block...)
}

// AppendPort appends a port message (BEP 5: the sender's DHT port).
func AppendPort(dst []byte, port uint16) []byte {
	return binary.BigEndian.AppendUint16(appendHeader(dst, IDPort, 2), port)
}

func appendPayload(dst []byte, id ID, p []byte) []byte {
	return append(appendHeader(dst, id, len(p)), p...)
}

// ParseBitfield reads a bitfield message's payload for a torrent of pieces
// pieces, strictly: exactly ceil(pieces/8) bytes, spare bits zero. The
// error wraps bitfield.ErrLength or bitfield.ErrSpareBits: the spec says
// drop the connection.
func ParseBitfield(payload []byte, pieces int) (bitfield.Bitfield, error) {
	f, err := bitfield.Parse(payload, pieces)
	if err != nil {
		return f, fmt.Errorf("bitfield: %w", err)
	}
	return f, nil
}
