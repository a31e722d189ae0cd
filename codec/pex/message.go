package pex

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/bitclone/bitclone/codec/human"
)

// Fixed sizes and limits of the wire format.
const (
	PrefixSize = 4                   // the uint32 size prefix
	TypeSize   = 1                   // the type byte
	HashSize   = sha256.Size         // a piece's SHA-256
	AskSize    = TypeSize + HashSize // an ask's size prefix: 33
	GiveHeader = TypeSize + HashSize // a give's size prefix before the piece: 33
	PeerSize   = 16 + 2              // an in6_addr and a 16-bit port
	PeerHeader = TypeSize            // a peer message's size prefix before the peers
	// DefaultPieceSize is the course node's PIECE_SIZE_BYTES: the
	// document's "1 Mib" read as a mebibit, (1024*1024)/8.
	DefaultPieceSize = 131072
	// MaxPieceSize bounds --piece-size: one connection buffers a give.
	MaxPieceSize = 16 << 20
)

// Type is a message's type byte.
type Type byte

// The message types of the course's node.
const (
	TypeAsk  Type = 0
	TypeGive Type = 1
	TypePeer Type = 2
)

// The command names: the first word of a message in the log, and the keys
// of the per-command statistics. CmdUnknown stands for every message that
// is none of the three: a type of 3 or more, or no type byte at all.
const (
	CmdAsk     = "ask"
	CmdGive    = "give"
	CmdPeer    = "peer"
	CmdUnknown = "?"
)

// Command is the command name of the type, or CmdUnknown.
func (t Type) Command() string {
	switch t {
	case TypeAsk:
		return CmdAsk
	case TypeGive:
		return CmdGive
	case TypePeer:
		return CmdPeer
	}
	return CmdUnknown
}

// Errors of Decode, the Reader and the encoders. Each is wrapped with
// detail; test with errors.Is. All but ErrTooLong describe one whole
// message the Reader delimited: the stream stays in step and reads on.
var (
	ErrTooLong   = errors.New("a size prefix larger than a give can be")
	ErrShort     = errors.New("shorter than a size prefix and a type byte")
	ErrPrefix    = errors.New("the size prefix disagrees with the bytes")
	ErrType      = errors.New("unknown type")
	ErrAskSize   = errors.New("an ask is a type byte and a SHA-256: size 33")
	ErrGiveSize  = errors.New("a give is a type byte, a SHA-256 and the piece")
	ErrPeerList  = errors.New("a peer list is a type byte and 18 bytes per peer")
	ErrPieceSize = errors.New("piece size out of range")
	ErrByteOrder = errors.New("byte order: little or big")
	ErrZone      = errors.New("an address with a zone cannot be sent: an in6_addr has none")
)

// Hash is a piece's SHA-256, the name it is asked for by.
type Hash [HashSize]byte

// ParseHash reads 64 hex digits (either case).
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("want 64 hex digits (a SHA-256), got %d characters", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, errors.New("want 64 hex digits (a SHA-256): " + human.HexProblem(s))
	}
	return h, nil
}

// HashOf is the SHA-256 of piece.
func HashOf(piece []byte) Hash { return sha256.Sum256(piece) }

// String is the hash as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ShortHashDigits is how many hex digits of a hash the log shows.
const ShortHashDigits = 8

// Short is the hash's first ShortHashDigits hex digits and "…", for the log.
func (h Hash) Short() string { return h.String()[:ShortHashDigits] + "…" }

// CheckGive says whether piece hashes to hash: a give whose piece does not
// is discarded and counted against the peer.
func CheckGive(hash Hash, piece []byte) bool { return HashOf(piece) == hash }

// ByteOrder is the order of the size prefix and of a peer's port on the
// wire. The course's node writes its packed structs in host order, so
// Little (the zero value) is what every classroom machine speaks.
type ByteOrder uint8

// The two byte orders.
const (
	Little ByteOrder = iota
	Big
)

