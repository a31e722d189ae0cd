package tui

import (
	"strconv"
	"strings"
	"testing"

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

// A huge line is kept cut, so a flood of them cannot exhaust memory.
func TestLogCutsHugeLines(t *testing.T) {
	e := entryOf(peer.Event{Kind: peer.KindRecv, Text: strings.Repeat("é", 100000)})
	if len(e.text) > maxKept || e.size != 200000 {
		t.Fatalf("kept %d bytes of %d", len(e.text), e.size)
	}
	if !strings.HasSuffix(e.text, "é") {
		t.Error("cut in the middle of a rune")
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

// The raw view shows every byte of the line under the cursor, escaped:
// nothing the peer sent reaches the terminal as a control character.
func TestRawView(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	press(m, "esc", "tab", "tab")
	for m.log.cursor != 11 || m.log.follow {
		press(m, "up") // to the line with escape sequences
	}
	press(m, "x")
	s := screen(m)
	for _, want := range []string{`raw #11 · 21:29:25.000 < 127.0.0.1:53210 · 24 bytes + line end`, `\x1b[2J\x1b[31mEVIL\x07 \xff\xfe bytes\r`} {
		if !strings.Contains(s, want) {
			t.Errorf("raw view lacks %q:\n%s", want, s)
		}
	}
	for m.log.cursor != 15 {
		press(m, "down") // the 200 000-byte line
	}
	s = screen(m)
	if !strings.Contains(s, "200000 bytes") || !strings.Contains(s, "more rows") {
		t.Errorf("raw view of a huge line:\n%s", s)
	}
	press(m, "x")
	if strings.Contains(screen(m), "raw #") {
		t.Error("x did not close the raw view")
	}
}

func TestRawEscape(t *testing.T) {
	got := rawEscape("a|\\\r\n\t\x00\x1b\x7fé")
	if want := `a|\\\r\n\t\x00\x1b\x7f\xc3\xa9`; got != want {
		t.Errorf("rawEscape = %q, want %q", got, want)
	}
}
