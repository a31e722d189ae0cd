package tui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// connsPane is the connections table. The cursor and the selection are
// kept by connection ID, so they survive snapshots that add, remove or
// reorder rows; a closed connection leaves the selection.
type connsPane struct {
	conns    []peer.ConnInfo
	cursor   uint64 // ID of the row under the cursor (0: the first row)
	selected map[uint64]bool
	offset   int
}

func newConnsPane() connsPane { return connsPane{selected: map[uint64]bool{}} }

// addrSoft is as wide as an IPv4 address and port: longer addresses (IPv6)
// are cut before a narrow pane drops a column for them.
const addrSoft = len("255.255.255.255:65535")

var connCols = []column{
	{title: "", min: 1}, // selection dot
	{title: "DIR"},      // in / out
	{title: "ADDRESS", min: 9, max: 47, soft: addrSoft},         // remote address, as in the log
	{title: "LISTEN", min: 9, max: 47, soft: addrSoft, drop: 9}, // where the peer listens, when different
	{title: "AGENT", min: 5, max: 20, soft: 10, drop: 4},        // user agent
	{title: "STATE"},                                   // handshake / established
	{title: "AGE", right: true, drop: 5},               // since connected
	{title: "PING ms", right: true, drop: 6},           // last/min round trip
	{title: "RECV", right: true, drop: 3},              // since last received
	{title: "MSGS i/o", right: true, drop: 7},          // messages in/out
	{title: "BYTES i/o", min: 9, right: true, drop: 8}, // bytes in/out
}

// The columns of connCols drawn in a style of their own.
const colMark, colListen, colState = 0, 3, 5

// update takes a fresh list of connections.
func (p *connsPane) update(conns []peer.ConnInfo) {
	p.conns = conns
	live := make(map[uint64]bool, len(conns))
	for _, c := range conns {
		live[c.ID] = true
	}
	for id := range p.selected {
		if !live[id] {
			delete(p.selected, id)
		}
	}
	if !live[p.cursor] {
		// Keep the cursor near where it was: on the next newer connection.
		next := uint64(0)
		for _, c := range conns {
			if c.ID > p.cursor {
				next = c.ID
				break
			}
		}
		if next == 0 && len(conns) > 0 {
			next = conns[len(conns)-1].ID
		}
		p.cursor = next
	}
}

// closed forgets a connection that ended, before the next snapshot.
func (p *connsPane) closed(id uint64) { delete(p.selected, id) }

// index is the cursor's row (0 when there are no rows).
func (p *connsPane) index() int {
	for i, c := range p.conns {
		if c.ID == p.cursor {
			return i
		}
	}
	return 0
}

func (p *connsPane) current() (peer.ConnInfo, bool) {
	if len(p.conns) == 0 {
		return peer.ConnInfo{}, false
	}
	return p.conns[p.index()], true
}

// move moves the cursor n rows, in a window of rows rows.
func (p *connsPane) move(n, rows int) {
	if len(p.conns) == 0 {
		return
	}
	i := max(0, min(len(p.conns)-1, p.index()+n))
	p.cursor = p.conns[i].ID
	p.offset = scrollOffset(p.offset, i, rows, len(p.conns))
}

// point puts the cursor on visible row r (a click).
func (p *connsPane) point(r, rows int) bool {
	i := scrollOffset(p.offset, p.index(), rows, len(p.conns)) + r
	if r < 0 || i >= len(p.conns) {
		return false
	}
	p.cursor = p.conns[i].ID
	p.offset = scrollOffset(p.offset, i, rows, len(p.conns))
	return true
}

// toggle selects or unselects the connection under the cursor.
func (p *connsPane) toggle() {
	c, ok := p.current()
	if !ok {
		return
	}
	if p.selected[c.ID] {
		delete(p.selected, c.ID)
	} else {
		p.selected[c.ID] = true
	}
}

// targets are the remote addresses of the selected connections, in table
// order: where a raw line goes (none: every established peer).
func (p *connsPane) targets() []string {
	var out []string
	for _, c := range p.conns {
		if p.selected[c.ID] {
			out = append(out, c.Remote)
		}
	}
	return out
}

// title counts the connections, says which of them rows rows hide, and
// how many are selected.
func (p *connsPane) title(rows int, typed string) string {
	n := len(p.conns)
	s := "Connections  " + strconv.Itoa(n) + scrollNote(scrollOffset(p.offset, p.index(), rows, n), rows, n)
	if n := len(p.selected); n > 0 {
		s += " · " + strconv.Itoa(n) + " selected (" + typed + " go to them)"
	}
	return s
}

// connCells are one connection's neutral table cells (connCols), escaped.
// The ping and user agent columns are BitClone's; another dialect's
// connections leave them blank, and the table hides them (connTable).
func connCells(c *peer.ConnInfo, now time.Time, selected bool) []string {
	mark := " "
	if selected {
		mark = "●"
	}
	listen := ""
	if c.Listen != "" && c.Listen != c.Remote {
		listen = safe(c.Listen)
	}
	ping := humanize.Millis(c.PingLast) + "/" + humanize.Millis(c.PingMin)
	if c.PingLast == 0 {
		ping = "-"
		if c.PingWait {
			ping = "wait"
		}
	}
	return []string{
		mark, c.Dir.String(), safe(c.Remote), listen, safe(c.UserAgent), c.State.String(),
		humanize.Age(now, c.Connected), ping, humanize.Age(now, c.LastRecv),
		strconv.FormatUint(c.MsgsIn, 10) + "/" + strconv.FormatUint(c.MsgsOut, 10),
		humanize.Bytes(c.BytesIn) + "/" + humanize.Bytes(c.BytesOut),
	}
}

