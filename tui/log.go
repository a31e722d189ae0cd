package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/peer"
)

// logPane is the message log: a ring of entries and a window onto the ones
// the filter lets through. Following, the window shows the newest lines;
// otherwise it is anchored on a line (bottom) and has a cursor, both by
// sequence number, so arriving lines do not move what the user reads.
type logPane struct {
	ring   ring
	filter logFilter
	follow bool
	cursor uint64 // the line under the cursor, when not following
	bottom uint64 // the last line of the window, when not following
	raw    bool   // show the current line's wire bytes below the list (x)
	// listen maps connection IDs to the peer's listening address, so that
	// peer:ADDR finds an inbound peer by the address it is known by, not
	// only by its ephemeral remote port.
	listen map[uint64]string
	// dialect colours lines by command and names how frames end.
	dialect *peer.Dialect
}

// maxListen bounds the listen map; past it, closed connections are forgotten.
const maxListen = 4096

func newLogPane(lines int, d *peer.Dialect) logPane {
	return logPane{ring: newRing(lines), follow: true, listen: map[uint64]string{}, dialect: d}
}

// learn records the listening addresses of the connections in a snapshot.
func (p *logPane) learn(conns []peer.ConnInfo) {
	if len(p.listen)+len(conns) > maxListen {
		clear(p.listen)
	}
	for _, c := range conns {
		if c.Listen != "" {
			p.listen[c.ID] = c.Listen
		}
	}
}

func (p *logPane) add(e logEntry) { p.ring.push(e) }

// ok reports whether seq is in the ring and passes the filter.
func (p *logPane) ok(seq uint64) bool {
	e := p.ring.get(seq)
	return e != nil && p.filter.match(e, p.listen[e.conn])
}

// prev is the nearest shown line before seq.
func (p *logPane) prev(seq uint64) (uint64, bool) {
	for first := p.ring.first(); seq > first; {
		if seq--; p.ok(seq) {
			return seq, true
		}
	}
	return 0, false
}

// next is the nearest shown line after seq.
func (p *logPane) next(seq uint64) (uint64, bool) {
	if seq < p.ring.first() {
		seq = p.ring.first() - 1
	}
	for seq+1 < p.ring.next {
		if seq++; p.ok(seq) {
			return seq, true
		}
	}
	return 0, false
}

func (p *logPane) lastShown() (uint64, bool) {
	l, ok := p.ring.last()
	if !ok || p.ok(l) {
		return l, ok
	}
	return p.prev(l)
}

func (p *logPane) firstShown() (uint64, bool) {
	f := p.ring.first()
	if p.ok(f) {
		return f, true
	}
	return p.next(f)
}

// nearest is seq if it is shown, else the closest shown line before it,
// else after it.
func (p *logPane) nearest(seq uint64) (uint64, bool) {
	if p.ok(seq) {
		return seq, true
	}
	if s, ok := p.prev(seq); ok && seq < p.ring.next {
		return s, true
	}
	if s, ok := p.next(seq); ok {
		return s, true
	}
	return p.lastShown()
}

// walk moves n shown lines from seq (backwards for n < 0), stopping at the ends.
func (p *logPane) walk(seq uint64, n int) uint64 {
	step := p.next
	if n < 0 {
		step, n = p.prev, -n
	}
	for ; n > 0; n-- {
		s, ok := step(seq)
		if !ok {
			break
		}
		seq = s
	}
	return seq
}

// window returns the lines to draw in h rows, oldest first, and the cursor
// line (hasCursor is false when following). It does not change the pane.
func (p *logPane) window(h int) (seqs []uint64, cursor uint64, hasCursor bool) {
	if h <= 0 {
		return nil, 0, false
	}
	bottom, ok := p.lastShown()
	if !ok {
		return nil, 0, false
	}
	if !p.follow {
		if bottom, ok = p.nearest(p.bottom); !ok {
			return nil, 0, false
		}
		cursor, hasCursor = p.nearest(p.cursor)
	}
	seqs = p.fill(bottom, h)
	// The raw view's height follows the current line, so the window can
	// shrink under a cursor near its top: keep the cursor in view.
	if hasCursor && cursor < seqs[0] {
		seqs = p.fill(p.walk(cursor, h-1), h)
	}
	return seqs, cursor, hasCursor
}

