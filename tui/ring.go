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
	// A message's wire bytes (at most maxKept), line end included: text
	// followed by wire when textWire is set (a text dialect's whole line,
	// wire being just its line end), else wire alone.
	wire     string
	textWire bool
	size     int // the whole frame's size on the wire
}

// entryOf turns an event into a log entry, copying what it keeps so that a
// cut line does not pin the event's whole buffer. When the wire bytes are
// the text and a line end, only the text is kept: a line costs the log its
// bytes once, and no copy.
func entryOf(e peer.Event) logEntry {
	le := logEntry{at: e.At, kind: e.Kind, conn: e.ConnID, dir: e.Dir, peer: e.Peer, cmd: e.Command, text: e.Text, size: e.Size}
	if len(e.Raw) <= maxKept {
		if end, ok := lineEndAfter(e.Raw, e.Text); ok {
			le.wire, le.textWire = end, true
			return le
		}
	}
	if len(le.text) > maxKept {
		le.text = strings.Clone(cutUTF8(le.text, maxKept))
	}
	le.wire = string(e.Raw[:min(len(e.Raw), maxKept)])
	return le
}

// lineEndAfter reports whether raw is text followed by CRLF, LF or nothing,
// and returns that line end as a constant.
func lineEndAfter(raw []byte, text string) (string, bool) {
	if len(raw) < len(text) || string(raw[:len(text)]) != text {
		return "", false
	}
	switch end := string(raw[len(text):]); end {
	case "":
		return "", true
	case "\r\n":
		return "\r\n", true
	case "\n":
		return "\n", true
	}
	return "", false
}

// raw is the entry's wire bytes ("" for lines that are not messages).
func (e *logEntry) raw() string {
	if e.textWire {
		return e.text + e.wire
	}
	return e.wire
}

// rawLen is len(e.raw()) without building it.
func (e *logEntry) rawLen() int {
	if e.textWire {
		return len(e.text) + len(e.wire)
	}
	return len(e.wire)
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
