package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// paneHelp documents what keeps typing in a pane safe.
const paneHelp = `typing in a pane:
  a key the pane does not use starts a line on the command line;
  space selects a peer and gives the keyboard back to the command line
  (esc, ↓, space selects one more); d and c ask: they put :drop ADDR or
  :connect ADDR on the command line, enter confirms, esc cancels`

// filterHelp documents the log filter on the ? screen.
const filterHelp = `log filter (/):
  peer:ADDR            lines of peers whose address contains ADDR
  cmd:NAME             lines of command NAME (ping, reject...) or kind
                       (connected, closed, warn, error...)
  WORD                 lines containing WORD, any case
  several peer: or cmd: terms match any of them; all kinds must match`

// scrolled shows lines from top (clamped) in exactly h rows of w columns.
func scrolled(lines []string, top, w, h int) []string {
	top = max(0, min(top, len(lines)-h))
	out := make([]string, 0, h)
	for i := top; i < len(lines) && len(out) < h; i++ {
		out = append(out, ansi.Truncate(lines[i], w, "…"))
	}
	return pad(out, h)
}

// overlayLines is the whole content of the open overlay screen for width w.
func (m *Model) overlayLines(w int) []string {
	switch m.overlay {
	case overlayHelp:
		return m.helpLines(w)
	case overlayDetail:
		return m.detailLines(w)
	}
	return nil
}

// clampOverlay keeps the overlay's scroll within its content.
func (m *Model) clampOverlay() {
	f := m.frame()
	m.overlayTop = max(0, min(m.overlayTop, len(m.overlayLines(f.body.w))-f.body.h))
}

