package tui

import (
	"cmp"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
)

// Init starts the event reader, the first snapshot and the refresh timer,
// and asks the terminal for its background colour.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(waitEvents(m.node.Events(), m.release), m.requestSnapshot(), tick(), tea.RequestBackgroundColor)
}

// Update applies one message. Only this goroutine changes the model;
// commands only read the node and report back.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case eventsMsg:
		return m, m.applyEvents(msg)
	case snapshotMsg:
		return m, m.applySnapshot(msg.snap)
	case tickMsg:
		return m, tea.Batch(tick(), m.requestSnapshot())
	case historyErrMsg:
		m.note(peer.KindWarn, "history "+m.opts.HistoryFile+": "+msg.err.Error())
		return m, nil
	}
	// The user did something: the hint and the footer may change.
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.log.normalize(m.logRows())
	case tea.BackgroundColorMsg:
		m.st = newStyles(msg.IsDark())
		m.help.Styles = m.st.help
	case tea.KeyPressMsg:
		cmd = m.key(msg)
	case tea.PasteMsg:
		cmd = m.paste(msg.Content)
	case tea.MouseClickMsg:
		m.click(msg.Mouse())
	case tea.MouseWheelMsg:
		m.wheel(msg.Mouse())
	default:
		return m, nil
	}
	m.refreshHint()
	m.refreshFooter()
	return m, cmd
}

// refreshFooter renders the key help of what has focus (help renders with
// lipgloss, too slow to redo for every frame of a flood).
func (m *Model) refreshFooter() {
	m.footer = m.help.ShortHelpView(m.keys.footer(m.focus, m.overlay, m.log.filter.active()).ShortHelp())
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	return tea.Quit
}

// key routes a key press by focus: overlays first, then the command line,
// then the keys every pane shares, then the focused pane's own.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if k.Keystroke() == "ctrl+c" {
		return m.quit()
	}
	if m.overlay != overlayNone {
		return m.overlayKey(k)
	}
	if m.focus == paneCmd {
		return m.cmdKey(k)
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Help):
		m.overlay, m.overlayTop = overlayHelp, 0
	case key.Matches(k, m.keys.NextPane):
		m.setFocus((m.focus + 1) % paneCmd)
	case key.Matches(k, m.keys.PrevPane):
		m.setFocus((m.focus + paneCmd - 1) % paneCmd)
	case key.Matches(k, m.keys.Type):
		m.setFocus(paneCmd)
	case key.Matches(k, m.keys.Colon):
		m.setFocus(paneCmd)
		m.cmd.set(":")
	default:
		handled := false
		switch m.focus {
		case paneConns:
			handled = m.connsKey(k)
		case paneAddrs:
			handled = m.addrsKey(k)
		case paneLog:
			handled = m.logKey(k)
		}
		if !handled && printable(k) {
			// Not the pane's: the start of a line (ping|42, @HOST:PORT ...).
			m.setFocus(paneCmd)
			return m.cmdKey(k)
		}
	}
	return nil
}

// printable reports whether k types text (no Ctrl or Alt).
func printable(k tea.KeyPressMsg) bool {
	return k.Text != "" && k.Mod&(tea.ModCtrl|tea.ModAlt) == 0
}

// propose puts a command on the command line and gives it the keyboard:
// what a pane's key would do to the network waits for Enter, and Esc
// takes it back, restoring what was being typed.
func (m *Model) propose(line string) {
	draft := m.cmd.value()
	m.setFocus(paneCmd)
	m.proposal, m.proposalDraft = line, draft
	m.cmd.set(line)
	m.edited()
}

func (m *Model) setFocus(p pane) {
	if p != paneCmd {
		m.back = p
		if m.focus == paneCmd && m.proposal != "" && m.cmd.value() == m.proposal {
			m.cmd.set(m.proposalDraft) // Esc from an unchanged proposal cancels it
		}
	} else if m.focus != paneCmd {
		m.cmd.mode = modeCommand
	}
	m.proposal, m.proposalDraft = "", ""
	m.focus = p
}

// navStep is how far a navigation key moves the cursor of a table showing
// rows of total entries; ok is false for any other key.
func (m *Model) navStep(k tea.KeyPressMsg, rows, total int) (step int, ok bool) {
	page := max(1, rows-1)
	switch {
	case key.Matches(k, m.keys.Up):
		return -1, true
	case key.Matches(k, m.keys.Down):
		return 1, true
	case key.Matches(k, m.keys.PageUp):
		return -page, true
	case key.Matches(k, m.keys.PageDown):
		return page, true
	case key.Matches(k, m.keys.Home):
		return -total, true
	case key.Matches(k, m.keys.End):
		return total, true
	}
	return 0, false
}

