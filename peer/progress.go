package peer

import "time"

// PieceState is where one piece of a download stands.
type PieceState uint8

const (
	PieceMissing   PieceState = iota // neither held nor asked for
	PieceRequested                   // asked of a peer, not yet verified
	PieceHave                        // held and verified
)

func (s PieceState) String() string {
	switch s {
	case PieceMissing:
		return "missing"
	case PieceRequested:
		return "requested"
	case PieceHave:
		return "have"
	}
	return "?"
}

// Progress is a download's progress for display, in terms every piece-based
// dialect shares (NibbleTorrent, BitTorrent, PEX), so that one piece map and
// one progress line serve them all. A dialect that moves no pieces (BitClone)
// leaves Snapshot.Progress nil.
type Progress struct {
	// Pieces holds one state per piece, by index.
	Pieces []PieceState
	// BytesDone counts verified bytes, BytesTotal the whole content.
	BytesDone, BytesTotal int64
	// DownRate and UpRate are recent payload rates in bytes per second
	// (Rate.PerSecond).
	DownRate, UpRate float64
}

// Counts says how many pieces are held, requested and missing.
func (p Progress) Counts() (have, requested, missing int) {
	for _, s := range p.Pieces {
		switch s {
		case PieceHave:
			have++
		case PieceRequested:
			requested++
		default:
			missing++
		}
	}
	return have, requested, missing
}

// Fraction is the share of bytes done, 0 to 1; 0 when the size is unknown.
func (p Progress) Fraction() float64 {
	if p.BytesTotal <= 0 {
		return 0
	}
	return min(1, max(0, float64(p.BytesDone)/float64(p.BytesTotal)))
}

// Complete reports whether every byte is done.
func (p Progress) Complete() bool { return p.BytesTotal > 0 && p.BytesDone >= p.BytesTotal }

// ETA is how long the rest takes at DownRate, rounded up to a second; false
// when it cannot be said (no size, or nothing arriving). A complete download
// has an ETA of 0.
func (p Progress) ETA() (time.Duration, bool) {
	if p.BytesTotal <= 0 {
		return 0, false
	}
	left := p.BytesTotal - p.BytesDone
	if left <= 0 {
		return 0, true
	}
	if p.DownRate <= 0 {
		return 0, false
	}
	secs := float64(left) / p.DownRate
	if secs > float64(maxETA/time.Second) {
		return 0, false // too far to mean anything, and beyond a Duration's range
	}
	return (time.Duration(secs*float64(time.Second)) + time.Second - 1).Truncate(time.Second), true
}

// maxETA is the longest ETA worth showing.
const maxETA = 100 * 24 * time.Hour

// Cells folds the piece map into at most width cells, for a pane narrower
// than the number of pieces: cell i covers an equal share of the pieces and
// is PieceHave when all of them are held, PieceMissing when none is held or
// requested, else PieceRequested (work under way). With width at least the
// number of pieces, each cell is one piece. nil for width < 1 or no pieces.
func (p Progress) Cells(width int) []PieceState {
	n := len(p.Pieces)
	if width < 1 || n == 0 {
		return nil
	}
	if width >= n {
		return append([]PieceState(nil), p.Pieces...)
	}
	cells := make([]PieceState, width)
	for i := range cells {
		lo, hi := i*n/width, (i+1)*n/width
		have, idle := 0, 0
		for _, s := range p.Pieces[lo:hi] {
			switch s {
			case PieceHave:
				have++
			case PieceMissing:
				idle++
			}
		}
		switch span := hi - lo; {
		case have == span:
			cells[i] = PieceHave
		case idle == span:
			cells[i] = PieceMissing
		default:
			cells[i] = PieceRequested
		}
	}
	return cells
}

// Clone returns a copy that shares nothing with p, for a snapshot.
func (p *Progress) Clone() *Progress {
	if p == nil {
		return nil
	}
	c := *p
	c.Pieces = append([]PieceState(nil), p.Pieces...)
	return &c
}