// helpLines lists every key, in as many columns as fit, then the command
// language and the filter syntax.
func (m *Model) helpLines(w int) []string {
	const colW = 38
	var groups [][]string
	total := 0
	for _, g := range m.keys.groups() {
		lines := []string{m.st.header.Render(g.title)}
		for _, b := range g.keys {
			lines = append(lines, "  "+fit(b.Help().Key, 10, false)+" "+b.Help().Desc)
		}
		groups = append(groups, append(lines, ""))
		total += len(lines) + 1
	}
	// Deal whole groups into columns of about equal height.
	ncols := max(1, min(3, w/(colW+2)))
	per := (total + ncols - 1) / ncols
	cols := [][]string{nil}
	for _, g := range groups {
		if last := cols[len(cols)-1]; len(last) > 0 && len(last)+len(g) > per && len(cols) < ncols {
			cols = append(cols, nil)
		}
		cols[len(cols)-1] = append(cols[len(cols)-1], g...)
	}
	var lines []string
	for r := 0; ; r++ {
		var b strings.Builder
		more := false
		for c, col := range cols {
			cell := ""
			if r < len(col) {
				cell, more = ansi.Truncate(col[r], colW, "…"), true
			}
			b.WriteString(cell)
			if c < len(cols)-1 {
				b.WriteString(strings.Repeat(" ", colW+2-ansi.StringWidth(cell)))
			}
		}
		if !more {
			break
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	lines = append(lines, strings.Split(m.opts.Dialect.Help(), "\n")...)
	lines = append(lines, "")
	lines = append(lines, strings.Split(filterHelp, "\n")...)
	lines = append(lines, "")
	lines = append(lines, strings.Split(paneHelp, "\n")...)
	return append(lines, "", m.st.faint.Render("esc closes · ↑/↓ scroll"))
}

// detailLines show everything known about one connection.
func (m *Model) detailLines(w int) []string {
	c := &m.detail
	now := m.snapTime()
	state := c.State.String()
	if m.detailGone {
		state = "closed"
	}
	lines := []string{m.st.header.Render(trunc("Connection "+strconv.FormatUint(c.ID, 10)+" · "+c.Dir.String()+" · "+state, w)), ""}
	field := func(name, value string) {
		lines = append(lines, "  "+fit(name, 20, false)+" "+value)
	}
	field("remote address", orDash(safe(c.Remote)))
	field("listening address", orDash(safe(c.Listen)))
	// With a dialect's own fields, the lines BitClone fills and the
	// dialect leaves empty (user agent, version, ping, gossip) say nothing:
	// left out, as their columns are in the table.
	other := len(c.Fields) > 0
	if !other || c.UserAgent != "" || c.Version != 0 {
		field("user agent", orDash(safe(c.UserAgent)))
		field("protocol version", strconv.FormatUint(c.Version, 10))
	}
	connected := "-"
	if !c.Connected.IsZero() {
		connected = c.Connected.In(m.loc).Format("15:04:05") + " (" + humanize.Age(now, c.Connected) + " ago)"
	}
	field("connected", connected)
	field("last receive", humanize.Age(now, c.LastRecv)+" ago")
	field("last send", humanize.Age(now, c.LastSend)+" ago")
	ping := humanize.Millis(c.PingLast) + " / " + humanize.Millis(c.PingMin) + " ms"
	if c.PingWait {
		ping += " (a ping is waiting for its pong)"
	}
	if !other || c.PingLast != 0 || c.PingWait {
		field("ping last / min", ping)
	}
	field("messages in / out", strconv.FormatUint(c.MsgsIn, 10)+" / "+strconv.FormatUint(c.MsgsOut, 10))
	field("bytes in / out", humanize.Bytes(c.BytesIn)+" / "+humanize.Bytes(c.BytesOut))
	if !other || c.AddrsProcessed != 0 || c.AddrsLimited != 0 {
		field("addresses taken", strconv.FormatUint(c.AddrsProcessed, 10)+" ("+strconv.FormatUint(c.AddrsLimited, 10)+" over the rate limit)")
	}
	// The dialect's own fields, in its words and order.
	for _, f := range c.Fields {
		field(safe(f.Label), orDash(safe(f.Value)))
	}
	if c.Reason != "" {
		field("closed because", safe(c.Reason))
	}
	lines = append(lines, "")

	cols := []column{{title: "COMMAND"}, {title: "IN MSGS", right: true}, {title: "IN BYTES", right: true},
		{title: "OUT MSGS", right: true}, {title: "OUT BYTES", right: true}}
	var cells [][]string
	for _, name := range commandsOf(c, m.opts.Dialect.Messages) {
		in, out := c.In[name], c.Out[name]
		cells = append(cells, []string{safe(name), strconv.FormatUint(in.Msgs, 10), humanize.Bytes(in.Bytes),
			strconv.FormatUint(out.Msgs, 10), humanize.Bytes(out.Bytes)})
	}
	ws := colWidths(cols, cells, w-2)
	hr := newRow(w)
	hr.add(nil, "  ")
	addCells(hr, cols, ws, headerCells(cols), nil)
	lines = append(lines, m.st.header.Render(hr.String()))
	for _, cl := range cells {
		r := newRow(w)
		r.add(nil, "  ")
		addCells(r, cols, ws, cl, []*paint{m.st.forClass(m.opts.Dialect.ClassOf(cl[0])), nil, nil, nil, nil})
		lines = append(lines, r.String())
	}
	if len(cells) == 0 {
		lines = append(lines, "  no messages yet")
	}
	lines = append(lines, "")
	for i, name := range []string{"last reject received", "last reject sent"} {
		rej := safe(c.LastReject[i])
		if rej == "" && other {
			continue
		}
		if rej == "" {
			field(name, "-")
			continue
		}
		// Wrap rather than cut: a reject's reason is what one came to read.
		wrapped := strings.Split(ansi.Hardwrap(rej, max(10, w-25), true), "\n")
		field(name, m.st.reject.Render(wrapped[0]))
		for _, l := range wrapped[1:] {
			lines = append(lines, strings.Repeat(" ", 23)+m.st.reject.Render(l))
		}
	}
	return lines
}

// commandsOf lists the commands a connection has counts for: the
// dialect's in protocol order, then anything else.
func commandsOf(c *peer.ConnInfo, messageNames []string) []string {
	var out []string
	for _, name := range messageNames {
		if _, ok := c.In[name]; ok {
			out = append(out, name)
		} else if _, ok := c.Out[name]; ok {
			out = append(out, name)
		}
	}
	var other []string
	for _, counts := range []map[string]peer.Counter{c.In, c.Out} {
		for name := range counts {
			if !slices.Contains(messageNames, name) && !slices.Contains(other, name) {
				other = append(other, name)
			}
		}
	}
	slices.Sort(other)
	return append(out, other...)
}
