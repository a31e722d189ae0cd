package tui

// column describes one column of a table pane.
type column struct {
	title    string
	min, max int  // bounds of the width; max 0: no bound
	right    bool // right-aligned (numbers)
	drop     int  // when the pane is narrow, higher drops first; 0 never drops
}

// colGap is the space between columns.
const colGap = 1

// colWidths fits the columns to w columns: each gets its natural width
// (title and cells, within min..max); while too wide, columns are dropped
// (width 0) in drop order, then the widest are shrunk toward their minimum.
func colWidths(cols []column, cells [][]string, w int) []int {
	ws := make([]int, len(cols))
	for i, c := range cols {
		n := width(c.title)
		for _, r := range cells {
			n = max(n, width(r[i]))
		}
		if c.max > 0 {
			n = min(n, c.max)
		}
		ws[i] = max(n, c.min)
	}
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
	for excess := total() - w; excess > 0; {
		widest := -1
		for i, c := range cols {
			if ws[i] > c.min && (widest < 0 || ws[i]-c.min > ws[widest]-cols[widest].min) {
				widest = i
			}
		}
		if widest < 0 {
			break // the row builder cuts what is left
		}
		cut := min(excess, ws[widest]-cols[widest].min, max(1, excess/2))
		ws[widest] -= cut
		excess -= cut
	}
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
