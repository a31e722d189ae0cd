package tui

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/dialecttest"
)

// frameEvent is the event a Conn of dialect d publishes for frame.
func frameEvent(d *peer.Dialect, k peer.Kind, s int, frame []byte) peer.Event {
	return peer.Event{
		At: t0.Add(time.Duration(s) * time.Second), Kind: k, ConnID: 1, Peer: "127.0.0.1:8082", Dir: peer.Outbound,
		Text: string(d.Framing.Text(frame)), Command: d.Framing.Command(frame),
		Raw: frame[:min(len(frame), peer.MaxEventRaw)], Size: len(frame),
	}
}

// newBinaryModel is newTestModel over the tiny binary dialect: a piece
// request sent, its response and an error frame received.
func newBinaryModel(t *testing.T, w, h int) (*Model, *fakeNode) {
	t.Helper()
	node := newFake()
	node.validate = func(string) peer.Verdict { return peer.Verdict{Level: peer.Valid} }
	node.setSnapshot(sampleSnapshot())
	d := dialecttest.Binary
	m := New(node, Options{Dialect: d, LogLines: 100, Listen: "127.0.0.1:8081"})
	m.now = func() time.Time { return t0 }
	m.loc = time.UTC
	m.rng = rand.New(rand.NewPCG(1, 2))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg{sampleSnapshot()})
	m.Update(eventsMsg{events: []peer.Event{
		frameEvent(&d, peer.KindSend, 1, dialecttest.Frame(dialecttest.TypeRequest, []byte{41})),
		frameEvent(&d, peer.KindRecv, 2, dialecttest.Frame(dialecttest.TypeResponse, append([]byte{41}, bytes.Repeat([]byte{0xab}, 16)...))),
		frameEvent(&d, peer.KindRecv, 3, dialecttest.Frame(dialecttest.TypeError, []byte("no such piece"))),
	}})
	return m, node
}

