package tui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/peer"
)

// View draws the window: exactly height lines, none wider than width.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "bitclone " + safe(m.snap.Listen)
	if m.focus == paneCmd && m.overlay == overlayNone && !m.quitting {
		f := m.frame()
		_, x := m.cmd.edit.view(f.cmd.w - width(m.cmd.prompt()))
		v.Cursor = tea.NewCursor(width(m.cmd.prompt())+x, f.cmd.y)
	}
	return v
}

// render is the frame's content as text.
func (m *Model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	f := m.frame()
	lines := make([]string, 0, m.height)
	lines = append(lines, m.statusLine(f.status.w))
	switch {
	case f.tooSmall:
		msg := "enlarge the window (" + strconv.Itoa(minWidth) + "×" + strconv.Itoa(minHeight) + " at least)"
		lines = append(lines, m.st.warn.Render(trunc(msg, m.width)))
		lines = pad(lines, 1+f.body.h)
	case m.overlay != overlayNone:
		lines = append(lines, scrolled(m.overlayLines(f.body.w), m.overlayTop, f.body.w, f.body.h)...)
	default:
		lines = append(lines, m.panes(f)...)
	}
	lines = append(lines, m.cmdLine(f.cmd.w), m.hintLine(f.hint.w), m.footerLine(f.footer.w))
	// Whatever went before, the frame is the window's size.
	if len(lines) > m.height {
		lines = lines[len(lines)-m.height:]
	}
	lines = pad(lines, m.height)
	for i, l := range lines {
		if lineWidth(l) > m.width {
			lines[i] = ansi.Truncate(l, m.width, "")
		}
	}
	return strings.Join(lines, "\n")
}

