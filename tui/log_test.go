package tui

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

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
	m.log = newLogPane(100)
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
	if len(e.text) > maxKept || len(e.raw) > maxKept || e.size != 200002 {
		t.Fatalf("kept %d text and %d raw bytes of %d", len(e.text), len(e.raw), e.size)
	}
	if !strings.HasSuffix(e.text, "é") {
		t.Error("cut in the middle of a rune")
	}
	note := entryOf(peer.Event{Kind: peer.KindInfo, Text: text})
	if len(note.text) > maxKept || note.raw != "" {
		t.Fatalf("a huge note kept %d bytes, raw %d", len(note.text), len(note.raw))
	}
}

// A message's text and wire bytes are one copy: the log keeps Raw for x
// without holding each line twice.
func TestLogKeepsTextAndBytesOnce(t *testing.T) {
	e := entryOf(peer.Event{Kind: peer.KindRecv, Text: "ping|42", Raw: []byte("ping|42\r\n"), Size: 9})
	if e.text != "ping|42" || e.raw != "ping|42\r\n" || e.size != 9 {
		t.Fatalf("entry text %q raw %q size %d", e.text, e.raw, e.size)
	}
	if unsafe.StringData(e.text) != unsafe.StringData(e.raw) {
		t.Error("text and raw bytes are stored apart")
	}
	// A dialect whose text is words, not its bytes, keeps both.
	w := entryOf(peer.Event{Kind: peer.KindRecv, Text: "request 0 0 16384", Raw: []byte{0, 0, 0, 13, 6}, Size: 5})
	if w.text != "request 0 0 16384" || w.raw != "\x00\x00\x00\x0d\x06" {
		t.Fatalf("entry text %q raw %q", w.text, w.raw)
	}
}

func TestLogNavigation(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	m.log = newLogPane(100)
	m.Update(numbered(0, 100))
	press(m, "esc", "tab", "tab") // the log
	h := m.logRows()
	last := func() string { l := logLines(m); return l[len(l)-1] }

	press(m, "up")
	if m.log.follow || m.log.cursor != 98 {
		t.Fatalf("up: follow %v cursor %d", m.log.follow, m.log.cursor)
	}
	m.Update(numbered(100, 5)) // paused: new lines do not move the window
	if !strings.HasSuffix(last(), "ping|99") {
		t.Errorf("window moved while paused: last row %q", last())
	}
	press(m, "pgup")
	if want := uint64(98 - (h - 1)); m.log.cursor != want {
		t.Errorf("pgup: cursor %d, want %d", m.log.cursor, want)
	}
	press(m, "home")
	if first := logLines(m)[0]; !strings.HasSuffix(first, "ping|5") { // 0-4 fell out of the 100-line ring
		t.Errorf("home: first row %q", first)
	}
	press(m, "end")
	if !m.log.follow || !strings.HasSuffix(last(), "ping|104") {
		t.Errorf("end: follow %v last row %q", m.log.follow, last())
	}
	press(m, "f")
	m.Update(numbered(105, 3))
	if m.log.follow || !strings.HasSuffix(last(), "ping|104") {
		t.Errorf("f did not pause: last row %q", last())
	}
	press(m, "f")
	if !m.log.follow || !strings.HasSuffix(last(), "ping|107") {
		t.Errorf("f did not resume following: last row %q", last())
	}

	// Paused on a line that then falls out of the ring: the window
	// moves to the oldest line left, and stays full.
	press(m, "home")
	m.Update(numbered(108, 50))
	if rows := logLines(m); len(rows) != h || !strings.HasSuffix(rows[0], "ping|58") {
		t.Errorf("after eviction: %d rows, first %q", len(rows), rows[0])
	}
}

func TestFilterParsing(t *testing.T) {
	f := parseFilter("  peer:8082 peer:8083 cmd:ping cmd:closed Hello  ")
	if f.src != "peer:8082 peer:8083 cmd:ping cmd:closed Hello" || len(f.peers) != 2 || len(f.cmds) != 2 || len(f.words) != 1 {
		t.Fatalf("parsed %+v", f)
	}
	e := func(k peer.Kind, p, cmd, text string) *logEntry {
		return &logEntry{kind: k, peer: p, cmd: cmd, text: text}
	}
	cases := []struct {
		filter string
		e      *logEntry
		want   bool
	}{
		{"", e(peer.KindInfo, "", "", "x"), true},
		{"peer:8082", e(peer.KindRecv, "127.0.0.1:8082", "ping", "ping|1"), true},
		{"peer:8082", e(peer.KindRecv, "127.0.0.1:8083", "ping", "ping|1"), false},
		{"peer:8082", e(peer.KindInfo, "", "", "listening on 8082"), false},
		{"peer:8082 peer:8083", e(peer.KindRecv, "127.0.0.1:8083", "ping", "ping|1"), true},
		{"cmd:ping", e(peer.KindRecv, "a", "ping", "ping|1"), true},
		{"cmd:ping", e(peer.KindRecv, "a", "pong", "pong|1"), false},
		{"cmd:closed", e(peer.KindClosed, "a", "", "timeout"), true},
		{"cmd:warn cmd:error", e(peer.KindError, "", "", "dial failed"), true},
		{"peer:a cmd:ping", e(peer.KindRecv, "b", "ping", "ping|1"), false},
		{"HELLO", e(peer.KindRecv, "a", "message", "message|100|hello|x"), true},
		{"hello world", e(peer.KindRecv, "a", "message", "message|100|hello|x"), false},
	}
	inbound := e(peer.KindRecv, "127.0.0.1:53210", "ping", "ping|1")
	if f := parseFilter("peer:127.0.0.1:8083"); !f.match(inbound, "127.0.0.1:8083") || f.match(inbound, "") {
		t.Error("peer: does not match an inbound connection by its listening address")
	}
	for _, c := range cases {
		f := parseFilter(c.filter)
		if got := f.match(c.e, ""); got != c.want {
			t.Errorf("%q matching %+v = %v, want %v", c.filter, *c.e, got, c.want)
		}
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

func TestRawEscape(t *testing.T) {
	got := rawEscape("a|\\\r\n\t\x00\x1b\x7fé")
	if want := `a|\\\r\n\t\x00\x1b\x7f\xc3\xa9`; got != want {
		t.Errorf("rawEscape = %q, want %q", got, want)
	}
}