// The log shows a binary dialect's frames in its words, and x the exact
// bytes of the frame under the cursor, with no talk of line ends.
func TestBinaryDialectLogShowsWordsAndXTheBytes(t *testing.T) {
	m, _ := newBinaryModel(t, 100, 30)
	log := strings.Join(logLines(m), "\n")
	for _, want := range []string{"> 127.0.0.1:8082 piece-request 41", "< 127.0.0.1:8082 piece-response 41 (16 bytes)", "< 127.0.0.1:8082 error no such piece"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	rawLine(t, m, 1) // the response
	s := screen(m)
	for _, want := range []string{
		"bytes of #1", "· 20 bytes · esc closes",
		"00000000  02 00 11 29 ab ab ab ab  ab ab ab ab ab ab ab ab  |...)............|",
		"00000010  ab ab ab ab ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("raw view lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "line end") {
		t.Errorf("the raw view of a binary frame speaks of line ends:\n%s", s)
	}
}

// The command line encodes through the dialect: the node gets the frame's
// bytes; a line the dialect cannot encode is an error and is not sent;
// Tab offers the dialect's templates; its colon commands run.
func TestBinaryDialectCommandLine(t *testing.T) {
	m, node := newBinaryModel(t, 100, 30)
	typeText(m, "piece 41")
	if !strings.Contains(m.hint.text, "valid piece-request") {
		t.Errorf("hint %q, want the frame's command", m.hint.text)
	}
	press(m, "enter")
	got := node.commands()
	if len(got) != 1 || !bytes.Equal(got[0].Frame, []byte{1, 0, 1, 41}) {
		t.Fatalf("Do calls %+v, want one with the frame 01 00 01 29", got)
	}

	typeText(m, "piece x")
	if m.hint.kind != hintBad {
		t.Errorf("hint for a line that cannot be encoded: %+v", m.hint)
	}
	press(m, "enter")
	if got := node.commands(); len(got) != 0 {
		t.Errorf("a line the dialect cannot encode was sent: %+v", got)
	}
	if log := strings.Join(logLines(m), "\n"); !strings.Contains(log, "piece: \"x\" is not an index") {
		t.Errorf("no error in the log:\n%s", log)
	}

	if got := tab(m, "pi", 1); got != "piece 0" {
		t.Errorf("pi + tab: %q, want the dialect's template", got)
	}
	if got := tab(m, ":peers-", 1); got != ":peers-count" {
		t.Errorf(":peers- + tab: %q, want the dialect's colon command", got)
	}
	press(m, "enter")
	if log := strings.Join(logLines(m), "\n"); !strings.Contains(log, "3 connections") {
		t.Errorf(":peers-count did not run:\n%s", log)
	}
}

// A dialect's pane slots in below the connections, with the address book
// and the log below it; a small window leaves it out rather than them.
func TestDialectPaneSlotsInBelowConnections(t *testing.T) {
	m, _ := newBinaryModel(t, 100, 30)
	f := m.frame()
	if len(f.dialect) != 1 || f.dialect[0].h != 2 {
		t.Fatalf("dialect panes %+v, want one of 2 rows", f.dialect)
	}
	p := f.dialect[0]
	if p.y != f.conns.y+f.conns.h || f.addrs.y != p.y+p.h || f.log.y != f.addrs.y+f.addrs.h || f.log.y+f.log.h != f.body.y+f.body.h {
		t.Errorf("rects: conns %+v, pieces %+v, addrs %+v, log %+v, body %+v", f.conns, p, f.addrs, f.log, f.body)
	}
	rows := strings.Split(screen(m), "\n")
	if !strings.Contains(rows[p.y], "Pieces") || !strings.HasPrefix(rows[p.y+1], "piece map: ███···") {
		t.Errorf("the pane's rows:\n%s\n%s\nscreen:\n%s", rows[p.y], rows[p.y+1], screen(m))
	}

	m.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
	if f := m.frame(); f.dialect[0].h != 0 || f.conns.h == 0 || f.addrs.h == 0 || f.log.h == 0 {
		t.Errorf("small window: pieces %+v, conns %+v, addrs %+v, log %+v", f.dialect[0], f.conns, f.addrs, f.log)
	}
}

// A dialect's pane text is escaped and cut like a peer's.
func TestDialectPaneIsEscapedAndCut(t *testing.T) {
	m, _ := newBinaryModel(t, 100, 30)
	m.opts.Dialect.Panes = []peer.Pane{{
		Title: "Evil\x1b[2J",
		Want:  func(peer.Snapshot, int) int { return 1 },
		Rows: func(peer.Snapshot, int, int) []string {
			return []string{"\x1b[31mred" + strings.Repeat("x", 300), "too many"}
		},
	}}
	s := m.View().Content
	if strings.Contains(s, "\x1b[2J") || strings.Contains(s, "\x1b[31mred") || strings.Contains(s, "too many") {
		t.Errorf("the pane's text reached the screen raw or overflowed:\n%q", s)
	}
	if !strings.Contains(screen(m), `Evil\x1b[2J`) {
		t.Errorf("no escaped title:\n%s", screen(m))
	}
}

// The empty command line suggests the dialect's own example, or none.
func TestHintSuggestsTheDialectsExample(t *testing.T) {
	m, _ := newBinaryModel(t, 200, 30)
	if !strings.Contains(m.hint.text, "type piece 41, @HOST:PORT LINE") {
		t.Errorf("hint %q", m.hint.text)
	}
	m.opts.Dialect.Hint = ""
	m.refreshHint()
	if !strings.Contains(m.hint.text, "type @HOST:PORT LINE") {
		t.Errorf("hint without an example %q", m.hint.text)
	}
}

// Fields a dialect's pane draws (peer.Pane.Fields) are not drawn again in
// the node's pane; the others are.
func TestPaneFieldsShowOnlyInTheirPane(t *testing.T) {
	m, _ := newBinaryModel(t, 120, 40)
	m.opts.Dialect.Panes = []peer.Pane{{
		Title:  "Searches",
		Fields: []string{"search"},
		Want:   func(peer.Snapshot, int) int { return 1 },
		Rows: func(s peer.Snapshot, _, _ int) []string {
			for _, f := range s.Fields {
				if f.Label == "search" {
					return []string{"pane row: " + f.Value}
				}
			}
			return nil
		},
	}}
	s := sampleSnapshot()
	s.Fields = []peer.Field{{Label: "search", Value: "cool.txt 1 result"}, {Label: "peers", Value: "3"}}
	m.Update(snapshotMsg{s})
	got := screen(m)
	if n := strings.Count(got, "cool.txt 1 result"); n != 1 || !strings.Contains(got, "pane row: cool.txt 1 result") {
		t.Errorf("the search field shows %d times, want once, in its pane:\n%s", n, got)
	}
	if !strings.Contains(got, "peers: 3") {
		t.Errorf("the node's other field is gone:\n%s", got)
	}
}
