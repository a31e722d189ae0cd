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
