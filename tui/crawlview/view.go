package crawlview

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/crawl"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/tui"
)

// Below this the window shows only a request to enlarge it.
const minWidth, minHeight = 40, 10

// View draws the window: exactly height lines, none wider than width.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "bitclone crawl"
	return v
}

func (m *Model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	lines := []string{m.statusLine(m.width)}
	if m.width < minWidth || m.height < minHeight {
		lines = append(lines, m.st.warn.Render(tui.Trunc(fmt.Sprintf("enlarge the window (%d×%d at least)", minWidth, minHeight), m.width)))
	} else {
		lines = append(lines, m.tabLine(m.width))
		switch {
		case m.overlay != overlayNone:
			lines = append(lines, scrolled(m.overlayLines(m.width), m.top, m.width, m.bodyRows())...)
		case m.view == viewGraph:
			head, body := m.graphLines(m.width)
			for _, l := range head {
				lines = append(lines, ansi.Truncate(l, m.width, "…"))
			}
			lines = append(lines, scrolled(body, m.top, m.width, m.bodyRows()-len(head))...)
		case m.view == viewChanges:
			lines = append(lines, scrolled(m.changeLines(m.width), m.top, m.width, m.bodyRows())...)
		default:
			lines = append(lines, m.tableLines(m.width, m.bodyRows())...)
		}
		if m.filterOn {
			l := tui.NewLine(m.width)
			l.Add(&m.st.prompt, "/ ")
			l.Add(nil, tui.Safe(m.filter)+"▏")
			l.Add(&m.st.faint, "  address, agent or status; enter keeps it, esc clears")
			lines = append(lines, l.String())
		}
	}
	lines = pad(lines, m.height-1)[:m.height-1]
	footer := m.help.ShortHelpView(m.footerKeys().ShortHelp())
	if tui.LineWidth(footer) > m.width {
		footer = ansi.Truncate(footer, m.width, "…")
	}
	return strings.Join(append(lines, footer), "\n")
}

// bodyRows is the height between the tab line and the footer.
func (m *Model) bodyRows() int {
	n := m.height - 3
	if m.filterOn {
		n--
	}
	return max(0, n)
}

