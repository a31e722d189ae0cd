package crawlview

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/crawl"
	"github.com/bitclone/bitclone/tui"
)

// Glyphs of the matrix: an edge to a reachable peer, an edge to an
// address nobody could reach, no edge. Distinct shapes, so the matrix
// reads without colour.
const (
	glyphEdge = "●"
	glyphDown = "✗"
	glyphNone = "·"
)

// graphAgent is how much of an agent labels a matrix row.
const graphAgent = 10

// graphLines draw who gossips whom as an adjacency matrix: a row per
// reachable peer (only they answered getaddr), a column per address any
// peer gives out or that answered; the numbers are the table's #. A
// legend follows, beside the matrix when there is room.
func (m *Model) graphLines(w int) []string {
	if m.cur == nil {
		return []string{"", "  The graph shows when the first round is done."}
	}
	ps := m.cur.Peers
	var rows, cols []int
	at := make(map[netip.AddrPort]int, len(ps))
	for i := range ps {
		at[ps[i].Addr] = i
		if ps[i].Status == crawl.Reachable {
			rows = append(rows, i)
		}
		if ps[i].Status == crawl.Reachable || len(ps[i].KnownBy) > 0 {
			cols = append(cols, i)
		}
	}
	if len(rows) == 0 {
		return []string{"", "  No peer answered: no edges."}
	}
	digits := len(strconv.Itoa(len(ps)))
	// Three columns a cell when they fit, else two with the numbers
	// written downwards over the columns.
	label := digits + 1 + graphAgent + 1
	cell := 3
	if label+cell*len(cols) > w {
		cell = 2
	}
	var matrix []string
	head := func(text func(n string) string) {
		l := tui.NewLine(label + cell*len(cols))
		l.Add(nil, strings.Repeat(" ", label))
		for _, j := range cols {
			p := &m.st.header
			if ps[j].Gossiped() {
				p = &m.st.down
			}
			l.AddFit(p, text(strconv.Itoa(j+1)), cell, true)
		}
		matrix = append(matrix, l.String())
	}
	if cell == 3 {
		head(func(n string) string { return n })
	} else {
		for d := digits; d > 0; d-- {
			head(func(n string) string {
				n = fmt.Sprintf("%*s", digits, n)
				return n[digits-d : digits-d+1]
			})
		}
	}
	for _, i := range rows {
		a := &ps[i]
		knows := map[int]bool{}
		for _, b := range a.Knows {
			if j, ok := at[b]; ok {
				knows[j] = true
			}
		}
		l := tui.NewLine(label + cell*len(cols))
		l.Add(&m.st.header, fmt.Sprintf("%*d ", digits, i+1))
		l.AddFit(nil, tui.Safe(a.Agent), graphAgent, false)
		l.Add(nil, " ")
		for _, j := range cols {
			switch {
			case j == i:
				l.AddFit(nil, "", cell, true)
			case knows[j] && ps[j].Status != crawl.Reachable:
				l.AddFit(&m.st.down, glyphDown, cell, true)
			case knows[j]:
				l.AddFit(&m.st.edge, glyphEdge, cell, true)
			default:
				l.AddFit(&m.st.faint, glyphNone, cell, true)
			}
		}
		matrix = append(matrix, l.String())
	}

	legend := []string{m.st.header.Render(fmt.Sprintf("%*s  %-21s %s", digits+2, "#", "ADDRESS", "AGENT / STATUS"))}
	for _, j := range cols {
		p := &ps[j]
		mark, st, what := "  ", (*tui.Paint)(nil), tui.Safe(p.Agent)
		if p.Status != crawl.Reachable {
			mark, st, what = glyphDown+" ", &m.st.down, p.Status.String()+", gossiped by "+strconv.Itoa(len(p.KnownBy))
		}
		l := tui.NewLine(1 << 10)
		l.Add(st, mark)
		l.Add(nil, fmt.Sprintf("%*d  %-21s ", digits, j+1, p.Addr))
		l.Add(st, what)
		legend = append(legend, l.String())
	}

	title := []string{m.st.header.Render(" Who gossips whom") + m.st.faint.Render(" · row A, column B:  "+glyphEdge+" A gives out B;  "+glyphDown+" B unreachable but gossiped;  "+glyphNone+" no edge"), ""}
	mw := label + cell*len(cols)
	if mw+3+40 <= w {
		out := title
		for i := range max(len(matrix), len(legend)) {
			line := ""
			if i < len(matrix) {
				line = matrix[i]
			}
			line += strings.Repeat(" ", max(0, mw-tui.LineWidth(line))) + "   "
			if i < len(legend) {
				line += legend[i]
			}
			out = append(out, strings.TrimRight(line, " "))
		}
		return out
	}
	out := append(title, matrix...)
	if mw > w {
		out = append(out, m.st.warn.Render(tui.Trunc(fmt.Sprintf("  the matrix is %d columns wide: widen the window to see them all", mw), w)))
	}
	return append(append(out, ""), legend...)
}