// fill lists up to h shown lines ending at bottom, oldest first; near the
// oldest line it fills the window downwards instead.
func (p *logPane) fill(bottom uint64, h int) []uint64 {
	seqs := make([]uint64, 0, h)
	for s, ok := bottom, true; ok && len(seqs) < h; s, ok = p.prev(s) {
		seqs = append(seqs, s)
	}
	slices.Reverse(seqs)
	for s, ok := p.next(bottom); ok && len(seqs) < h; s, ok = p.next(s) {
		seqs = append(seqs, s)
	}
	return seqs
}

// normalize re-anchors cursor and window after lines fell out of the ring,
// the filter changed or the window height changed: the cursor is a shown
// line, and it is inside the window.
func (p *logPane) normalize(h int) {
	if p.follow {
		return
	}
	var ok bool
	if p.cursor, ok = p.nearest(p.cursor); !ok {
		return
	}
	p.bottom, _ = p.nearest(p.bottom)
	seqs, _, _ := p.window(h)
	switch {
	case len(seqs) == 0:
	case p.cursor < seqs[0]:
		p.bottom = p.walk(p.cursor, h-1)
	case p.cursor > seqs[len(seqs)-1]:
		p.bottom = p.cursor
	}
}

// freeze stops following, with the cursor on the newest shown line.
func (p *logPane) freeze() bool {
	if !p.follow {
		return true
	}
	l, ok := p.lastShown()
	if !ok {
		return false
	}
	p.follow, p.cursor, p.bottom = false, l, l
	return true
}

// move moves the cursor n lines (up for n < 0).
func (p *logPane) move(n, h int) {
	if !p.freeze() {
		return
	}
	p.cursor = p.walk(p.cursor, n)
	p.normalize(h)
}

// scroll moves window and cursor together n lines (a page, the wheel).
func (p *logPane) scroll(n, h int) {
	if !p.freeze() {
		return
	}
	p.bottom = p.walk(p.bottom, n)
	p.cursor = p.walk(p.cursor, n)
	if n < 0 { // keep the window full at the top
		if seqs, _, _ := p.window(h); len(seqs) > 0 {
			p.bottom = seqs[len(seqs)-1]
		}
	}
	p.normalize(h)
}

func (p *logPane) home(h int) {
	if !p.freeze() {
		return
	}
	if f, ok := p.firstShown(); ok {
		p.cursor, p.bottom = f, p.walk(f, h-1)
	}
}

func (p *logPane) end() { p.follow = true }

func (p *logPane) toggleFollow() {
	if p.follow {
		p.freeze()
	} else {
		p.follow = true
	}
}

// point puts the cursor on a line the user clicked.
func (p *logPane) point(seq uint64, h int) {
	seqs, _, _ := p.window(h)
	if !p.freeze() || !slices.Contains(seqs, seq) {
		return
	}
	p.cursor, p.bottom = seq, seqs[len(seqs)-1]
}

func (p *logPane) setFilter(s string, h int) {
	p.filter = parseFilter(s)
	p.normalize(h)
}

// current is the line the raw view shows: the cursor line, or the newest.
func (p *logPane) current() (uint64, *logEntry) {
	seq, ok := p.lastShown()
	if !p.follow {
		seq, ok = p.nearest(p.cursor)
	}
	if !ok {
		return 0, nil
	}
	return seq, p.ring.get(seq)
}

// rawRows is how many of h rows the raw view takes in a pane w wide: as
// many as the current line's dump needs, never a blank one, leaving the
// list at least a third of the rows so the cursor line stays in sight; on
// a small screen, at least the header and the row where the line ends,
// with the cursor line above them.
func (p *logPane) rawRows(w, h int) int {
	if !p.raw || h < 3 {
		return 0
	}
	need := 1 // the header
	if _, e := p.current(); e != nil {
		per := hexPerRow(w)
		need += (e.rawLen() + per - 1) / per
	}
	return min(need, max(2, h-max(3, h/3)))
}

// listRows is how many of h rows show log lines in a pane w wide.
func (p *logPane) listRows(w, h int) int { return h - p.rawRows(w, h) }

func (p *logPane) title(more string) string {
	var b strings.Builder
	b.WriteString("Log  ")
	b.WriteString(strconv.Itoa(p.ring.len()))
	b.WriteString(" lines")
	b.WriteString(more) // what the window hides, before what a narrow title cuts
	if p.follow {
		b.WriteString(" · following")
	} else {
		b.WriteString(" · paused (f follows)")
	}
	if p.filter.active() {
		b.WriteString(" · filter: ")
		b.WriteString(safe(p.filter.src))
	}
	return b.String()
}
