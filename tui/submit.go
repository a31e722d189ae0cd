package tui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
)

// cmdKey handles a key on the command line.
func (m *Model) cmdKey(k tea.KeyPressMsg) tea.Cmd {
	if m.cmd.mode == modeFilter {
		return m.filterKey(k)
	}
	switch {
	case key.Matches(k, m.keys.Send):
		return m.submit()
	case key.Matches(k, m.keys.Leave):
		m.setFocus(m.back)
	case key.Matches(k, m.keys.Complete):
		m.complete()
		return nil
	case key.Matches(k, m.keys.HistPrev):
		m.cmd.histPrev()
	case key.Matches(k, m.keys.HistNext):
		m.cmd.histNext()
	default:
		if m.cmd.edit.key(k) {
			m.edited()
		}
		return nil
	}
	m.cmd.comp = completion{}
	return nil
}

// filterKey edits the log filter: it applies as it is typed; Enter keeps
// it, Esc restores the one before.
func (m *Model) filterKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.Keystroke() {
	case "enter":
	case "esc":
		m.log.setFilter(m.cmd.before, m.logRows())
	default:
		if m.cmd.edit.key(k) {
			m.log.setFilter(m.cmd.value(), m.logRows())
		}
		return nil
	}
	m.cmd.mode = modeCommand
	m.cmd.clear()
	m.setFocus(paneLog)
	return nil
}

// edited is called when the user changed the text: completion and history
// browsing start over from it.
func (m *Model) edited() {
	m.cmd.comp = completion{}
	m.cmd.histPos = len(m.cmd.hist)
	if m.cmd.mode == modeFilter {
		m.log.setFilter(m.cmd.value(), m.logRows())
	}
}

// submit executes the command line.
func (m *Model) submit() tea.Cmd {
	text := m.cmd.value()
	c, err := m.opts.Dialect.Parse(text)
	if err == nil {
		err = m.opts.Dialect.Prepare(&c) // a line the dialect cannot encode
	}
	if errors.Is(err, peer.ErrEmptyCommand) {
		return nil
	}
	if err != nil {
		m.note(peer.KindError, err.Error())
		return nil // keep the text, to fix it
	}
	if c.Op == peer.OpQuit {
		return m.quit()
	}
	var save tea.Cmd
	if m.cmd.remember(text) {
		save = saveHistory(m.opts.HistoryFile, text)
	}
	m.cmd.clear()
	switch c.Op {
	case peer.OpSend:
		if len(c.Targets) == 0 {
			c.Targets = m.conns.targets()
		}
		// A debugging tool sends what it is told, broken lines included.
		for _, w := range []string{c.Warning(), m.node.Validate(c.Line).Warning()} {
			if w != "" {
				m.note(peer.KindWarn, w)
			}
		}
		m.do(c, "send")
	case peer.OpConnect:
		m.do(c, ":connect")
	case peer.OpDrop:
		m.do(c, ":drop")
	case peer.OpForget:
		m.do(c, ":forget")
	case peer.OpSave:
		m.do(c, ":save")
	case peer.OpPeers:
		m.listConns()
	case peer.OpAddrs:
		m.listAddrs()
	case peer.OpHelp:
		m.overlay, m.overlayTop = overlayHelp, 0
	case peer.OpDialect:
		out, err := m.opts.Dialect.Run(m.node, c)
		if err != nil {
			m.note(peer.KindError, c.Name+": "+err.Error())
		} else if out != "" {
			m.note(peer.KindInfo, out)
		}
	}
	return save
}

// paste types pasted text on the command line as a person would: a line
// break is Enter. A paste of several lines thus sends them in order, each
// its own command, and what follows the last break stays to be edited,
// before the text that was after the cursor. A pasted line that is not a
// command is reported in the log and the next one starts afresh. In the
// filter, breaks are spaces.
func (m *Model) paste(s string) tea.Cmd {
	if m.focus != paneCmd || m.overlay != overlayNone {
		return nil
	}
	if m.cmd.mode == modeFilter {
		m.cmd.edit.insert(s)
		m.edited()
		return nil
	}
	lines := splitBreaks(s)
	tail := m.cmd.edit.cutTail()
	var cmds []tea.Cmd
	for _, l := range lines[:len(lines)-1] {
		m.cmd.edit.insert(l)
		cmds = append(cmds, m.submit())
		if m.quitting {
			return tea.Sequence(cmds...)
		}
		m.cmd.clear()
	}
	m.cmd.edit.insert(lines[len(lines)-1])
	pos := m.cmd.edit.pos
	m.cmd.edit.insert(tail)
	m.cmd.edit.pos = pos
	m.edited()
	// In sequence, so the history file gets the lines in order.
	return tea.Sequence(cmds...)
}

// splitBreaks splits s at every line break: CRLF, LF or a lone CR (what
// many terminals paste for a newline).
func splitBreaks(s string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
}

// do gives the node a command; a refusal goes in the log.
func (m *Model) do(c peer.Command, name string) {
	if err := m.node.Do(c); err != nil {
		m.note(peer.KindError, name+": "+err.Error())
	}
}
