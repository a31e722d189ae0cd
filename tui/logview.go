package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// describe is a log line's text, before escaping. Connection events are
// worded like the headless transcript: "closed (in): timeout".
func describe(e *logEntry) string {
	switch e.kind {
	case peer.KindRecv, peer.KindSend, peer.KindInfo:
		return e.text
	case peer.KindConnected, peer.KindEstablished, peer.KindClosed:
		s := e.kind.String()
		if e.dir != 0 {
			s += " (" + e.dir.String() + ")"
		}
		if d := detail(e.kind, e.text); d != "" {
			s += ": " + d
		}
		return s
	case peer.KindLearned:
		return "learned " + detail(e.kind, e.text)
	case peer.KindWarn:
		return "warning: " + e.text
	case peer.KindError:
		return "error: " + e.text
	}
	return e.kind.String() + " " + e.text
}

// detail strips from a node's sentence what the line says anyway: the
// kind's name and the direction ("closed (in): timeout" -> "timeout").
func detail(k peer.Kind, text string) string {
	rest, ok := strings.CutPrefix(text, k.String())
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != ':' {
		return text
	}
	rest = strings.TrimLeft(rest, " ")
	for _, d := range []string{"(in)", "(out)"} {
		rest = strings.TrimLeft(strings.TrimPrefix(rest, d), " ")
	}
	return strings.TrimLeft(strings.TrimPrefix(rest, ":"), " ")
}

// timeLayout is the log's timestamp; narrow panes drop the milliseconds.
func timeLayout(w int) string {
	if w >= 100 {
		return "15:04:05.000"
	}
	return "15:04:05"
}

// render draws the pane's body in exactly h rows of at most w columns.
func (p *logPane) render(st *styles, w, h int, focused bool, loc *time.Location) []string {
	listH := p.listRows(w, h)
	seqs, cursor, hasCursor := p.window(listH)
	out := make([]string, 0, h)

	peerW := 1
	for _, s := range seqs {
		peerW = max(peerW, width(safe(p.ring.get(s).peer)))
	}
	peerW = min(peerW, max(21, w/4))
	layout := timeLayout(w)

	for _, s := range seqs {
		e := p.ring.get(s)
		r := newRow(w)
		plain := focused && hasCursor && s == cursor
		pick := func(s *paint) *paint {
			if plain {
				return nil
			}
			return s
		}
		textStyle := st.forKind(e.kind)
		if e.kind == peer.KindRecv || e.kind == peer.KindSend {
			textStyle = st.forClass(p.dialect.ClassOf(e.cmd))
		}
		r.add(pick(&st.faint), e.at.In(loc).Format(layout))
		r.add(nil, " ")
		r.add(pick(textStyle), e.kind.Mark())
		r.add(nil, " ")
		who := "-"
		if e.peer != "" {
			who = safe(e.peer)
		}
		r.addFit(nil, who, peerW, false)
		r.add(nil, " ")
		r.add(pick(textStyle), safe(describe(e)))
		if plain {
			out = append(out, st.cursor.Render(r.padded()))
		} else {
			out = append(out, r.String())
		}
	}
	if len(seqs) == 0 {
		msg := "no messages yet"
		if p.filter.active() {
			msg = "no line matches the filter (/ to change it)"
		}
		out = append(out, st.faint.Render(trunc(msg, w)))
	}
	for len(out) < listH {
		out = append(out, "")
	}
	return append(out, p.renderRaw(st, w, h-listH, loc)...)
}

// renderRaw draws the raw view in h rows (rawRows decided how many): a
// header, then the current line's wire bytes as hexdump -C shows them, line
// end included, so that CRLF (0d 0a) and a bare LF (0a) look different,
// and a binary dialect's frame shows its every byte under its words.
// A dump too long for the rows keeps its last row, where the line ends.
func (p *logPane) renderRaw(st *styles, w, h int, loc *time.Location) []string {
	if h <= 0 {
		return nil
	}
	seq, e := p.current()
	if e == nil {
		return []string{st.faint.Render(trunc("bytes: no line", w))}
	}
	head := "bytes of #" + strconv.FormatUint(seq, 10) + " · " + e.at.In(loc).Format("15:04:05.000") + " " + e.kind.Mark() + " " + safe(e.peer)
	raw := e.raw()
	switch {
	case raw == "":
		head += " · not a message: no bytes crossed the wire"
	case len(raw) < e.size:
		head += " · first " + strconv.Itoa(len(raw)) + " of " + strconv.Itoa(e.size) + " bytes"
	case p.dialect.FrameEnd != nil:
		head += " · " + strconv.Itoa(len(raw)) + " bytes, " + p.dialect.FrameEnd([]byte(raw))
	default:
		head += " · " + strconv.Itoa(len(raw)) + " bytes"
	}
	out := []string{st.header.Render(trunc(head+" · esc closes", w))}
	dump := hexDump(raw, hexPerRow(w))
	if room := h - 1; len(dump) > room {
		last := dump[len(dump)-1]
		skipped := len(dump) - room + 1
		dump = dump[:max(0, room-2)]
		if room >= 2 {
			dump = append(dump, "… "+strconv.Itoa(skipped)+" more rows")
		}
		dump = append(dump, last)
	}
	for _, l := range dump {
		out = append(out, trunc(l, w))
	}
	return out
}