func pad(lines []string, n int) []string {
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

// scrolled shows lines from top (clamped) in exactly h rows of w columns.
func scrolled(lines []string, top, w, h int) []string {
	if h <= 0 {
		return nil
	}
	top = max(0, min(top, len(lines)-h))
	out := make([]string, 0, h)
	for i := top; i < len(lines) && len(out) < h; i++ {
		out = append(out, ansi.Truncate(lines[i], w, "…"))
	}
	if more := len(lines) - top - h; more > 0 && h > 1 {
		out[h-1] = tui.Trunc(fmt.Sprintf("  ↓ %d more lines (↓, pgdn)", more), w)
	}
	return pad(out, h)
}

// statusLine is the top bar: where the crawl listens, the round, its
// progress or when the next starts, and the last round in numbers.
func (m *Model) statusLine(w int) string {
	us := m.o.Us
	if m.cur != nil {
		us = m.cur.Us.String()
	}
	var round string
	warn := false
	switch {
	case m.err != nil:
		round, warn = fmt.Sprintf("round %d failed: %s", m.round, tui.Safe(m.err.Error())), true
	case m.running:
		round = fmt.Sprintf("round %d running", m.round)
		if m.visited > 0 {
			round += fmt.Sprintf(": %d visited", m.visited)
		}
		if m.checked > 0 {
			round += fmt.Sprintf(", %d checked", m.checked)
		}
		if f := m.o.Feed; f != nil && f.dropped.Load() > 0 {
			round += fmt.Sprintf(" (%d reports dropped)", f.dropped.Load())
		}
	case !m.next.IsZero():
		round = fmt.Sprintf("round %d done, next in %s", m.round, humanize.Age(m.next, m.now()))
	case m.round > 0:
		round = fmt.Sprintf("round %d done", m.round)
	default:
		round = "starting"
	}
	var sum, short string
	if m.cur != nil {
		n := m.cur.Summary()
		sum = fmt.Sprintf("%s, %d reachable, %d unreachable, %s", humanize.Count(n.Peers, "peer"), n.Reachable, n.Unreachable, humanize.Count(n.Edges, "edge"))
		short = fmt.Sprintf("%s, %d up", humanize.Count(n.Peers, "peer"), n.Reachable)
		if n.Checked > 0 {
			sum += fmt.Sprintf(", %d checked, %d crashed", n.Checked, n.Crashed)
		}
	}
	listen := ""
	if us != "" {
		listen = "listening " + tui.Safe(us)
	}
	// The first form that fits; narrower ones leave out the name, then
	// where we listen, then the round's numbers.
	forms := [][]string{{"bitclone crawl", listen, round, sum}, {listen, round, sum}, {round, sum}, {round, short}, {round}}
	segs := forms[len(forms)-1]
	for _, f := range forms {
		f = slices.DeleteFunc(f, func(s string) bool { return s == "" })
		if tui.Width(" "+strings.Join(f, " │ ")) <= w {
			segs = f
			break
		}
	}
	l := tui.NewLine(w)
	l.Add(&m.st.status, " ")
	for i, seg := range segs {
		if i > 0 {
			l.Add(&m.st.status, " │ ")
		}
		st := &m.st.status
		if warn && strings.HasPrefix(seg, "round") {
			st = &m.st.statusWarn
		}
		l.Add(st, seg)
	}
	l.Add(&m.st.status, strings.Repeat(" ", max(0, l.Room())))
	return l.String()
}

// tabLine names the views, the one shown marked, then the sort and the
// filter.
func (m *Model) tabLine(w int) string {
	l := tui.NewLine(w)
	for v := range views {
		name := " " + viewNames[v] + " "
		if v == m.view && m.overlay == overlayNone {
			l.Add(&m.st.tabOn, "["+viewNames[v]+"]")
		} else {
			l.Add(&m.st.tab, name)
		}
		l.Add(nil, " ")
	}
	l.Add(&m.st.faint, "│ ")
	l.Add(nil, "sorted by "+m.sortText())
	if m.filter != "" {
		l.Add(nil, fmt.Sprintf(" · filter %q: %d of %d", tui.Safe(m.filter), len(m.rows()), len(m.peers())))
	}
	return l.String()
}

var sortOrder = [sortKeys][2]string{{"A to Z", "Z to A"}, {"A to Z", "Z to A"}, {"fastest first", "slowest first"}, {"best first", "worst first"}}

func (m *Model) sortText() string {
	i := 0
	if m.reverse {
		i = 1
	}
	return sortNames[m.sort] + " (" + sortOrder[m.sort][i] + ")"
}

// The table's columns; Drop says which go first when the window is narrow.
var tableCols = []tui.Column{
	{Title: "#", Right: true, Drop: 5},
	{Title: "ADDRESS", Max: 47, Soft: 21},
	{Title: "STATUS"},
	{Title: "AGENT", Max: 24, Soft: 10, Min: 5},
	{Title: "VER", Right: true, Drop: 8},
	{Title: "HANDSHAKE", Right: true, Drop: 7},
	{Title: "RTT", Right: true, Drop: 3},
	{Title: "KNOWS", Right: true, Drop: 4},
	{Title: "KNOWN BY", Right: true, Drop: 6},
	{Title: "SCORE", Drop: 2},
	{Title: "NOTE", Max: 80, Soft: 20, Min: 8, Drop: 9},
}

const (
	colAddr, colStatus, colAgent, colRTT, colScore = 1, 2, 3, 6, 9
)

// sortCol is the column each sort key orders.
var sortCol = [sortKeys]int{colAddr, colAgent, colRTT, colScore}

// tableRows is how many peers the table shows at once.
func (m *Model) tableRows() int { return m.bodyRows() - 1 - m.bannerRows() }

func (m *Model) bannerRows() int {
	if m.prev != nil {
		return 1
	}
	return 0
}

// index is each peer's number: its place in address order, as in the graph.
func (m *Model) index() map[string]int {
	ps := m.peers()
	if m.cur == nil {
		return nil // the first round is still under way: no numbers yet
	}
	out := make(map[string]int, len(ps))
	for i, p := range ps {
		out[p.Addr.String()] = i + 1
	}
	return out
}

// tableLines draws the banner, the header and the peers in h rows.
func (m *Model) tableLines(w, h int) []string {
	var out []string
	if m.prev != nil {
		out = append(out, m.banner(w))
	}
	rows := m.rows()
	idx := m.index()
	cells := make([][]string, len(rows))
	end := m.now()
	if m.cur != nil {
		end = m.cur.Started.Add(m.cur.Duration)
	}
	for i, p := range rows {
		cells[i] = peerCells(p, idx[p.Addr.String()], end)
	}
	header := make([]string, len(tableCols))
	for i, c := range tableCols {
		header[i] = c.Title
	}
	arrow := " ▲"
	if (m.sort == sortScore) != m.reverse {
		arrow = " ▼"
	}
	header[sortCol[m.sort]] += arrow
	ws := tui.ColWidths(tableCols, append([][]string{header}, cells...), w-2)
	hl := tui.NewLine(w)
	hl.Add(nil, "  ")
	hl.AddCells(tableCols, ws, header, nil)
	out = append(out, m.st.header.Render(hl.String()))

	n := h - len(out)
	if len(rows) == 0 {
		msg := "no peer answered yet"
		switch {
		case m.filter != "":
			msg = "no peer matches the filter (esc clears it)"
		case m.cur != nil:
			msg = "the round met no peer"
		}
		return pad(append(out, "  "+m.st.faint.Render(msg)), h)
	}
	cur := m.cursor(rows)
	m.offset = tui.ScrollOffset(m.offset, cur, n, len(rows))
	for i := m.offset; i < len(rows) && i < m.offset+n; i++ {
		l := tui.NewLine(w)
		paints := m.cellPaints(rows[i])
		if i == cur {
			l.Add(&m.st.cursor, "▸ ")
			for j := range paints {
				paints[j] = &m.st.cursor
			}
		} else {
			l.Add(nil, "  ")
		}
		l.AddCells(tableCols, ws, cells[i], paints)
		if i == cur {
			l.Add(&m.st.cursor, strings.Repeat(" ", max(0, l.Room())))
		}
		out = append(out, l.String())
	}
	if note := tui.MoreNote(m.offset, n, len(rows)); note != "" && len(out) == h {
		out[h-1] = m.st.faint.Render(tui.Trunc("  "+strings.TrimPrefix(note, " · ")+" (↓, pgdn)", w))
	}
	return pad(out, h)
}

// peerCells is one peer's row, peer text escaped.
func peerCells(p *crawl.Peer, n int, end time.Time) []string {
	num := ""
	if n > 0 {
		num = strconv.Itoa(n)
	}
	agent, ver, hs, rtt := "-", "-", "-", "-"
	if p.Status == crawl.Reachable {
		agent, ver, hs = tui.Safe(p.Agent), strconv.FormatUint(p.Version, 10), check.Dur(p.Handshake)
		if p.RTT > 0 {
			rtt = check.Dur(p.RTT)
		}
	}
	return []string{num, p.Addr.String(), p.Status.String(), agent, ver, hs, rtt,
		strconv.Itoa(len(p.Knows)), strconv.Itoa(len(p.KnownBy)), crawl.ScoreText(p.Score), tui.Safe(crawl.Note(*p, end))}
}

// cellPaints colour a row: the status and the score by how they went.
func (m *Model) cellPaints(p *crawl.Peer) []*tui.Paint {
	out := make([]*tui.Paint, len(tableCols))
	switch p.Status {
	case crawl.Reachable:
		out[colStatus] = &m.st.good
	case crawl.Unvisited:
		out[colStatus] = &m.st.faint
	default:
		out[colStatus] = &m.st.bad
	}
	if s := p.Score; s != nil {
		switch {
		case s.Err != "" || s.Fail > 0 || s.Crashed != "" || s.Down > 0:
			out[colScore] = &m.st.bad
		case s.Warn > 0:
			out[colScore] = &m.st.warn
		default:
			out[colScore] = &m.st.good
		}
	}
	out[len(out)-1] = &m.st.faint
	return out
}

// changeGlyphs mark each kind of change without colour.
var changeGlyphs = map[crawl.ChangeKind]string{crawl.Appeared: "+", crawl.Gone: "−", crawl.ScoreUp: "▲", crawl.ScoreDown: "▼"}

// banner is the changes since the last round, counted, over the table.
func (m *Model) banner(w int) string {
	l := tui.NewLine(w)
	l.Add(&m.st.header, fmt.Sprintf(" round %d against %d: ", m.cur.Round, m.prev.Round))
	if len(m.changes) == 0 {
		l.Add(nil, "no change")
		return l.String()
	}
	n := map[crawl.ChangeKind]int{}
	for _, c := range m.changes {
		n[c.Kind]++
	}
	for _, k := range []crawl.ChangeKind{crawl.Appeared, crawl.Gone, crawl.ScoreUp, crawl.ScoreDown} {
		if n[k] > 0 {
			l.Add(m.changePaint(k), fmt.Sprintf("%s %d %s  ", changeGlyphs[k], n[k], k))
		}
	}
	l.Add(&m.st.faint, "(c: what changed)")
	return l.String()
}

func (m *Model) changePaint(k crawl.ChangeKind) *tui.Paint {
	if k == crawl.Appeared || k == crawl.ScoreUp {
		return &m.st.good
	}
	return &m.st.bad
}

// changeLines list what changed since the last round.
func (m *Model) changeLines(w int) []string {
	switch {
	case m.o.Every == 0:
		return []string{"", "  One round only: bitclone crawl --every D crawls again every D and shows here what changed."}
	case m.prev == nil:
		return []string{"", "  What changed shows from the second round on."}
	}
	out := []string{m.st.header.Render(fmt.Sprintf(" Round %d against round %d: %s", m.cur.Round, m.prev.Round, humanize.Count(len(m.changes), "change"))), ""}
	if len(m.changes) == 0 {
		return append(out, "  no peer came or went, no score moved")
	}
	for _, c := range m.changes {
		l := tui.NewLine(w)
		l.Add(m.changePaint(c.Kind), fmt.Sprintf(" %s %-11s", changeGlyphs[c.Kind], c.Kind))
		l.Add(nil, fmt.Sprintf(" %-21s ", c.Addr))
		switch c.Kind {
		case crawl.Appeared:
			l.Add(nil, tui.Safe(c.Peer.Agent))
		case crawl.Gone:
			why := c.Peer.Status.String()
			if c.Peer.Reason != "" {
				why += ": " + tui.Safe(c.Peer.Reason)
			}
			l.Add(&m.st.faint, why)
		default:
			l.Add(nil, fmt.Sprintf("%s  %d → %d", tui.Safe(c.Peer.Agent), c.From, c.To))
		}
		out = append(out, l.String())
	}
	return out
}

func (m *Model) overlayLines(w int) []string {
	if m.overlay == overlayHelp {
		return m.helpLines()
	}
	return m.detailLines(w)
}

func (m *Model) helpLines() []string {
	var out []string
	for _, g := range m.keys.groups() {
		out = append(out, m.st.header.Render(" "+g.title))
		for _, b := range g.keys {
			out = append(out, "   "+tui.Fit(b.Help().Key, 10, false)+" "+b.Help().Desc)
		}
		out = append(out, "")
	}
	return append(out,
		" The graph: row A, column B is ● when A gives out B's address, ✗ when B",
		" gossiped but unreachable. Numbers are the table's #, in address order.")
}

// detailLines are one peer's fields and, if it was checked, its report
// card as bitclone check prints it.
func (m *Model) detailLines(w int) []string {
	var p *crawl.Peer
	for _, q := range m.rows() {
		if q.Addr == m.detail {
			p = q
		}
	}
	if p == nil {
		if m.cur != nil {
			p, _ = m.cur.Peer(m.detail)
		}
		if p == nil {
			return []string{"", "  " + m.detail.String() + " is not in this round"}
		}
	}
	out := []string{m.st.header.Render(tui.Trunc(" "+p.Addr.String()+" · "+p.Status.String(), w)), ""}
	field := func(name, value string) {
		if value != "" {
			out = append(out, "  "+tui.Fit(name, 14, false)+" "+value)
		}
	}
	field("reason", tui.Safe(p.Reason))
	if p.Status == crawl.Reachable {
		field("agent", tui.Safe(p.Agent))
		field("version", strconv.FormatUint(p.Version, 10))
		field("handshake", check.Dur(p.Handshake))
		rtt := "-"
		if p.RTT > 0 {
			rtt = check.Dur(p.RTT)
		}
		if p.PingErr != "" {
			rtt += " (ping: " + tui.Safe(p.PingErr) + ")"
		}
		field("round trip", rtt)
		field("sees us as", tui.Safe(p.SeenAs))
	}
	if !p.LastSeen.IsZero() {
		field("last seen", p.LastSeen.Local().Format("15:04:05"))
	}
	// Address lists wrap under their field: a peer may know hundreds.
	for _, f := range []struct {
		name string
		as   []netip.AddrPort
		none string
	}{{"knows", p.Knows, tui.Safe(p.AddrErr)}, {"known by", p.KnownBy, ""}} {
		lines := strings.Split(ansi.Wordwrap(addrList(f.as, f.none), max(20, w-18), ""), "\n")
		field(f.name, lines[0])
		for _, l := range lines[1:] {
			out = append(out, strings.Repeat(" ", 17)+l)
		}
	}
	field("score", crawl.ScoreText(p.Score))
	s := p.Score
	switch {
	case s == nil:
		out = append(out, "", "  "+m.st.faint.Render("no report card: it was not checked (bitclone crawl --check scores every reachable peer)"))
		return out
	case s.Err != "":
		field("check", tui.Safe(s.Err))
	}
	if s.Report == nil {
		return out
	}
	out = append(out, "", m.st.header.Render(" Report card"))
	var b bytes.Buffer
	names := make([]string, len(s.Report.Outcomes))
	for i, o := range s.Report.Outcomes {
		names[i] = o.Name
	}
	// Without colour: the verdicts are words, painted below.
	n := m.round // the first round, still under way
	if m.cur != nil {
		n = m.cur.Round
	}
	s.Report.WriteText(&b, names, fmt.Sprintf("round %d of the crawl", n), check.TextOptions{})
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		out = append(out, "  "+m.verdictPaint(tui.Safe(line))) // WriteText prints some of a report raw
	}
	return out
}

// verdictPaint colours a report line by its verdict word.
func (m *Model) verdictPaint(line string) string {
	t := strings.TrimLeft(line, " ")
	for word, st := range map[string]*tui.Paint{"PASS": &m.st.good, "WARN": &m.st.warn, "FAIL": &m.st.bad} {
		if strings.HasPrefix(t, word) {
			return line[:len(line)-len(t)] + st.Render(word) + t[len(word):]
		}
	}
	return line
}

func addrList(as []netip.AddrPort, none string) string {
	if len(as) == 0 {
		if none != "" {
			return "none (" + none + ")"
		}
		return "none"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strconv.Itoa(len(as)) + ": " + strings.Join(s, " ")
}
