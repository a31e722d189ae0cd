package piece

import (
	"errors"
	"fmt"
)

// MaxPieces bounds the pieces of one torrent, so a hostile torrent file
// cannot make the picker and store allocate without limit. 4 Mi pieces is
// 256 GiB at NibbleTorrent's largest piece (64 KiB).
const MaxPieces = 1 << 22

// ErrGeometry is wrapped by every error about sizes that do not fit together.
var ErrGeometry = errors.New("piece: bad geometry")

// Geometry is how a torrent's bytes are cut into pieces: every piece is
// PieceSize bytes except the last, which holds the rest.
type Geometry struct {
	size      int64
	pieceSize int
	pieces    int
}

// NewGeometry checks that size bytes in pieces of pieceSize make exactly
// pieces pieces (ceil(size/pieceSize)).
func NewGeometry(size int64, pieceSize, pieces int) (Geometry, error) {
	switch {
	case size < 0:
		return Geometry{}, fmt.Errorf("%w: negative size %d", ErrGeometry, size)
	case pieceSize <= 0:
		return Geometry{}, fmt.Errorf("%w: piece size %d", ErrGeometry, pieceSize)
	case pieces < 0 || pieces > MaxPieces:
		return Geometry{}, fmt.Errorf("%w: %d pieces (at most %d)", ErrGeometry, pieces, MaxPieces)
	}
	if want := (size + int64(pieceSize) - 1) / int64(pieceSize); want != int64(pieces) {
		return Geometry{}, fmt.Errorf("%w: %d bytes in pieces of %d make %d pieces, not %d", ErrGeometry, size, pieceSize, want, pieces)
	}
	return Geometry{size: size, pieceSize: pieceSize, pieces: pieces}, nil
}

// Size is the torrent's total size in bytes.
func (g Geometry) Size() int64 { return g.size }

// PieceSize is the size of every piece but the last.
func (g Geometry) PieceSize() int { return g.pieceSize }

// Pieces is the number of pieces.
func (g Geometry) Pieces() int { return g.pieces }

// Offset is where piece i starts in the torrent's bytes.
func (g Geometry) Offset(i int) int64 { return int64(i) * int64(g.pieceSize) }

// PieceLen is the length of piece i (0 if out of range).
func (g Geometry) PieceLen(i int) int {
	if i < 0 || i >= g.pieces {
		return 0
	}
	if i == g.pieces-1 {
		return int(g.size - g.Offset(i))
	}
	return g.pieceSize
}
