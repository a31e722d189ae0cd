package tui

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// addrsPane is the address book: connected first, then live, stale and
// banned, each most recently active first. The cursor is kept by address.
type addrsPane struct {
	addrs  []peer.AddrInfo
	cursor string
	offset int
}

var addrCols = []column{
	{title: "", min: 1}, // lines the rows up with the connections table
	{title: "ADDRESS", min: 9, max: 47, soft: addrSoft},
	{title: "LAST ACTIVE", right: true},
	{title: "STATUS"},
	{title: "SOURCE", min: 6, max: 40, soft: 14, drop: 2},
	{title: "CONN", drop: 1},
}

// rank orders address book entries for display.
func rank(a peer.AddrInfo) int {
	switch {
	case a.Banned:
		return 3
	case a.Connected:
		return 0
	case a.Live:
		return 1
	}
	return 2
}

func (p *addrsPane) update(addrs []peer.AddrInfo) {
	addrs = slices.Clone(addrs)
	slices.SortStableFunc(addrs, func(a, b peer.AddrInfo) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), b.LastActive.Compare(a.LastActive), cmp.Compare(a.Addr, b.Addr))
	})
	p.addrs = addrs
	if p.index() < 0 && len(addrs) > 0 {
		p.cursor = addrs[0].Addr
	}
}

// index is the cursor's row, -1 when the cursor's address is gone.
func (p *addrsPane) index() int {
	for i, a := range p.addrs {
		if a.Addr == p.cursor {
			return i
		}
	}
	return -1
}

func (p *addrsPane) current() (peer.AddrInfo, bool) {
	if i := p.index(); i >= 0 {
		return p.addrs[i], true
	}
	return peer.AddrInfo{}, false
}

func (p *addrsPane) move(n, rows int) {
	if len(p.addrs) == 0 {
		return
	}
	i := max(0, min(len(p.addrs)-1, max(0, p.index())+n))
	p.cursor = p.addrs[i].Addr
	p.offset = scrollOffset(p.offset, i, rows, len(p.addrs))
}

func (p *addrsPane) point(r, rows int) bool {
	i := scrollOffset(p.offset, max(0, p.index()), rows, len(p.addrs)) + r
	if r < 0 || i >= len(p.addrs) {
		return false
	}
	p.cursor = p.addrs[i].Addr
	p.offset = scrollOffset(p.offset, i, rows, len(p.addrs))
	return true
}

// title counts the addresses, the live ones, and which of them rows rows
// hide.
func (p *addrsPane) title(rows int) string {
	live := 0
	for _, a := range p.addrs {
		if a.Live && !a.Banned {
			live++
		}
	}
	n := len(p.addrs)
	return "Address book  " + strconv.Itoa(n) + " · " + strconv.Itoa(live) + " live" +
		scrollNote(scrollOffset(p.offset, max(0, p.index()), rows, n), rows, n)
}

func addrCells(a *peer.AddrInfo, now time.Time) []string {
	active := "never"
	if !a.LastActive.IsZero() {
		active = humanize.Age(now, a.LastActive) + " ago"
	}
	source := safe(a.Source)
	if a.From != "" {
		source += " via " + safe(a.From)
	}
	conn := ""
	if a.Connected {
		conn = "yes"
	}
	return []string{"", safe(a.Addr), active, a.Status(), source, conn}
}

// render draws the table body (header and rows) in exactly h rows; only
// the visible rows are formatted.
func (p *addrsPane) render(st *styles, w, h int, focused bool, now time.Time) []string {
	if h <= 0 {
		return nil
	}
	rows := h - 1
	cur := max(0, p.index())
	off := scrollOffset(p.offset, cur, rows, len(p.addrs))
	end := min(len(p.addrs), off+rows)
	cells := make([][]string, 0, end-off)
	for i := off; i < end; i++ {
		cells = append(cells, addrCells(&p.addrs[i], now))
	}
	ws := colWidths(addrCols, cells, w)
	out := make([]string, 0, h)
	hr := newRow(w)
	addCells(hr, addrCols, ws, headerCells(addrCols), nil)
	out = append(out, st.header.Render(hr.String()))
	for j, c := range cells {
		i := off + j
		r := newRow(w)
		if focused && i == cur {
			addCells(r, addrCols, ws, c, nil)
			out = append(out, st.cursor.Render(r.padded()))
			continue
		}
		a := &p.addrs[i]
		stat := &st.stale
		switch {
		case a.Banned:
			stat = &st.banned
		case a.Live:
			stat = &st.live
		}
		addCells(r, addrCols, ws, c, []*paint{nil, nil, &st.faint, stat, &st.faint, &st.live})
		out = append(out, r.String())
	}
	if len(p.addrs) == 0 && len(out) < h {
		out = append(out, st.faint.Render(trunc("no addresses yet", w)))
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out
}

// listAddrs writes the address book into the log (:addrs), in the order
// the pane shows it.
func (m *Model) listAddrs() {
	cells := make([][]string, len(m.addrs.addrs))
	for i := range m.addrs.addrs {
		cells[i] = addrCells(&m.addrs.addrs[i], m.snapTime())
	}
	m.noteTable("address book: "+strconv.Itoa(len(cells))+" addresses", addrCols, cells)
}