// ParseByteOrder reads the --byte-order flag: "little" or "big".
func ParseByteOrder(s string) (ByteOrder, error) {
	switch strings.ToLower(s) {
	case "little":
		return Little, nil
	case "big":
		return Big, nil
	}
	return Little, fmt.Errorf("%w, got %q", ErrByteOrder, s)
}

// String is the flag's word for o.
func (o ByteOrder) String() string {
	if o == Big {
		return "big"
	}
	return "little"
}

func (o ByteOrder) uint32(b []byte) uint32 {
	if o == Big {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

func (o ByteOrder) appendUint32(dst []byte, v uint32) []byte {
	if o == Big {
		return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func (o ByteOrder) uint16(b []byte) uint16 {
	if o == Big {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (o ByteOrder) appendUint16(dst []byte, v uint16) []byte {
	if o == Big {
		return append(dst, byte(v>>8), byte(v))
	}
	return append(dst, byte(v), byte(v>>8))
}

// Options are the wire's parameters, which the two ends must agree on. The
// zero value is the course's node: little-endian, 131072-byte pieces.
type Options struct {
	Order     ByteOrder
	PieceSize int // bytes in a piece; 0 is DefaultPieceSize
}

// Check says whether o can be used: a piece size from 1 to MaxPieceSize
// (or 0, the default) and a known byte order.
func (o Options) Check() error {
	if o.PieceSize < 0 || o.PieceSize > MaxPieceSize {
		return fmt.Errorf("%w: %d bytes, want 1 to %d", ErrPieceSize, o.PieceSize, MaxPieceSize)
	}
	if o.Order > Big {
		return fmt.Errorf("%w, got %d", ErrByteOrder, o.Order)
	}
	return nil
}

// Piece is the piece size in bytes (DefaultPieceSize for 0), clamped to
// MaxPieceSize so that no Options value can unbound a buffer.
func (o Options) Piece() int {
	if o.PieceSize <= 0 {
		return DefaultPieceSize
	}
	return min(o.PieceSize, MaxPieceSize)
}

// MaxBody is the largest size prefix the Reader accepts: a give's, 33 +
// the piece size. A peer list is bounded by it too (MaxPeers).
func (o Options) MaxBody() int { return GiveHeader + o.Piece() }

// MaxFrame is the longest message on the wire, size prefix included.
func (o Options) MaxFrame() int { return PrefixSize + o.MaxBody() }

// MaxPeers is the most peers one peer message may carry: as many as fit
// in MaxBody.
func (o Options) MaxPeers() int { return (o.MaxBody() - PeerHeader) / PeerSize }

// AppendAsk appends an ask for the piece hash to dst: 4 + 33 bytes.
func AppendAsk(dst []byte, hash Hash, o Options) []byte {
	dst = o.Order.appendUint32(dst, AskSize)
	dst = append(dst, byte(TypeAsk))
	return append(dst, hash[:]...)
}

// AppendGive appends a give of piece, named by hash, to dst: 4 + 33 +
// len(piece) bytes, in one buffer for one write. The course's node asserts
// a full piece (o.Piece() bytes); a longer one does not fit: ErrGiveSize.
// The hash is written as given (CheckGive is the receiver's).
func AppendGive(dst []byte, hash Hash, piece []byte, o Options) ([]byte, error) {
	if len(piece) > o.Piece() {
		return dst, fmt.Errorf("%w: a piece of %d bytes, at most %d", ErrGiveSize, len(piece), o.Piece())
	}
	dst = o.Order.appendUint32(dst, uint32(GiveHeader+len(piece)))
	dst = append(dst, byte(TypeGive))
	dst = append(dst, hash[:]...)
	return append(dst, piece...), nil
}

// AppendPeers appends a peer message listing peers to dst: 4 + 1 + 18 per
// peer. IPv4 peers are written IPv4-mapped (::ffff:a.b.c.d), as the
// course's node stores every address in an in6_addr. More than
// o.MaxPeers() peers, or an invalid address, or one with a zone: an error.
func AppendPeers(dst []byte, peers []netip.AddrPort, o Options) ([]byte, error) {
	if len(peers) > o.MaxPeers() {
		return dst, fmt.Errorf("%w: %d peers, at most %d in one message", ErrPeerList, len(peers), o.MaxPeers())
	}
	for _, p := range peers {
		if err := sendable(p); err != nil {
			return dst, err
		}
	}
	dst = o.Order.appendUint32(dst, uint32(PeerHeader+PeerSize*len(peers)))
	dst = append(dst, byte(TypePeer))
	for _, p := range peers {
		a := p.Addr().As16()
		dst = append(dst, a[:]...)
		dst = o.Order.appendUint16(dst, p.Port())
	}
	return dst, nil
}

// sendable says whether p can be written as a peer_info.
func sendable(p netip.AddrPort) error {
	switch {
	case !p.Addr().IsValid():
		return fmt.Errorf("%w: an invalid address", ErrPeerList)
	case p.Addr().Zone() != "":
		return fmt.Errorf("%w: %s", ErrZone, p)
	}
	return nil
}

// Message is one decoded message. Hash is an ask's or a give's, Piece a
// give's piece and peers a peer message's peer_infos; Piece and peers
// alias the frame they were decoded from.
type Message struct {
	Type  Type
	Hash  Hash
	Piece []byte
	peers []byte
	order ByteOrder
}

// NumPeers is how many peers a peer message lists.
func (m Message) NumPeers() int { return len(m.peers) / PeerSize }

// Peer is the i-th peer of a peer message, IPv4-mapped addresses unmapped
// (127.0.0.1, not ::ffff:127.0.0.1), so an IPv4 peer is dialled over IPv4.
func (m Message) Peer(i int) netip.AddrPort {
	b := m.peers[i*PeerSize : (i+1)*PeerSize]
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[:16])).Unmap(), m.order.uint16(b[16:]))
}

// AppendPeers appends a peer message's peers to dst (see Peer).
func (m Message) AppendPeers(dst []netip.AddrPort) []netip.AddrPort {
	for i := range m.NumPeers() {
		dst = append(dst, m.Peer(i))
	}
	return dst
}

// Decode reads exactly one message from frame, as the Reader returns them,
// in the byte order of o. A frame whose prefix disagrees with its bytes is
// ErrShort or ErrPrefix; a type of 3 or more is ErrType (the Message has
// its Type); sizes that are wrong for the type are ErrAskSize, ErrGiveSize
// or ErrPeerList. A give shorter than a full piece decodes (the hash still
// judges it): Judge calls it Lenient, since the course's node asserts a
// full one.
func Decode(frame []byte, o Options) (Message, error) {
	if len(frame) < PrefixSize+TypeSize {
		return Message{}, fmt.Errorf("%w: %d bytes", ErrShort, len(frame))
	}
	body := frame[PrefixSize:]
	if n := o.Order.uint32(frame); uint64(n) != uint64(len(body)) {
		return Message{}, fmt.Errorf("%w: size %d, %d bytes follow", ErrPrefix, n, len(body))
	}
	m := Message{Type: Type(body[0]), order: o.Order}
	rest := body[TypeSize:]
	switch m.Type {
	case TypeAsk:
		if len(body) != AskSize {
			return m, fmt.Errorf("%w, got %d", ErrAskSize, len(body))
		}
		m.Hash = Hash(rest)
	case TypeGive:
		if len(body) < GiveHeader || len(body) > o.MaxBody() {
			return m, fmt.Errorf("%w (size 33 + %d), got %d", ErrGiveSize, o.Piece(), len(body))
		}
		m.Hash, m.Piece = Hash(rest[:HashSize]), rest[HashSize:]
	case TypePeer:
		if len(rest)%PeerSize != 0 || len(rest)/PeerSize > o.MaxPeers() {
			return m, fmt.Errorf("%w: size %d is not 1 + 18n (n at most %d)", ErrPeerList, len(body), o.MaxPeers())
		}
		m.peers = rest
	default:
		return m, fmt.Errorf("%w %d", ErrType, m.Type)
	}
	return m, nil
}
