package peer

import (
	"slices"
	"testing"
	"time"
)

func TestProgressCounts(t *testing.T) {
	p := Progress{Pieces: []PieceState{PieceHave, PieceMissing, PieceRequested, PieceHave, PieceMissing, PieceMissing}}
	have, req, miss := p.Counts()
	if have != 2 || req != 1 || miss != 3 {
		t.Errorf("counts = %d %d %d, want 2 1 3", have, req, miss)
	}
}

func TestProgressFractionAndETA(t *testing.T) {
	for _, tc := range []struct {
		name        string
		p           Progress
		frac        float64
		eta         time.Duration
		etaOK, done bool
	}{
		{"unknown size", Progress{DownRate: 100}, 0, 0, false, false},
		{"stalled", Progress{BytesDone: 10, BytesTotal: 100}, 0.1, 0, false, false},
		{"half at 10/s", Progress{BytesDone: 50, BytesTotal: 100, DownRate: 10}, 0.5, 5 * time.Second, true, false},
		{"rounds up", Progress{BytesDone: 0, BytesTotal: 100, DownRate: 30}, 0, 4 * time.Second, true, false},
		{"complete", Progress{BytesDone: 100, BytesTotal: 100}, 1, 0, true, true},
		{"overshoot is clamped", Progress{BytesDone: 120, BytesTotal: 100}, 1, 0, true, true},
		{"crawling", Progress{BytesTotal: 1 << 50, DownRate: 1}, 0, 0, false, false},
	} {
		if f := tc.p.Fraction(); f != tc.frac {
			t.Errorf("%s: fraction %v, want %v", tc.name, f, tc.frac)
		}
		if eta, ok := tc.p.ETA(); eta != tc.eta || ok != tc.etaOK {
			t.Errorf("%s: ETA %v %v, want %v %v", tc.name, eta, ok, tc.eta, tc.etaOK)
		}
		if c := tc.p.Complete(); c != tc.done {
			t.Errorf("%s: complete %v, want %v", tc.name, c, tc.done)
		}
	}
}

func TestProgressCellsShrinkToFit(t *testing.T) {
	H, R, M := PieceHave, PieceRequested, PieceMissing
	p := Progress{Pieces: []PieceState{H, H, H, R, M, M, H, M, M, M}}
	if got := p.Cells(20); !slices.Equal(got, p.Pieces) {
		t.Errorf("wide pane: %v, want one cell a piece", got)
	}
	// Five cells of two pieces: [H H] [H R] [M M] [H M] [M M].
	if got, want := p.Cells(5), []PieceState{H, R, M, R, M}; !slices.Equal(got, want) {
		t.Errorf("5 cells: %v, want %v", got, want)
	}
	if got, want := p.Cells(1), []PieceState{R}; !slices.Equal(got, want) {
		t.Errorf("1 cell: %v, want %v", got, want)
	}
	// Uneven shares still cover every piece once: 10 pieces in 3 cells.
	all := Progress{Pieces: slices.Repeat([]PieceState{H}, 10)}
	if got := all.Cells(3); !slices.Equal(got, []PieceState{H, H, H}) {
		t.Errorf("all held in 3 cells: %v", got)
	}
	if p.Cells(0) != nil || (Progress{}).Cells(5) != nil {
		t.Error("no width or no pieces must give no cells")
	}
}

func TestProgressCloneSharesNothing(t *testing.T) {
	p := &Progress{Pieces: []PieceState{PieceMissing}}
	c := p.Clone()
	p.Pieces[0] = PieceHave
	if c.Pieces[0] != PieceMissing {
		t.Error("the clone shares its piece map")
	}
	if (*Progress)(nil).Clone() != nil {
		t.Error("nil clones to nil")
	}
}
