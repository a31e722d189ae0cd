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
// legend follows, beside the matrix when there is room. head (the title
// and the column numbers) stays on screen while body scrolls.
func (m *Model) graphLines(w int) (head, body []string) {
	if m.cur == nil {
		return nil, []string{"", "  The graph shows when the first round is done."}
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
		return nil, []string{"", "  No peer answered: no edges."}
	}
	digits := len(strconv.Itoa(len(ps)))
	// Three columns a cell when they fit, else two with the numbers
	// written downwards over the columns; the agents in the row labels
	// shrink, then go, before the matrix is cut.
	cell := 3
	if digits+2+graphAgent+cell*len(cols) > w {
		cell = 2
	}
	agentW := min(graphAgent, w-digits-2-cell*len(cols))
	if agentW < 3 {
		agentW = 0
	}
	label := digits + 1 + agentW + min(agentW, 1)
	var matrix []string
	numbers := 0
	header := func(text func(n string) string) {
		numbers++
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
		header(func(n string) string { return n })
	} else {
		for d := digits; d > 0; d-- {
			header(func(n string) string {
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
		if agentW > 0 {
			l.AddFit(nil, tui.Safe(a.Agent), agentW, false)
			l.Add(nil, " ")
		}
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

	head = []string{m.st.header.Render(" Who gossips whom") + m.st.faint.Render(" · row A, column B:  "+glyphEdge+" A gives out B;  "+glyphDown+" B unreachable but gossiped;  "+glyphNone+" no edge"), ""}
	mw := label + cell*len(cols)
	if mw+3+40 <= w {
		// The legend beside the matrix, its title on the numbers' last row.
		pad := func(l string) string { return l + strings.Repeat(" ", max(0, mw-tui.LineWidth(l))) + "   " }
		for i := range numbers {
			l := pad(matrix[i])
			if i == numbers-1 {
				l += legend[0]
			}
			head = append(head, strings.TrimRight(l, " "))
		}
		matrix, legend = matrix[numbers:], legend[1:]
		for i := range max(len(matrix), len(legend)) {
			line := ""
			if i < len(matrix) {
				line = matrix[i]
			}
			line = pad(line)
			if i < len(legend) {
				line += legend[i]
			}
			body = append(body, strings.TrimRight(line, " "))
		}
		return head, body
	}
	head = append(head, matrix[:numbers]...)
	body = matrix[numbers:]
	if mw > w {
		body = append(body, m.st.warn.Render(tui.Trunc(fmt.Sprintf("  the matrix is %d columns wide: widen the window to see them all", mw), w)))
	}
	return head, append(append(body, ""), legend...)
}
