package tui

// rect is a region of the window, in cells.
type rect struct{ x, y, w, h int }

func (r rect) has(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// frame is where everything goes in the window. Panes include their title
// row; a zero rect is not shown.
type frame struct {
	status, body      rect
	conns, addrs, log rect
	// download is the built-in pane of a piece-based download (pieces.go)
	// below the connections; zero when not shown.
	download rect
	// dialect holds the rects of the dialect's panes (Dialect.Panes, in
	// order) between the connections and the rest; zero when not shown.
	dialect              []rect
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
	// A dialect's pane is shown only if the address book and the log keep
	// this many rows below it.
	minRestRows = 8
)

// frame lays the window out. It is a pure function of the size, the
// focus and the row counts, so that View draws, and clicks hit, the same.
//
//	status bar                 (1 row)
//	connections                (title, header, rows)
//	the download               (title, progress, fields, piece map: if any, and room)
//	the dialect's panes        (title, rows: each as many as it wants, if room)
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
	// The dialect's panes go below the connections, each while what is
	// left keeps room for the panes below; the rest starts below them.
	rest := ch
	if m.hasDownload() {
		// As many rows as it wants up to a quarter of the body, fewer
		// (down to the title and one row) rather than none.
		h := 1 + max(1, min(downloadWant(&m.snap, m.nodeFields(), W), bh/4))
		h = min(h, bh-rest-minRestRows)
		if h >= 2 {
			f.download = rect{0, y + rest, W, h}
			rest += h
		}
	}
	f.dialect = make([]rect, len(m.opts.Dialect.Panes))
	for i, p := range m.opts.Dialect.Panes {
		h := 1 + max(1, min(p.Want(m.snap, W), bh/4))
		if bh-rest-h < minRestRows {
			break
		}
		f.dialect[i] = rect{0, y + rest, W, h}
		rest += h
	}
	if W >= wideWidth {
		f.sideBySide = true
		aw := min(maxAddrsWidth, W*2/5)
		f.conns = rect{0, y, W, ch}
		f.log = rect{0, y + rest, W - aw - 1, bh - rest}
		f.addrs = rect{W - aw, y + rest, aw, bh - rest}
		return f
	}
	ah := share(len(m.addrs.addrs), 5, m.focus == paneAddrs)
	if lh := bh - rest - ah; lh >= 3 {
		f.conns = rect{0, y, W, ch}
		f.addrs = rect{0, y + rest, W, ah}
		f.log = rect{0, y + rest + ah, W, lh}
		return f
	}
	f.dialect, f.download = nil, rect{}
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
