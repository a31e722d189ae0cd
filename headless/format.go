package headless

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/peer"
)

// TimeLayout is the timestamp of a text transcript line.
const TimeLayout = "15:04:05.000"

// printer writes transcript lines to a buffered stdout. It is used by one
// goroutine only; the caller flushes at the end of each burst.
type printer struct {
	w    *bufio.Writer
	enc  *json.Encoder // nil: text
	loc  *time.Location
	now  func() time.Time
	head lineHead
	rep  repeats
	// binary: a frame's words are not its bytes, so JSON carries the bytes.
	binary bool
}

func newPrinter(w io.Writer, opts Options) *printer {
	p := &printer{w: bufio.NewWriterSize(w, writeBatch), loc: opts.Location, now: opts.Now, binary: opts.Dialect.Binary}
	if opts.JSON {
		p.enc = json.NewEncoder(p.w)
		p.enc.SetEscapeHTML(false) // keep "<" and "&" readable
	}
	return p
}

func (p *printer) flush() error { return p.w.Flush() }

// event prints one node event, unless it repeats a warning or error too
// often (see repeats).
func (p *printer) event(e *peer.Event) {
	if e.At.IsZero() {
		e.At = p.now()
	}
	// Only what repeats counts reads the clock: a read per message line
	// cost a sixth of the pipelined benchmark on a slow clock.
	if counted(e) && !p.rep.admit(e, p.now(), p.print) {
		return
	}
	p.print(e)
}

// summarise prints the summaries of repeats whose window ended (all of them
// when all is set).
func (p *printer) summarise(all bool) { p.rep.expire(p.now(), all, p.print) }

// print writes e as one transcript line.
func (p *printer) print(e *peer.Event) {
	if p.enc != nil {
		p.encode(jsonEventOf(e, p.binary))
		return
	}
	// Built in the writer's own free space: written without a copy.
	p.w.Write(p.head.appendText(p.w.AvailableBuffer(), e, p.loc, p.binary))
}

// problem prints a warning or error of the front end itself (a bad command,
// a failed Do) in the transcript, as a node-wide event.
func (p *printer) problem(k peer.Kind, text string) {
	p.event(&peer.Event{At: p.now(), Kind: k, Text: text})
}

// result prints the text output of a command such as :help.
func (p *printer) result(command, text string) {
	if p.enc != nil {
		p.encode(jsonResult{Time: jsonTime(p.now()), Kind: "result", Command: command, Text: text})
		return
	}
	io.WriteString(p.w, text)
	p.w.WriteByte('\n')
}

// encode writes v as one JSON line. The types encoded here cannot fail, and a
// write error stays in the bufio.Writer until the next flush reports it.
func (p *printer) encode(v any) { _ = p.enc.Encode(v) }

// appendText appends e as a transcript line: "TIME DIR PEER TEXT\n", the
// TUI log's columns, where DIR is "<" received, ">" sent, "*" state or
// info, "!" warning or error, and PEER is "-" for node-wide events.
// Everything a peer could have chosen is escaped, so no line can move the
// cursor or recolour the screen.
// Consecutive lines mostly share their second and their peer, which h
// keeps, ready to copy, from the line before.
func (h *lineHead) appendText(b []byte, e *peer.Event, loc *time.Location, binary bool) []byte {
	b = h.appendClock(b, e.At, loc)
	b = append(b, ' ')
	b = append(b, e.Kind.Mark()...)
	b = append(b, ' ')
	if e.Peer == "" {
		b = append(b, '-')
	} else {
		if e.Peer != h.peer {
			h.peer, h.peerText = e.Peer, codec.PrintableString(e.Peer)
		}
		b = append(b, h.peerText...)
	}
	b = append(b, ' ')
	text := codec.PrintableString(e.Text)
	switch e.Kind {
	case peer.KindRecv, peer.KindSend, peer.KindInfo:
		b = append(b, text...)
		if e.Truncated() && !binary { // events keep the start of a long line
			b = fmt.Appendf(b, " … (%d bytes in all)", e.Size)
		}
	case peer.KindConnected, peer.KindEstablished, peer.KindClosed:
		// "established (out)", "closed (in): timeout"
		b = append(b, e.Kind.String()...)
		if e.Dir != 0 {
			b = append(b, " ("...)
			b = append(b, e.Dir.String()...)
			b = append(b, ')')
		}
		if text != "" {
			b = append(b, ": "...)
			b = append(b, text...)
		}
	case peer.KindLearned:
		b = append(b, "learned "...)
		b = append(b, text...)
	case peer.KindWarn:
		b = append(b, "warning: "...)
		b = append(b, text...)
	case peer.KindError:
		b = append(b, "error: "...)
		b = append(b, text...)
	default:
		b = append(b, e.Kind.String()...)
		b = append(b, ' ')
		b = append(b, text...)
	}
	return append(b, '\n')
}

