package tui

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/peer"
)

// numbered is n received lines "ping|0", "ping|1", ... from one peer.
func numbered(from, n int) eventsMsg {
	var msg eventsMsg
	for i := from; i < from+n; i++ {
		msg.events = append(msg.events, peer.Event{At: t0, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:8082",
			Command: "ping", Text: "ping|" + strconv.Itoa(i)})
	}
	return msg
}

func TestRingIsBounded(t *testing.T) {
	r := newRing(3)
	for i := range 10 {
		r.push(logEntry{text: strconv.Itoa(i)})
	}
	if r.len() != 3 || r.first() != 7 {
		t.Fatalf("len %d first %d, want 3 and 7", r.len(), r.first())
	}
	for seq, want := range map[uint64]string{7: "7", 8: "8", 9: "9"} {
		if e := r.get(seq); e == nil || e.text != want {
			t.Errorf("get(%d) = %v, want %q", seq, e, want)
		}
	}
	if r.get(6) != nil || r.get(10) != nil {
		t.Error("get outside the ring returned an entry")
	}
}

func TestLogKeepsLogLinesAndShowsTheNewest(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	m.log = newLogPane(100, &m.opts.Dialect)
	m.Update(numbered(0, 1000))
	if m.log.ring.len() != 100 {
		t.Fatalf("log holds %d lines, want 100", m.log.ring.len())
	}
	lines := logLines(m)
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "ping|999") {
		t.Errorf("last log row %q, want ping|999", last)
	}
}

// A huge line is kept cut, so a flood of them cannot exhaust memory; the
// entry remembers how big the frame was.
func TestLogCutsHugeLines(t *testing.T) {
	text := strings.Repeat("é", 100000)
	raw := []byte(text + "\r\n")
	e := entryOf(peer.Event{Kind: peer.KindRecv, Text: text, Raw: raw[:peer.MaxEventRaw], Size: len(raw)})
	if len(e.text) > maxKept || e.rawLen() > maxKept || e.raw() != text[:peer.MaxEventRaw] || e.size != 200002 {
		t.Fatalf("kept %d text and %d raw bytes of %d", len(e.text), e.rawLen(), e.size)
	}
	if !strings.HasSuffix(e.text, "é") {
		t.Error("cut in the middle of a rune")
	}
	note := entryOf(peer.Event{Kind: peer.KindInfo, Text: text})
	if len(note.text) > maxKept || note.raw() != "" {
		t.Fatalf("a huge note kept %d bytes, raw %d", len(note.text), note.rawLen())
	}
}

// A message whose bytes are its text and a line end costs the log no copy:
// the text is kept, and the line end is a constant.
func TestLogKeepsTextAndBytesOnce(t *testing.T) {
	for _, end := range []string{"\r\n", "\n", ""} {
		ev := peer.Event{Kind: peer.KindRecv, Text: "ping|42", Raw: []byte("ping|42" + end), Size: 7 + len(end)}
		e := entryOf(ev)
		if e.text != "ping|42" || e.raw() != "ping|42"+end || e.rawLen() != 7+len(end) || e.size != 7+len(end) {
			t.Fatalf("entry text %q raw %q size %d", e.text, e.raw(), e.size)
		}
		if n := testing.AllocsPerRun(100, func() { entryOf(ev) }); n != 0 {
			t.Errorf("line end %q: entryOf allocates %v times", end, n)
		}
	}
	// A dialect whose text is words, not its bytes, keeps both.
	w := entryOf(peer.Event{Kind: peer.KindRecv, Text: "request 0 0 16384", Raw: []byte{0, 0, 0, 13, 6}, Size: 5})
	if w.text != "request 0 0 16384" || w.raw() != "\x00\x00\x00\x0d\x06" {
		t.Fatalf("entry text %q raw %q", w.text, w.raw())
	}
}

// rawLine puts the log cursor on line seq and opens the raw view.
func rawLine(t *testing.T, m *Model, seq uint64) {
	t.Helper()
	press(m, "esc", "tab", "tab")
	for m.log.cursor != seq || m.log.follow {
		if m.log.cursor == 0 && !m.log.follow {
			t.Fatalf("no line %d", seq)
		}
		press(m, "up")
	}
	press(m, "x")
}

// x shows the exact wire bytes of the line under the cursor as a hex and
// ASCII dump, line end included: a CRLF line and a bare-LF line differ.
// The view takes the rows it needs, no more; esc closes it.
func TestRawViewShowsExactBytes(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	rawLine(t, m, 18) // pong|42, CRLF
	s := screen(m)
	for _, want := range []string{
		"bytes of #18 · 21:29:30.000 < 127.0.0.1:8082 · 9 bytes, ends with CRLF · esc closes",
		"00000000  70 6f 6e 67 7c 34 32 0d  0a                       |pong|42..|",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("raw view lacks %q:\n%s", want, s)
		}
	}
	if got, want := m.log.rawRows(100, m.frame().log.h-1), 2; got != want {
		t.Errorf("the raw view of a 9-byte line takes %d rows, want %d (header and one dump row)", got, want)
	}

	press(m, "up", "up", "up", "up", "up") // message|100|hello|from bob, bare LF
	s = screen(m)
	for _, want := range []string{
		"bytes of #13 · 21:29:26.000 < 127.0.0.1:53210 · 27 bytes, ends with a bare LF",
		"00000010  6f 7c 66 72 6f 6d 20 62  6f 62 0a                 |o|from bob.|",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("raw view lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "0d  0a") {
		t.Errorf("a bare LF shows a CR:\n%s", s)
	}

	press(m, "esc")
	if m.log.raw || strings.Contains(screen(m), "bytes of #") {
		t.Error("esc did not close the raw view")
	}
	if !m.log.filter.active() && m.focus != paneLog {
		t.Error("esc left the log")
	}
}

