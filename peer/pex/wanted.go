package pex

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/durable"
	"github.com/bitclone/bitclone/peer"
)

// The wanted pieces: asking, receiving, verifying and saving them.

// wanted is where one wanted piece stands.
type wanted struct {
	got     bool
	writing bool   // a give is being written
	from    string // who gave it ("disk" when found in Dest)
	asks    int    // asks sent for it
}

// wants reports whether h is one of the wanted pieces.
func (n *Node) wants(h pex.Hash) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.wanted[h] != nil
}

// Got reports whether the wanted piece h is fetched and verified.
func (n *Node) Got(h pex.Hash) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	w := n.wanted[h]
	return w != nil && w.got
}

// missing lists the wanted pieces not yet fetched, in the order wanted.
func (n *Node) missing() []pex.Hash {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []pex.Hash
	for _, h := range n.want {
		if w := n.wanted[h]; !w.got && !w.writing {
			out = append(out, h)
		}
	}
	return out
}

// received takes a verified give of h: it claims the piece and has it
// written to Dest, atomically, off the connection's reader goroutine (an
// fsync takes a millisecond, and the reader moves on to the next give), at
// most MaxWriting at once: past that, the reader waits, and TCP holds the
// peer back. It says whether the piece was wanted and new.
func (n *Node) received(s *session, h pex.Hash, data []byte, at time.Time) bool {
	n.mu.Lock()
	w := n.wanted[h]
	if w == nil || w.got || w.writing {
		n.mu.Unlock()
		return false
	}
	w.writing = true
	n.mu.Unlock()
	select {
	case n.writing <- struct{}{}:
	case <-s.conn.Done():
		n.mu.Lock()
		w.writing = false
		n.mu.Unlock()
		return false
	}
	piece := append([]byte(nil), data...) // the frame is the reader's until its next message
	n.writers.Add(1)
	go func() {
		defer n.writers.Done()
		defer func() { <-n.writing }()
		n.write(s, h, w, piece, at)
	}()
	return true
}

// write writes a verified piece to Dest and counts it.
func (n *Node) write(s *session, h pex.Hash, w *wanted, piece []byte, at time.Time) {
	path := fetchedPath(n.cfg.Dest, h)
	err := durable.WriteFile(path, piece, 0o644)
	n.mu.Lock()
	w.writing = false
	if err == nil {
		w.got, w.from = true, s.conn.RemoteString()
		n.have[h] = location{path: path, n: len(piece)}
		n.nGot++
	}
	done := n.nGot == len(n.want)
	n.mu.Unlock()
	if err != nil {
		n.host.Note(peer.KindError, s.conn, "cannot save "+h.Short()+": "+err.Error())
		return
	}
	n.meter.AddDown(len(piece), at)
	s.gotOne(at)
	if done {
		n.markComplete(nil)
	}
}

// addWant adds h to the wanted pieces (an ask the user typed), unless it
// is wanted already or the list is full.
func (n *Node) addWant(h pex.Hash) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.wanted[h] != nil || len(n.want) >= MaxWant {
		return false
	}
	n.wanted[h] = &wanted{}
	n.want = append(n.want, h)
	return true
}

func (n *Node) markComplete(by *peer.Conn) {
	n.mu.Lock()
	pieces := len(n.want)
	n.mu.Unlock()
	n.complete.Mark(n.host, by, "every wanted piece verified and saved", pieces, int64(pieces)*int64(n.opts.Piece()), n.cfg.Dest)
}

// PieceRows are the wanted pieces, one line each (hash, state, who gave
// it), then the shared ones: the TUI's Pieces pane.
func (n *Node) PieceRows() []string {
	inFlight := map[pex.Hash]bool{}
	n.mu.Lock()
	n.host.EachLocked(func(_ *peer.Conn, _ netip.AddrPort, ps peer.Session) {
		ps.(*session).askedInto(inFlight)
	})
	rows := make([]string, 0, len(n.want)+len(n.shared))
	for _, h := range n.want {
		w := n.wanted[h]
		state := "wanted"
		switch {
		case w.got:
			state = "received from " + w.from
		case w.writing:
			state = "writing"
		case inFlight[h]:
			state = fmt.Sprintf("asked (%d asks)", w.asks)
		case w.asks > 0:
			state = fmt.Sprintf("wanted (%d asks, no give yet)", w.asks)
		}
		rows = append(rows, "want  "+h.String()+"  "+state)
	}
	n.mu.Unlock()
	for _, p := range n.shared {
		rows = append(rows, fmt.Sprintf("share %s  %s #%d", p.Hash, p.File, p.Index))
	}
	return rows
}

// countAsk counts an ask sent for h.
func (n *Node) countAsk(h pex.Hash) {
	n.mu.Lock()
	if w := n.wanted[h]; w != nil {
		w.asks++
	}
	n.mu.Unlock()
}

// countGiven counts a piece given.
func (n *Node) countGiven(size int, at time.Time) {
	n.mu.Lock()
	n.given++
	n.mu.Unlock()
	n.meter.AddUp(size, at)
}

// countCorrupt counts a corrupt give.
func (n *Node) countCorrupt() {
	n.mu.Lock()
	n.corrupt++
	n.mu.Unlock()
}
