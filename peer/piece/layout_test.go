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

func TestMultiFileRefusesUnsafePaths(t *testing.T) {
	for _, bad := range []string{"..", "a/../b", "/etc/passwd", "a//b", "", ".", `a\b`, "a/\x00"} {
		if _, err := MultiFile("root", []File{{Path: "ok", Size: 1}, {Path: bad, Size: 1}}); !errors.Is(err, ErrPath) {
			t.Errorf("path %q: %v, want ErrPath", bad, err)
		}
	}
	for _, root := range []string{"..", "a/b", ""} {
		if _, err := MultiFile(root, []File{{Path: "ok", Size: 1}}); !errors.Is(err, ErrPath) {
			t.Errorf("root %q: %v, want ErrPath", root, err)
		}
	}
	l, err := MultiFile("root", []File{{Path: "a", Size: 3}, {Path: "sub/b", Size: 0}, {Path: "sub/deeper/c", Size: 4}})
	if err != nil || l.Size() != 7 || l.Files()[2].Path != "root/sub/deeper/c" {
		t.Fatalf("%v %+v", err, l)
	}
}
