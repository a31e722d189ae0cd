package tui

import (
	"strings"
)

// row builds one screen line from printable pieces, styling each and
// cutting what does not fit, so no line can be wider than its pane: the
// width is counted before any escape sequence is added.
type row struct {
	b      strings.Builder
	w, max int
}

func newRow(max int) *row { return &row{max: max} }

// add appends s (printable, unstyled), cut to the room left; nil st: plain.
func (r *row) add(st *paint, s string) {
	room := r.max - r.w
	if room <= 0 || s == "" {
		return
	}
	s = trunc(s, room)
	r.w += width(s)
	if st == nil {
		r.b.WriteString(s)
	} else {
		r.b.WriteString(st.Render(s))
	}
}

// addFit appends s padded or cut to exactly n columns (right-aligned if right).
func (r *row) addFit(st *paint, s string, n int, right bool) {
	r.add(st, fit(s, min(n, r.max-r.w), right))
}

// room is how many columns are left.
func (r *row) room() int { return r.max - r.w }

func (r *row) String() string { return r.b.String() }

// padded is the line padded with spaces to the full width (for reverse video).
func (r *row) padded() string {
	return r.b.String() + strings.Repeat(" ", max(0, r.max-r.w))
}