// lineHead is what the line before had in common with most lines: its
// second, as "15:04:05." in its location, and its peer, escaped.
type lineHead struct {
	sec      int64 // Unix seconds of secText; valid when loc is set
	loc      *time.Location
	secText  [len("15:04:05.")]byte
	peer     string
	peerText string
}

// appendClock appends t in loc as appendClock does. A second's text in a
// location is the same all through it (zone offsets and their changes are
// whole seconds), so only the milliseconds are worked out per line.
func (h *lineHead) appendClock(b []byte, t time.Time, loc *time.Location) []byte {
	if sec := t.Unix(); h.loc != loc || sec != h.sec {
		h.sec, h.loc = sec, loc
		var full [len(TimeLayout)]byte
		copy(h.secText[:], appendClock(full[:0], t.In(loc)))
	}
	ms := t.Nanosecond() / int(time.Millisecond)
	b = append(b, h.secText[:]...)
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// jsonEvent is one event as a JSON line; empty fields are left out.
type jsonEvent struct {
	Time    string `json:"time"`
	Kind    string `json:"kind"`
	Peer    string `json:"peer,omitempty"`
	Conn    uint64 `json:"conn,omitempty"`
	Dir     string `json:"dir,omitempty"`
	Command string `json:"command,omitempty"`
	// Text is the raw protocol line for recv and send: encoding/json escapes
	// control characters, and turns invalid UTF-8 into U+FFFD.
	Text string `json:"text,omitempty"`
	// Size is the frame's whole size on the wire when Text (or Raw) holds
	// only its start (peer.MaxEventRaw bytes).
	Size int `json:"size,omitempty"`
	// Raw is, for a binary dialect, where Text is the frame in words, the
	// frame's exact wire bytes (base64; the first peer.MaxEventRaw).
	Raw []byte `json:"raw,omitempty"`
	// Suppressed is set on a summary: how many similar events it stands for.
	Suppressed uint64 `json:"suppressed,omitempty"`
}

func jsonEventOf(e *peer.Event, binary bool) jsonEvent {
	j := jsonEvent{
		Time:    jsonTime(e.At),
		Kind:    e.Kind.String(),
		Peer:    e.Peer,
		Conn:    e.ConnID,
		Dir:     e.Dir.String(),
		Command: e.Command,
		Text:    e.Text,

		Suppressed: e.Suppressed,
	}
	if e.Truncated() {
		j.Size = e.Size
	}
	if binary && (e.Kind == peer.KindRecv || e.Kind == peer.KindSend) {
		j.Raw = e.Raw
	}
	return j
}

// jsonResult is the output of a front-end command (:peers, :addrs, :help).
type jsonResult struct {
	Time    string     `json:"time"`
	Kind    string     `json:"kind"` // always "result"
	Command string     `json:"command"`
	Text    string     `json:"text,omitempty"`
	Node    *jsonNode  `json:"node,omitempty"`
	Peers   []jsonConn `json:"peers,omitzero"` // [] when there are none
	Addrs   []jsonAddr `json:"addrs,omitzero"`
}

func jsonTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
