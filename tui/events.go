package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
)

const (
	// maxBatch caps one batch of events, so a flood is applied in slices
	// and keys get their turn between them.
	maxBatch = 1024
	// snapshotEvery is how often the tables are refreshed; connection
	// events refresh them at once as well.
	snapshotEvery = 500 * time.Millisecond
)

// eventsMsg is a burst of node events; closed means the node has stopped.
type eventsMsg struct {
	events []peer.Event
	closed bool
}

// snapshotMsg carries a fresh copy of the node's state.
type snapshotMsg struct{ snap peer.Snapshot }

// tickMsg asks for the periodic snapshot.
type tickMsg struct{}

// historyErrMsg reports a failed write of the history file.
type historyErrMsg struct{ err error }

// waitEvents is the one command that reads events: it blocks for the first
// batch, then takes whatever else is already waiting, up to maxBatch events.
// Update re-arms it after applying them, so at most one is ever running.
// A batch merged into the first is copied, so it is handed back to the node
// at once (release), to carry later events: a flood then allocates nothing.
func waitEvents(ch <-chan []peer.Event, release func([]peer.Event)) tea.Cmd {
	return func() tea.Msg {
		batch, ok := <-ch
		if !ok {
			return eventsMsg{closed: true}
		}
		for len(batch) < maxBatch {
			select {
			case more, ok := <-ch:
				if !ok {
					return eventsMsg{events: batch, closed: true}
				}
				batch = append(batch, more...)
				release(more)
			default:
				return eventsMsg{events: batch}
			}
		}
		return eventsMsg{events: batch}
	}
}

// releaser hands batches of events back to node once applied, if it takes
// them back (peer.EventReleaser).
func releaser(node peer.Node) func([]peer.Event) {
	if r, ok := node.(peer.EventReleaser); ok {
		return r.ReleaseEvents
	}
	return func([]peer.Event) {}
}

func tick() tea.Cmd {
	return tea.Tick(snapshotEvery, func(time.Time) tea.Msg { return tickMsg{} })
}

// requestSnapshot starts taking a snapshot, or asks for another once the
// one being taken arrives: never more than one at a time.
func (m *Model) requestSnapshot() tea.Cmd {
	if m.snapBusy {
		m.snapAgain = true
		return nil
	}
	m.snapBusy = true
	node := m.node
	return func() tea.Msg { return snapshotMsg{node.Snapshot()} }
}

func saveHistory(path, entry string) tea.Cmd {
	return func() tea.Msg {
		if err := appendHistory(path, entry); err != nil {
			return historyErrMsg{err}
		}
		return nil
	}
}

// applyEvents adds a batch to the log in O(len(batch)) and asks for a
// snapshot when connections changed.
func (m *Model) applyEvents(msg eventsMsg) tea.Cmd {
	changed := false
	for _, e := range msg.events {
		if e.At.IsZero() {
			e.At = m.now()
		}
		m.log.add(entryOf(e))
		switch e.Kind {
		case peer.KindClosed:
			m.conns.closed(e.ConnID)
			changed = true
		case peer.KindConnected, peer.KindEstablished:
			changed = true
		}
	}
	m.log.normalize(m.logRows())
	if msg.closed {
		m.note(peer.KindInfo, "the node has stopped")
		m.quitting = true
		return tea.Quit
	}
	m.release(msg.events) // the log keeps copies
	cmds := []tea.Cmd{waitEvents(m.node.Events(), m.release)}
	if changed {
		cmds = append(cmds, m.requestSnapshot())
	}
	return tea.Batch(cmds...)
}

// applySnapshot refreshes the tables; the selection and cursors survive.
func (m *Model) applySnapshot(s peer.Snapshot) tea.Cmd {
	m.snapBusy = false
	if s.Listen == "" {
		s.Listen = m.opts.Listen
	}
	m.snap = s
	m.dl = downloadCache{}
	m.conns.update(s.Conns)
	m.addrs.update(s.Addrs)
	m.log.learn(s.Conns)
	if m.detailID != 0 {
		m.detailGone = true
		for _, c := range s.Conns {
			if c.ID == m.detailID {
				m.detail, m.detailGone = c, false
			}
		}
	}
	m.refreshHint()
	if m.snapAgain {
		m.snapAgain = false
		return m.requestSnapshot()
	}
	return nil
}
