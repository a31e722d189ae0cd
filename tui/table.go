package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/peer"
)

// column describes one column of a table pane.
type column struct {
	title    string
	min, max int  // bounds of the width; max 0: no bound
	soft     int  // when the pane is narrow, shrink to this before dropping columns; 0: don't
	right    bool // right-aligned (numbers)
	drop     int  // when the pane is narrow, higher drops first; 0 never drops
	hide     bool // not shown at all (a column with nothing to say)
}

// colGap is the space between columns.
const colGap = 1

// colWidths fits the columns to w columns: each gets its natural width
// (title and cells, within min..max). While too wide, long text (an IPv6
// address, a user agent) is cut to its column's soft width, then columns
// are dropped (width 0) in drop order, room left over goes back to what
// was cut, and last the widest are shrunk toward their minimum. Cut cells
// end in "…", so no column is pushed off the pane by one long cell.
func colWidths(cols []column, cells [][]string, w int) []int {
	ws := make([]int, len(cols))
	for i, c := range cols {
		if c.hide {
			continue // width 0: skipped below as a dropped column is
		}
		n := width(c.title)
		for _, r := range cells {
			n = max(n, width(r[i]))
		}
		if c.max > 0 {
			n = min(n, c.max)
		}
		ws[i] = max(n, c.min)
	}
	natural := slices.Clone(ws)
	total := func() int {
		t, shown := 0, 0
		for _, n := range ws {
			if n > 0 {
				t += n
				shown++
			}
		}
		return t + colGap*max(0, shown-1)
	}
	// shrink narrows the columns furthest above their floor first.
	shrink := func(floor func(column) int) {
		for excess := total() - w; excess > 0; {
			widest := -1
			for i, c := range cols {
				if ws[i] > floor(c) && (widest < 0 || ws[i]-floor(c) > ws[widest]-floor(cols[widest])) {
					widest = i
				}
			}
			if widest < 0 {
				return
			}
			cut := min(excess, ws[widest]-floor(cols[widest]), max(1, excess/2))
			ws[widest] -= cut
			excess -= cut
		}
	}
	shrink(func(c column) int {
		if c.soft > 0 {
			return max(c.soft, c.min)
		}
		return 1 << 30 // not cut at this stage
	})
	for total() > w {
		drop := -1
		for i, c := range cols {
			if ws[i] > 0 && c.drop > 0 && (drop < 0 || c.drop > cols[drop].drop) {
				drop = i
			}
		}
		if drop < 0 {
			break
		}
		ws[drop] = 0
	}
	for i := range ws {
		if spare := w - total(); spare > 0 && ws[i] > 0 {
			ws[i] += min(spare, natural[i]-ws[i])
		}
	}
	shrink(func(c column) int { return c.min }) // the row builder cuts what is left
	return ws
}

// addCells appends a table row's cells to r, each in its column's width
// and style (nil: plain).
func addCells(r *row, cols []column, ws []int, cells []string, styles []*paint) {
	first := true
	for i, n := range ws {
		if n == 0 {
			continue
		}
		if !first {
			r.add(nil, " ")
		}
		first = false
		var st *paint
		if styles != nil {
			st = styles[i]
		}
		r.addFit(st, cells[i], n, cols[i].right)
	}
}

// headerCells are the column titles as a row's cells.
func headerCells(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.title
	}
	return out
}

// scrollOffset keeps the cursor row idx visible in rows rows of n, moving
// the previous offset as little as possible.
func scrollOffset(offset, idx, rows, n int) int {
	if rows <= 0 {
		return 0
	}
	offset = min(offset, idx)
	offset = max(offset, idx-rows+1)
	return max(0, min(offset, n-rows))
}

// noteTable writes a table into the log, one line per row under a title
// line, each column at its natural width (:peers, :addrs). Cells must be
// escaped already.
func (m *Model) noteTable(title string, cols []column, cells [][]string) {
	const unbounded = 1 << 16
	m.note(peer.KindInfo, title)
	if len(cells) == 0 {
		return
	}
	ws := colWidths(cols, cells, unbounded)
	for _, c := range append([][]string{headerCells(cols)}, cells...) {
		r := newRow(unbounded)
		addCells(r, cols, ws, c, nil)
		m.note(peer.KindInfo, strings.TrimRight(r.String(), " "))
	}
}

// scrollNote says what a pane of n entries, showing rows of them from
// offset, hides above and below ("" when all show): with a small window or
// on a projector the count alone does not tell that the pane scrolls.
func scrollNote(offset, rows, n int) string {
	above, below := offset, n-offset-rows
	return moreNote(above > 0, above, below > 0, below)
}

// moreNote is " · ↑ 2 ↓ 7 more"; a count below 0 is unknown and left out.
func moreNote(up bool, above int, down bool, below int) string {
	if !up && !down {
		return ""
	}
	s := " ·"
	for _, d := range []struct {
		on    bool
		arrow string
		n     int
	}{{up, " ↑", above}, {down, " ↓", below}} {
		if d.on {
			s += d.arrow
			if d.n >= 0 {
				s += " " + strconv.Itoa(d.n)
			}
		}
	}
	return s + " more"
}
