package tui

// rect is a region of the window, in cells.
type rect struct{ x, y, w, h int }

func (r rect) has(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// frame is where everything goes in the window. Panes include their title
// row; a zero rect is not shown.
type frame struct {
	status, body         rect
	conns, addrs, log    rect
	cmd, hint, footer    rect
	sideBySide, tooSmall bool
}

const (
	// Below this the window shows only a request to enlarge it.
	minWidth, minHeight = 30, 8
	// From this width the log and the address book sit side by side.
	wideWidth = 150
	// The address book's share of a wide window, at most.
	maxAddrsWidth = 90
)

// frame lays the window out. It is a pure function of the size, the
// focus and the row counts, so that View draws, and clicks hit, the same.
//
//	status bar                 (1 row)
//	connections                (title, header, rows)
//	address book | log         (side by side when wide, else stacked)
//	command line, hint, footer (1 row each)
func (m *Model) frame() frame {
	W, H := m.width, m.height
	f := frame{
		status: rect{0, 0, W, 1},
		body:   rect{0, 1, W, max(0, H-4)},
		cmd:    rect{0, H - 3, W, 1},
		hint:   rect{0, H - 2, W, 1},
		footer: rect{0, H - 1, W, 1},
	}
	if W < minWidth || H < minHeight {
		f.tooSmall = true
		return f
	}
	bh, y := f.body.h, f.body.y
	share := func(rows, part int, focused bool) int {
		limit := bh / part
		if focused {
			limit = bh / 2
		}
		return min(2+max(1, rows), max(3, limit))
	}
	ch := share(len(m.conns.conns), 3, m.focus == paneConns)
	if W >= wideWidth {
		f.sideBySide = true
		aw := min(maxAddrsWidth, W*2/5)
		f.conns = rect{0, y, W, ch}
		f.log = rect{0, y + ch, W - aw - 1, bh - ch}
		f.addrs = rect{W - aw, y + ch, aw, bh - ch}
		return f
	}
	ah := share(len(m.addrs.addrs), 5, m.focus == paneAddrs)
	if lh := bh - ch - ah; lh >= 3 {
		f.conns = rect{0, y, W, ch}
		f.addrs = rect{0, y + ch, W, ah}
		f.log = rect{0, y + ch + ah, W, lh}
		return f
	}
	// Too low for three panes: the focused one (the log for the command line).
	only := rect{0, y, W, bh}
	switch m.focus {
	case paneConns:
		f.conns = only
	case paneAddrs:
		f.addrs = only
	default:
		f.log = only
	}
	return f
}
