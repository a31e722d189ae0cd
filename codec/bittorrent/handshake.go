package bittorrent

import (
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/bitclone/bitclone/codec/human"
	"strconv"
	"strings"
)

// The handshake's fixed parts: <pstrlen><pstr><reserved><info_hash><peer_id>.
const (
	Protocol      = "BitTorrent protocol" // pstr of version 1.0
	PstrLen       = 19                    // len(Protocol)
	ReservedSize  = 8
	HashSize      = 20 // info_hash: the SHA-1 of the info dictionary
	PeerIDSize    = 20
	HandshakeSize = 1 + PstrLen + ReservedSize + HashSize + PeerIDSize // 68: 49+len(pstr)
)

// Errors of ParseHandshake, wrapped with detail: the peer drops the
// connection.
var (
	ErrHandshakeSize = errors.New("a handshake is 68 bytes")
	ErrProtocol      = errors.New(`the handshake does not start with 19 and "BitTorrent protocol"`)
)

// InfoHash is a torrent's info_hash.
type InfoHash [HashSize]byte

// String is the info_hash as 40 lowercase hex digits.
func (h InfoHash) String() string { return hex.EncodeToString(h[:]) }

// IsZero says whether h is unset.
func (h InfoHash) IsZero() bool { return h == InfoHash{} }

// ParseInfoHash reads 40 hex digits (either case).
func ParseInfoHash(s string) (InfoHash, error) {
	var h InfoHash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("want 40 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, errors.New("want 40 hex digits: " + human.HexProblem(s))
	}
	return h, nil
}

// PeerID is a peer's 20-byte id. Real clients put binary bytes in it.
type PeerID [PeerIDSize]byte

// String is the peer_id as text that is safe for a terminal, has no
// spaces, and ParsePeerID reads back: printable ASCII as is, every other
// byte (and space and backslash) as \xNN. "-qB4250-" prefixes stay legible.
func (p PeerID) String() string {
	var sb strings.Builder
	sb.Grow(PeerIDSize * 2)
	for _, c := range p {
		if c > ' ' && c < 0x7f && c != '\\' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteString(`\x`)
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// ParsePeerID reads 40 hex digits, or 20 bytes of text in which \xNN
// stands for any byte (String's form).
func ParsePeerID(s string) (PeerID, error) {
	var p PeerID
	if len(s) == 2*PeerIDSize && human.IsHex(s) {
		hex.Decode(p[:], []byte(s))
		return p, nil
	}
	n := 0
	for i := 0; i < len(s); n++ {
		c := s[i]
		if c == '\\' {
			if !strings.HasPrefix(s[i:], `\x`) || len(s) < i+4 || !human.IsHex(s[i+2:i+4]) {
				return p, fmt.Errorf(`want 40 hex digits or 20 bytes of text (\xNN for any byte): a \ at %d is not \xNN`, i+1)
			}
			b, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
			c = byte(b)
			i += 4
		} else {
			i++
		}
		if n < PeerIDSize {
			p[n] = c
		}
	}
	if n != PeerIDSize {
		return p, fmt.Errorf(`want 40 hex digits or 20 bytes of text (\xNN for any byte), got %d bytes`, n)
	}
	return p, nil
}

// Reserved are the handshake's 8 reserved bytes. The spec says all zero;
// real clients set bits for their extensions, which bitclone, implementing
// none, ignores (and names).
type Reserved [ReservedSize]byte

// An extension bit: which byte of the reserved field, which bit of it.
type extensionBit struct {
	byteIndex int
	mask      byte
	name      string
}

// extensionBits are the reserved bits real clients set, in wire order.
var extensionBits = []extensionBit{
	{0, 0x80, "Azureus messaging"},
	{5, 0x10, "extension protocol"}, // BEP 10
	{7, 0x10, "BitTorrent v2"},      // BEP 52
	{7, 0x08, "NAT traversal"},
	{7, 0x04, "fast extension"}, // BEP 6
	{7, 0x01, "DHT"},            // BEP 5
}

// Extensions names the bits set, in wire order; the bits without a name
// come last, as one mask: "other bits 0000010000000000".
func (r Reserved) Extensions() []string {
	var out []string
	rest := r
	for _, e := range extensionBits {
		if r[e.byteIndex]&e.mask != 0 {
			out = append(out, e.name)
			rest[e.byteIndex] &^= e.mask
		}
	}
	if !rest.IsZero() {
		out = append(out, "other bits "+hex.EncodeToString(rest[:]))
	}
	return out
}

// Reserved bit numbers for Has, counted from the high bit of byte 0 (BEP
// 10's "bit 20 from the right" is 43 here).
const (
	ReservedExtensionProtocol = 5*8 + 3 // bit number (0 = high bit of byte 0): byte 5, 0x10
	ReservedFast              = 7*8 + 5 // byte 7, 0x04
	ReservedDHT               = 7*8 + 7 // byte 7, 0x01
)

// Has says whether bit n (0 is the high bit of byte 0, as BEP 4 counts)
// is set.
func (r Reserved) Has(n int) bool {
	return n >= 0 && n < 8*ReservedSize && r[n/8]&(0x80>>(n%8)) != 0
}

// IsZero says whether every reserved bit is zero, as the spec has it.
func (r Reserved) IsZero() bool { return r == Reserved{} }

// Handshake is the first message each side sends.
type Handshake struct {
	Reserved Reserved
	InfoHash InfoHash
	PeerID   PeerID
}

// Append appends h's 68 bytes to dst.
func (h Handshake) Append(dst []byte) []byte {
	dst = append(dst, byte(PstrLen))
	dst = append(dst, Protocol...)
	dst = append(dst, h.Reserved[:]...)
	dst = append(dst, h.InfoHash[:]...)
	return append(dst, h.PeerID[:]...)
}

// Bytes is h's wire form in one new buffer.
func (h Handshake) Bytes() []byte { return h.Append(make([]byte, 0, HandshakeSize)) }

// ParseHandshake reads a handshake frame as the Reader returns it: 68
// bytes, pstrlen 19, pstr "BitTorrent protocol". Reserved bits are
// accepted (see Reserved.Extensions). Errors wrap ErrHandshakeSize or
// ErrProtocol and are safe to print.
func ParseHandshake(frame []byte) (Handshake, error) {
	var h Handshake
	if len(frame) != HandshakeSize {
		return h, fmt.Errorf("%w, got %d", ErrHandshakeSize, len(frame))
	}
	if !IsHandshake(frame) {
		return h, fmt.Errorf("%w: % x...", ErrProtocol, frame[:1+PstrLen])
	}
	i := 1 + PstrLen
	i += copy(h.Reserved[:], frame[i:])
	i += copy(h.InfoHash[:], frame[i:])
	copy(h.PeerID[:], frame[i:])
	return h, nil
}

// IsHandshake says whether frame is a handshake of this protocol: 68
// bytes opening with pstrlen 19 and "BitTorrent protocol".
func IsHandshake(frame []byte) bool {
	return len(frame) == HandshakeSize && frame[0] == PstrLen && string(frame[1:1+PstrLen]) == Protocol
}
