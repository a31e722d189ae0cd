package piece

import (
	"errors"
	"slices"
	"testing"
)

func TestGeometry(t *testing.T) {
	g, err := NewGeometry(10, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if g.PieceLen(0) != 4 || g.PieceLen(2) != 2 || g.PieceLen(3) != 0 || g.PieceLen(-1) != 0 || g.Offset(2) != 8 {
		t.Fatalf("lengths %d %d, offset %d", g.PieceLen(0), g.PieceLen(2), g.Offset(2))
	}
	for _, tc := range []struct {
		size        int64
		psize, npcs int
	}{{10, 4, 2}, {10, 4, 4}, {-1, 4, 0}, {10, 0, 3}, {0, 1, -1}, {MaxPieces + 1, 1, MaxPieces + 1}} {
		if _, err := NewGeometry(tc.size, tc.psize, tc.npcs); !errors.Is(err, ErrGeometry) {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}

// Spans across file boundaries, for the multi-file layouts of BitTorrent.
func TestLayoutSpans(t *testing.T) {
	l := Layout{files: []File{{"a", 5}, {"empty", 0}, {"b", 3}, {"c", 10}}, size: 18}
	for _, tc := range []struct {
		off  int64
		n    int
		want []Span
	}{
		{0, 5, []Span{{0, 0, 5}}},
		{3, 4, []Span{{0, 3, 2}, {2, 0, 2}}},
		{4, 12, []Span{{0, 4, 1}, {2, 0, 3}, {3, 0, 8}}},
		{8, 10, []Span{{3, 0, 10}}},
		{17, 1, []Span{{3, 9, 1}}},
		{5, 0, nil},
	} {
		if got := l.Spans(nil, tc.off, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("Spans(%d, %d) = %v, want %v", tc.off, tc.n, got, tc.want)
		}
	}
}
