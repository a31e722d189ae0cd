package tui

import (
	"strings"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// DefaultLogLines is how many log lines are kept when Options.LogLines is 0.
const DefaultLogLines = 10000

// maxKept is how much of one line the log keeps. A peer may send 128 KiB
// lines at full speed; the whole history then stays within about
// LogLines*maxKept bytes, and the raw view says how long the line was.
const maxKept = 4096

// logEntry is one log line. Text is kept as the peer sent it (cut to
// maxKept) and escaped only when drawn, so that only visible lines pay.
type logEntry struct {
	at   time.Time
	kind peer.Kind
	conn uint64
	dir  peer.Direction
	peer string // remote address; "" for node-wide lines
	cmd  string // command word of a message line
	text string // the line, or a sentence for other kinds
	raw  string // a message's wire bytes (at most peer.MaxEventRaw), line end included
	size int    // the whole frame's size on the wire
}

// entryOf turns an event into a log entry, copying what it keeps so that a
// cut line does not pin the event's whole buffer. Text and raw bytes share
// one copy when the text is how the bytes begin, as it is for a text
// dialect: a line costs the log its bytes once, not twice.
func entryOf(e peer.Event) logEntry {
	text := cutUTF8(e.Text, maxKept)
	raw := e.Raw[:min(len(e.Raw), maxKept)]
	var kept string // text and raw, as substrings of one string
	switch {
	case len(text) <= len(raw) && string(raw[:len(text)]) == text:
		kept = string(raw)
	case len(raw) == 0 && len(text) == len(e.Text):
		kept = text // whole: keeping it pins nothing more
	default:
		var b strings.Builder
		b.Grow(len(text) + len(raw))
		b.WriteString(text)
		b.Write(raw)
		kept = b.String()
	}
	return logEntry{at: e.At, kind: e.Kind, conn: e.ConnID, dir: e.Dir, peer: e.Peer, cmd: e.Command,
		text: kept[:len(text)], raw: kept[len(kept)-len(raw):], size: e.Size}
}

// ring is the bounded log history. Entries are numbered by a sequence that
// never repeats, so a scroll position survives older lines falling out.
type ring struct {
	buf   []logEntry
	limit int
	start int    // index of the oldest entry once buf is full
	next  uint64 // sequence number of the next entry
}

func newRing(limit int) ring {
	if limit <= 0 {
		limit = DefaultLogLines
	}
	return ring{limit: limit}
}

func (r *ring) push(e logEntry) {
	if len(r.buf) < r.limit {
		r.buf = append(r.buf, e)
	} else {
		r.buf[r.start] = e
		r.start = (r.start + 1) % r.limit
	}
	r.next++
}

func (r *ring) len() int { return len(r.buf) }

// first is the sequence number of the oldest entry (== next when empty).
func (r *ring) first() uint64 { return r.next - uint64(len(r.buf)) }

// last is the sequence number of the newest entry; ok is false when empty.
func (r *ring) last() (uint64, bool) { return r.next - 1, len(r.buf) > 0 }

// get returns the entry numbered seq, or nil once it has fallen out.
func (r *ring) get(seq uint64) *logEntry {
	if seq < r.first() || seq >= r.next {
		return nil
	}
	i := int(seq - r.first())
	if len(r.buf) == r.limit {
		i = (r.start + i) % r.limit
	}
	return &r.buf[i]
}