// Hostile bytes show as hex and dots; a huge line says how much is kept
// and keeps its last row in view; a line that is not a message says so.
func TestRawViewOfHostileHugeAndOtherLines(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	rawLine(t, m, 11)
	s := screen(m)
	for _, want := range []string{"bytes of #11", "1b 5b 32 4a 1b 5b 33 31", "|.[2J.[31mEVIL. .|", "00000010  fe 20 62 79 74 65 73 0d  0d 0a                    |. bytes...|"} {
		if !strings.Contains(s, want) {
			t.Errorf("raw view lacks %q:\n%s", want, s)
		}
	}
	for m.log.cursor != 15 {
		press(m, "down") // the 200 000-byte line
	}
	s = screen(m)
	for _, want := range []string{"first 4096 of 200002 bytes", "more rows", "00000ff0  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|"} {
		if !strings.Contains(s, want) {
			t.Errorf("raw view of a huge line lacks %q:\n%s", want, s)
		}
	}
	press(m, "down") // error: dial ...
	if s := screen(m); !strings.Contains(s, "not a message: no bytes crossed the wire") {
		t.Errorf("raw view of a note:\n%s", s)
	}
	press(m, "x")
	if strings.Contains(screen(m), "bytes of #") {
		t.Error("x did not close the raw view")
	}
}

// The log's rows and the raw view's always add up to the pane, whatever
// line the cursor is on: no blank rows, none lost.
func TestRawViewNeverLeavesBlankRows(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	rawLine(t, m, 18)
	for seq := m.log.cursor; seq > 0; seq-- {
		f := m.frame()
		body := m.log.render(&m.st, f.log.w, f.log.h-1, true, time.UTC)
		if len(body) != f.log.h-1 {
			t.Fatalf("line %d: the pane drew %d rows, want %d", m.log.cursor, len(body), f.log.h-1)
		}
		for i, r := range body {
			if strings.TrimSpace(ansi.Strip(r)) == "" {
				t.Fatalf("line %d: row %d is blank:\n%s", m.log.cursor, i, strings.Join(body, "\n"))
			}
		}
		seqs, cursor, _ := m.log.window(m.logRows())
		if !slices.Contains(seqs, cursor) {
			t.Fatalf("line %d: the cursor is out of view", m.log.cursor)
		}
		press(m, "up")
	}
}

func TestHexDump(t *testing.T) {
	for _, s := range []string{"ping|42\r\n", "ping|42\n", strings.Repeat("abcdefgh", 5) + "\x00\xff\x1b\n", "0123456789abcdef"} {
		// hexdump -C's layout, as encoding/hex writes it.
		if got, want := strings.Join(hexDump(s, 16), "\n")+"\n", hex.Dump([]byte(s)); got != want {
			t.Errorf("hexDump(%q):\n%s\nwant\n%s", s, got, want)
		}
	}
	for _, w := range []int{100, 78, 77, 45, 44, 20} {
		n := hexPerRow(w)
		for _, row := range hexDump(strings.Repeat("x", 48), n) {
			if len(row) != hexWidth(n) || (n > 4 && len(row) > w) {
				t.Errorf("width %d: %d bytes a row, row %q is %d wide, hexWidth says %d", w, n, row, len(row), hexWidth(n))
			}
		}
	}
	if got := hexDump("ping|42\r\n", 8); got[0] != "00000000  70 69 6e 67 7c 34 32 0d  |ping|42.|" || got[1] != "00000008  0a                       |.|" {
		t.Errorf("8 a row: %q", got)
	}
}

// On a small screen (four rows of log, as 60x15 leaves with one
// connection) the raw view still shows the row where the line ends, not
// only its header.
func TestRawViewOnASmallScreenShowsBytes(t *testing.T) {
	m, _ := newTestModel(t, 60, 15)
	rawLine(t, m, 18)
	if got := m.log.rawRows(60, 4); got != 2 {
		t.Fatalf("the raw view takes %d of 4 rows, want 2: the header and the row where the line ends", got)
	}
	body := m.log.renderRaw(&m.st, 60, 2, time.UTC)
	if len(body) != 2 || !strings.Contains(ansi.Strip(body[1]), " 0a ") {
		t.Fatalf("the raw view in 2 rows:\n%s", strings.Join(body, "\n"))
	}
}