// Dialect field columns: a dialect's per-connection fields
// (peer.ConnInfo.Fields: NibbleTorrent's pieces, rates, requests in flight)
// become columns after the neutral ones, one per label in the order the
// labels first appear, titled by the label in capitals. A column is
// right-aligned when every value in it is a number (starts with a digit);
// at most maxFieldCols of them, the rest are on the detail screen.
//
// On a narrow pane, the neutral columns that may drop go first, in their
// usual order (the address, direction and state never go), then the
// dialect's columns from the last: a dialect lists its fields most
// important first, and they are why its connections are worth watching.
// With dialect columns, a neutral column that is blank for every
// connection (a user agent or ping the dialect does not have) is hidden.
const (
	maxFieldCols  = 8
	maxFieldWidth = 24 // a longer value is cut with …
)

// fieldLabels are the distinct labels of the connections' fields, in the
// order they first appear, at most maxFieldCols.
func fieldLabels(conns []peer.ConnInfo) []string {
	var labels []string
	for i := range conns {
		for _, f := range conns[i].Fields {
			if len(labels) == maxFieldCols {
				return labels
			}
			if !slices.Contains(labels, f.Label) {
				labels = append(labels, f.Label)
			}
		}
	}
	return labels
}

// fieldValue is the value of c's field labelled label, escaped ("" if none).
func fieldValue(c *peer.ConnInfo, label string) string {
	for _, f := range c.Fields {
		if f.Label == label {
			return safe(f.Value)
		}
	}
	return ""
}

// numeric reports whether a cell reads as a number: it starts with a
// digit, or is blank or "-" (nothing to show).
func numeric(s string) bool {
	return s == "" || s == "-" || s[0] >= '0' && s[0] <= '9'
}

// blank reports whether a cell says nothing.
func blank(s string) bool { return s == "" || s == "-" }

// connTable is the connections table for conns: connCols, then a column
// per dialect field label; and each connection's cells. Without dialect
// fields it is exactly connCols (BitClone's table).
func connTable(conns []peer.ConnInfo, selected map[uint64]bool, now time.Time) ([]column, [][]string) {
	labels := fieldLabels(conns)
	cells := make([][]string, len(conns))
	for i := range conns {
		c := &conns[i]
		cells[i] = connCells(c, now, selected[c.ID])
		for _, l := range labels {
			cells[i] = append(cells[i], fieldValue(c, l))
		}
	}
	if len(labels) == 0 {
		return connCols, cells
	}
	cols := slices.Clone(connCols)
	for i := range cols {
		if cols[i].drop == 0 {
			continue
		}
		cols[i].drop += len(labels) // the neutral columns drop before the dialect's
		cols[i].hide = true
		for _, r := range cells {
			if !blank(r[i]) {
				cols[i].hide = false
				break
			}
		}
	}
	for j, l := range labels {
		col := column{title: strings.ToUpper(safe(l)), max: maxFieldWidth, right: true, drop: j + 1}
		for _, r := range cells {
			if !numeric(r[len(connCols)+j]) {
				col.right = false
				break
			}
		}
		cols = append(cols, col)
	}
	return cols, cells
}

// render draws the table body (header and rows) in exactly h rows.
func (p *connsPane) render(st *styles, w, h int, focused bool, now time.Time) []string {
	if h <= 0 {
		return nil
	}
	cols, cells := connTable(p.conns, p.selected, now)
	ws := colWidths(cols, cells, w)
	out := make([]string, 0, h)
	hr := newRow(w)
	addCells(hr, cols, ws, headerCells(cols), nil)
	out = append(out, st.header.Render(hr.String()))

	rows := h - 1
	cur := p.index()
	off := scrollOffset(p.offset, cur, rows, len(p.conns))
	paints := make([]*paint, len(cols))
	for i := off; i < len(p.conns) && len(out) < h; i++ {
		r := newRow(w)
		if focused && i == cur {
			addCells(r, cols, ws, cells[i], nil)
			out = append(out, st.cursor.Render(r.padded()))
			continue
		}
		state := &st.faint
		if p.conns[i].State == peer.StateEstablished {
			state = &st.live
		}
		paints[colMark], paints[colListen], paints[colState] = &st.mark, &st.faint, state
		addCells(r, cols, ws, cells[i], paints)
		out = append(out, r.String())
	}
	if len(p.conns) == 0 && len(out) < h {
		out = append(out, st.faint.Render(trunc("no connections yet (:connect HOST:PORT dials one)", w)))
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out
}

// listConns writes the connections into the log (:peers), the selected
// ones marked, as the table shows them.
func (m *Model) listConns() {
	s := &m.snap
	title := "connections: " + strconv.Itoa(s.Inbound) + " in + " + strconv.Itoa(s.Outbound) +
		" out established, target " + strconv.Itoa(s.Target)
	if len(m.conns.conns) == 0 {
		title += "; no connections"
	}
	cols, cells := connTable(m.conns.conns, m.conns.selected, m.snapTime())
	m.noteTable(title, cols, cells)
}
