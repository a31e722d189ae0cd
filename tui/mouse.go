package tui

import (
	tea "charm.land/bubbletea/v2"
)

// wheelStep is how many lines one notch of the wheel scrolls.
const wheelStep = 3

// click focuses the pane under the pointer and puts its cursor on the
// clicked row; on a connection it also toggles the selection. The frame is
// recomputed exactly as View drew it.
func (m *Model) click(ms tea.Mouse) {
	if ms.Button != tea.MouseLeft || m.overlay != overlayNone {
		return
	}
	f := m.frame()
	x, y := ms.X, ms.Y
	switch {
	case f.cmd.has(x, y):
		m.setFocus(paneCmd)
	case f.conns.has(x, y):
		m.setFocus(paneConns)
		// Below title and header; a click on a connection selects it (or
		// unselects it), as Space does.
		if m.conns.point(y-f.conns.y-2, f.conns.h-2) {
			m.conns.toggle()
		}
	case f.addrs.has(x, y):
		m.setFocus(paneAddrs)
		m.addrs.point(y-f.addrs.y-2, f.addrs.h-2)
	case f.log.has(x, y):
		m.setFocus(paneLog)
		rows := m.log.listRows(f.log.w, f.log.h-1)
		if r := y - f.log.y - 1; r >= 0 && r < rows {
			if seqs, _, _ := m.log.window(rows); r < len(seqs) {
				m.log.point(seqs[r], rows)
			}
		}
	}
}

// wheel scrolls whatever is under the pointer.
func (m *Model) wheel(ms tea.Mouse) {
	step := 0
	switch ms.Button {
	case tea.MouseWheelUp:
		step = -wheelStep
	case tea.MouseWheelDown:
		step = wheelStep
	default:
		return
	}
	f := m.frame()
	switch {
	case m.overlay != overlayNone:
		m.overlayTop += step
		m.clampOverlay()
	case f.conns.has(ms.X, ms.Y):
		m.conns.move(step/wheelStep, f.conns.h-2)
	case f.addrs.has(ms.X, ms.Y):
		m.addrs.move(step, f.addrs.h-2)
	case f.log.has(ms.X, ms.Y):
		m.log.scroll(step, m.logRows())
	}
}