// connsKey handles a key of the connections pane; it reports whether the
// key is one of the pane's.
func (m *Model) connsKey(k tea.KeyPressMsg) bool {
	rows := m.frame().conns.h - 2
	if step, ok := m.navStep(k, rows, len(m.conns.conns)); ok {
		m.conns.move(step, rows)
		return true
	}
	switch {
	case key.Matches(k, m.keys.Toggle):
		// Selecting is done to type at the selection: the keyboard goes
		// back to the command line, whose hint says where lines now go.
		m.conns.toggle()
		m.setFocus(paneCmd)
	case key.Matches(k, m.keys.Unselect):
		clear(m.conns.selected)
	case key.Matches(k, m.keys.Drop):
		if c, ok := m.conns.current(); ok {
			m.propose(":drop " + c.Remote)
		}
	case key.Matches(k, m.keys.Detail):
		if c, ok := m.conns.current(); ok {
			m.overlay, m.overlayTop = overlayDetail, 0
			m.detailID, m.detail, m.detailGone = c.ID, c, false
		}
	case key.Matches(k, m.keys.PeerLog):
		if c, ok := m.conns.current(); ok {
			// By listening address when known: it names the peer across
			// reconnections, and matches its remote address lines too.
			addr := cmp.Or(c.Listen, c.Remote)
			m.setFocus(paneLog)
			m.log.setFilter("peer:"+addr, m.logRows())
		}
	default:
		return false
	}
	return true
}

// addrsKey handles a key of the address book; it reports whether the key
// is one of the pane's.
func (m *Model) addrsKey(k tea.KeyPressMsg) bool {
	rows := m.frame().addrs.h - 2
	if step, ok := m.navStep(k, rows, len(m.addrs.addrs)); ok {
		m.addrs.move(step, rows)
		return true
	}
	if !key.Matches(k, m.keys.Connect) {
		return false
	}
	if a, ok := m.addrs.current(); ok {
		m.propose(":connect " + a.Addr)
	}
	return true
}

// logKey handles a key of the log pane; it reports whether the key is one
// of the pane's.
func (m *Model) logKey(k tea.KeyPressMsg) bool {
	h := m.logRows()
	switch {
	case key.Matches(k, m.keys.Up):
		m.log.move(-1, h)
	case key.Matches(k, m.keys.Down):
		m.log.move(1, h)
	case key.Matches(k, m.keys.PageUp):
		m.log.scroll(-max(1, h-1), h)
	case key.Matches(k, m.keys.PageDown):
		m.log.scroll(max(1, h-1), h)
	case key.Matches(k, m.keys.Home):
		m.log.home(h)
	case key.Matches(k, m.keys.End):
		m.log.end()
	case key.Matches(k, m.keys.Follow):
		m.log.toggleFollow()
	case key.Matches(k, m.keys.Raw), m.log.raw && key.Matches(k, m.keys.ClearFilter): // esc closes it
		m.log.raw = !m.log.raw
		m.log.normalize(m.logRows())
	case key.Matches(k, m.keys.Filter):
		m.setFocus(paneCmd)
		m.cmd.mode = modeFilter
		m.cmd.before = m.log.filter.src
		m.cmd.set(m.log.filter.src)
	case key.Matches(k, m.keys.ClearFilter):
		m.log.setFilter("", h)
	default:
		return false
	}
	return true
}

func (m *Model) overlayKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Close), m.overlay == overlayHelp && key.Matches(k, m.keys.Help):
		m.overlay = overlayNone
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Up):
		m.overlayTop = max(0, m.overlayTop-1)
	case key.Matches(k, m.keys.Down):
		m.overlayTop++
	case key.Matches(k, m.keys.PageUp):
		m.overlayTop = max(0, m.overlayTop-m.frame().body.h+1)
	case key.Matches(k, m.keys.PageDown):
		m.overlayTop += m.frame().body.h - 1
	}
	m.clampOverlay()
	return nil
}

// logRows is how many log lines the log pane shows now.
func (m *Model) logRows() int {
	f := m.frame()
	return m.log.listRows(f.log.w, max(0, f.log.h-1))
}