func pad(lines []string, n int) []string {
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

// panes draws the body: the panes in their rects, top to bottom.
func (m *Model) panes(f frame) []string {
	out := make([]string, 0, f.body.h)
	now := m.snapTime()
	if f.conns.h > 0 {
		out = append(out, m.titleLine(m.conns.title(f.conns.h-2, m.opts.Dialect.Typed()), f.conns.w, m.focus == paneConns))
		out = append(out, m.conns.render(&m.st, f.conns.w, f.conns.h-1, m.focus == paneConns, now)...)
	}
	if f.download.h > 0 {
		out = append(out, m.downloadPane(f.download)...)
	}
	for i, r := range f.dialect {
		if r.h > 0 {
			out = append(out, m.dialectPane(m.opts.Dialect.Panes[i], r)...)
		}
	}
	var logLines, addrLines []string
	if f.log.h > 0 {
		logLines = append(logLines, m.titleLine(m.log.title(m.logScrollNote()), f.log.w, m.focus == paneLog))
		logLines = append(logLines, m.log.render(&m.st, f.log.w, f.log.h-1, m.focus == paneLog, m.loc)...)
	}
	if f.addrs.h > 0 {
		addrLines = append(addrLines, m.titleLine(m.addrs.title(f.addrs.h-2), f.addrs.w, m.focus == paneAddrs))
		addrLines = append(addrLines, m.addrs.render(&m.st, f.addrs.w, f.addrs.h-1, m.focus == paneAddrs, now)...)
	}
	if f.sideBySide {
		sep := m.st.faint.Render("│")
		for i := range logLines {
			l := logLines[i]
			if gap := f.log.w - lineWidth(l); gap > 0 {
				l += strings.Repeat(" ", gap)
			}
			r := ""
			if i < len(addrLines) {
				r = addrLines[i]
			}
			out = append(out, l+sep+r)
		}
	} else {
		out = append(out, addrLines...)
		out = append(out, logLines...)
	}
	return pad(out, f.body.h)[:f.body.h]
}

// dialectPane draws a pane of the dialect in r: its title, then its rows,
// escaped and cut to the rect (the dialect's text is not trusted to fit).
func (m *Model) dialectPane(p peer.Pane, r rect) []string {
	out := []string{m.titleLine(safe(p.Title), r.w, false)}
	for _, l := range p.Rows(m.snap, r.w, r.h-1) {
		if len(out) == r.h {
			break
		}
		out = append(out, trunc(safe(l), r.w))
	}
	return pad(out, r.h)
}

// logScrollNote says which log lines the pane hides above and below: how
// many when no filter is on, else only that some are (counting them would
// mean walking the whole log on every frame).
func (m *Model) logScrollNote() string {
	p := &m.log
	seqs, _, _ := p.window(m.logRows())
	if len(seqs) == 0 {
		return ""
	}
	top, bottom := seqs[0], seqs[len(seqs)-1]
	if !p.filter.active() {
		last, _ := p.ring.last()
		return moreNote(top > p.ring.first(), int(top-p.ring.first()), bottom < last, int(last-bottom))
	}
	_, up := p.prev(top)
	_, down := p.next(bottom)
	return moreNote(up, -1, down, -1)
}

// snapTime is the moment ages are measured from: the snapshot's own.
func (m *Model) snapTime() time.Time {
	if m.snap.At.IsZero() {
		return m.now()
	}
	return m.snap.At
}

// titleLine is a pane's title: a marker when focused, then a rule.
func (m *Model) titleLine(title string, w int, focused bool) string {
	marker, st := "  ", &m.st.title
	if focused {
		marker, st = "▸ ", &m.st.titleFocused
	}
	r := newRow(w)
	r.add(st, marker+title+" ")
	r.add(&m.st.faint, strings.Repeat("─", max(0, r.room())))
	return r.String()
}

// statusLine is the top bar: our addresses, connections against the
// target, the address book and dropped events. Shorter words when narrow.
func (m *Model) statusLine(w int) string {
	s := &m.snap
	listen, ext := orDash(safe(s.Listen)), orDash(safe(s.External))
	in, out, target := strconv.Itoa(s.Inbound), strconv.Itoa(s.Outbound), strconv.Itoa(s.Target)
	dropped := strconv.FormatUint(s.Dropped, 10)
	// Warnings and connection events the bus folded into summaries.
	suppressed, narrow := "", dropped+" dropped "
	if s.Suppressed > 0 {
		n := strconv.FormatUint(s.Suppressed, 10)
		suppressed, narrow = ", "+n+" suppressed", dropped+" drop "+n+" sup "
	}
	forms := []struct {
		segs []string
		sep  string
	}{
		{[]string{" bitclone", "listening " + listen, "external " + ext,
			"established " + in + " in + " + out + " out / target " + target,
			strconv.Itoa(len(s.Addrs)) + " addresses", dropped + " events dropped" + suppressed + " "}, "  │  "},
		{[]string{" listening " + listen, "external " + ext, "established " + in + " in + " + out + " out / " + target,
			strconv.Itoa(len(s.Addrs)) + " addrs", dropped + " dropped" + suppressed + " "}, " │ "},
		{[]string{" " + listen, "ext " + ext, in + "+" + out + "/" + target + " est",
			strconv.Itoa(len(s.Addrs)) + " addrs", narrow}, " │ "},
	}
	segs, sep := forms[2].segs, forms[2].sep
	for _, f := range forms {
		if width(strings.Join(f.segs, f.sep)) <= w {
			segs, sep = f.segs, f.sep
			break
		}
	}
	r := newRow(w)
	for i, seg := range segs {
		st := &m.st.status
		if i == len(segs)-1 && (s.Dropped > 0 || s.Suppressed > 0) {
			st = &m.st.statusWarn
		}
		if i > 0 {
			r.add(&m.st.status, sep)
		}
		r.add(st, seg)
	}
	r.add(&m.st.status, strings.Repeat(" ", max(0, r.room())))
	return r.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdLine is the prompt and the text being typed.
func (m *Model) cmdLine(w int) string {
	r := newRow(w)
	prompt := m.cmd.prompt()
	focused := m.focus == paneCmd && m.overlay == overlayNone
	if !focused {
		r.add(&m.st.faint, prompt)
		if m.cmd.value() == "" {
			r.add(&m.st.faint, "type a line, : for a command, ? for help")
			return r.String()
		}
	} else {
		r.add(&m.st.prompt, prompt)
	}
	text, _ := m.cmd.edit.view(w - width(prompt))
	r.add(nil, text)
	return r.String()
}

func (m *Model) hintLine(w int) string {
	r := newRow(w)
	switch m.hint.kind {
	case hintOK:
		r.add(&m.st.ok, "✓ ")
	case hintLenient:
		r.add(&m.st.warn, "~ ")
	case hintBad:
		r.add(&m.st.bad, "✗ ")
	default:
		r.add(nil, "  ")
	}
	r.add(&m.st.faint, m.hint.text)
	return r.String()
}

func (m *Model) footerLine(w int) string {
	line := m.footer
	if lineWidth(line) > w {
		line = ansi.Truncate(line, w, "…")
	}
	return line
}
