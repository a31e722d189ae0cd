// Package bitfield is the piece bitfield that NibbleTorrent and BitTorrent
// share: one bit per piece, the high bit of the first byte is piece 0, and
// the spare bits of the last byte are zero.
package bitfield

import (
	"errors"
	"fmt"
	"math/bits"
)

// Bitfield is a set of piece indexes below Len. The zero value is an empty
// set of no pieces.
type Bitfield struct {
	b []byte
	n int
}

// New returns an empty bitfield for n pieces (n >= 0).
func New(n int) Bitfield {
	if n < 0 {
		panic("bitfield: negative length")
	}
	return Bitfield{b: make([]byte, Bytes(n)), n: n}
}

// Full returns a bitfield with all n pieces set.
func Full(n int) Bitfield {
	f := New(n)
	for i := range n {
		f.Set(i)
	}
	return f
}

// Bytes is the wire size of a bitfield of n pieces: ceil(n/8).
func Bytes(n int) int { return (n + 7) / 8 }

// ErrLength and ErrSpareBits are the two ways a received bitfield is wrong.
var (
	ErrLength    = errors.New("bitfield has the wrong length")
	ErrSpareBits = errors.New("bitfield has spare bits set")
)

// Parse checks wire bytes against n pieces and copies them: exactly
// Bytes(n) bytes, spare bits zero. The error wraps ErrLength or
// ErrSpareBits and says what was expected.
func Parse(wire []byte, n int) (Bitfield, error) {
	if len(wire) != Bytes(n) {
		return Bitfield{}, fmt.Errorf("%w: %d bytes for %d pieces, want %d", ErrLength, len(wire), n, Bytes(n))
	}
	f := Bitfield{b: append([]byte(nil), wire...), n: n}
	if spare := f.spareMask(); len(f.b) > 0 && f.b[len(f.b)-1]&spare != 0 {
		return Bitfield{}, fmt.Errorf("%w: last byte %#02x, pieces end at bit %d", ErrSpareBits, f.b[len(f.b)-1], n%8)
	}
	return f, nil
}

// Lenient copies wire bytes as a bitfield of n pieces, as tolerant peers
// read one: short input is padded with zeros, extra bytes and spare bits are
// ignored.
func Lenient(wire []byte, n int) Bitfield {
	f := New(n)
	copy(f.b, wire)
	if len(f.b) > 0 {
		f.b[len(f.b)-1] &^= f.spareMask()
	}
	return f
}

// spareMask has the bits of the last byte that name no piece.
func (f Bitfield) spareMask() byte {
	if r := f.n % 8; r != 0 {
		return 0xff >> r
	}
	return 0
}

// Len is the number of pieces the bitfield covers.
func (f Bitfield) Len() int { return f.n }

// Has says whether piece i is set; out of range is false.
func (f Bitfield) Has(i int) bool {
	return i >= 0 && i < f.n && f.b[i/8]&(0x80>>(i%8)) != 0
}

// Set adds piece i; out of range is ignored.
func (f Bitfield) Set(i int) {
	if i >= 0 && i < f.n {
		f.b[i/8] |= 0x80 >> (i % 8)
	}
}

// Clear removes piece i; out of range is ignored.
func (f Bitfield) Clear(i int) {
	if i >= 0 && i < f.n {
		f.b[i/8] &^= 0x80 >> (i % 8)
	}
}

// Count is the number of pieces set.
func (f Bitfield) Count() int {
	c := 0
	for _, x := range f.b {
		c += bits.OnesCount8(x)
	}
	return c
}

// Complete says whether every piece is set.
func (f Bitfield) Complete() bool { return f.Count() == f.n }

// Bytes returns the wire form (the bitfield's own memory: do not modify).
func (f Bitfield) Bytes() []byte { return f.b }

// Clone returns an independent copy.
func (f Bitfield) Clone() Bitfield {
	return Bitfield{b: append([]byte(nil), f.b...), n: f.n}
}

// String is the bits as 0s and 1s, piece 0 first (for logs and tests).
func (f Bitfield) String() string {
	s := make([]byte, f.n)
	for i := range f.n {
		s[i] = '0'
		if f.Has(i) {
			s[i] = '1'
		}
	}
	return string(s)
}
