package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// isQuit reports whether cmd (possibly a batch) quits the program.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		return slices.ContainsFunc(msg, isQuit)
	}
	return false
}

func TestFocusStartsOnCommandLine(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	if m.focus != paneCmd {
		t.Fatalf("focus %d at start, want the command line", m.focus)
	}
	typeText(m, "q") // a letter on the command line is text, not quit
	if m.cmd.value() != "q" || m.quitting {
		t.Fatalf("typing q: value %q, quitting %v", m.cmd.value(), m.quitting)
	}
}

func TestFocusKeys(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	steps := []struct {
		key  string
		want pane
	}{
		{"esc", paneConns}, {"tab", paneAddrs}, {"tab", paneLog}, {"tab", paneConns},
		{"shift+tab", paneLog}, {"i", paneCmd}, {"esc", paneLog}, {":", paneCmd},
	}
	for _, s := range steps {
		press(m, s.key)
		if m.focus != s.want {
			t.Fatalf("after %q focus is %d, want %d", s.key, m.focus, s.want)
		}
	}
	if m.cmd.value() != ":" {
		t.Errorf(": left %q on the command line, want \":\"", m.cmd.value())
	}
}

func TestQuitKeys(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	if cmd := press(m, "esc", "q"); !isQuit(cmd) {
		t.Error("q in a pane does not quit")
	}
	m, _ = newTestModel(t, 80, 24)
	if cmd := press(m, "ctrl+c"); !isQuit(cmd) {
		t.Error("ctrl+c on the command line does not quit")
	}
	m, _ = newTestModel(t, 80, 24)
	typeText(m, ":quit")
	if cmd := press(m, "enter"); !isQuit(cmd) {
		t.Error(":quit does not quit")
	}
}

func TestRawLineGoesToAllWhenNoneSelected(t *testing.T) {
	m, node := newTestModel(t, 80, 24)
	typeText(m, "ping|42")
	press(m, "enter")
	got := node.commands()
	want := []peer.Command{{Op: peer.OpSend, Line: "ping|42"}}
	if !slices.EqualFunc(got, want, sameCommand) {
		t.Fatalf("Do calls %+v, want %+v", got, want)
	}
	if m.cmd.value() != "" {
		t.Errorf("command line not cleared: %q", m.cmd.value())
	}
}

func sameCommand(a, b peer.Command) bool {
	return a.Op == b.Op && a.Line == b.Line && slices.Equal(a.Targets, b.Targets)
}

// Selection is kept by connection ID across snapshots that reorder and
// add rows, raw lines go to the selected peers, and a peer that closes
// leaves the selection.
func TestSelectionSurvivesSnapshotsAndTargetsRawLines(t *testing.T) {
	m, node := newTestModel(t, 80, 24)
	press(m, "esc", "down", "space") // select conn 2 (127.0.0.1:53210)
	if m.focus != paneCmd {
		t.Fatalf("space left the keyboard on pane %d, want the command line", m.focus)
	}
	press(m, "esc", "down", "space") // esc goes back to the cursor: select conn 3 too
	if got := m.conns.targets(); !slices.Equal(got, []string{"127.0.0.1:53210", "10.0.0.9:8088"}) {
		t.Fatalf("targets %v after selecting rows 2 and 3", got)
	}

	s := sampleSnapshot()
	slices.Reverse(s.Conns)
	s.Conns = append([]peer.ConnInfo{{ID: 9, Remote: "127.0.0.1:9999", State: peer.StateEstablished, Dir: peer.Inbound}}, s.Conns...)
	m.Update(snapshotMsg{s})
	if got := m.conns.targets(); !slices.Equal(got, []string{"10.0.0.9:8088", "127.0.0.1:53210"}) {
		t.Fatalf("targets %v after a reordering snapshot", got)
	}
	if c, _ := m.conns.current(); c.ID != 3 {
		t.Errorf("cursor on conn %d after the snapshot, want 3", c.ID)
	}

	m.Update(eventsMsg{events: []peer.Event{{At: t0, Kind: peer.KindClosed, ConnID: 3, Peer: "10.0.0.9:8088", Text: "closed: timeout"}}})
	typeText(m, "message|100|hi|there")
	press(m, "enter")
	got := node.commands()
	want := []peer.Command{{Op: peer.OpSend, Targets: []string{"127.0.0.1:53210"}, Line: "message|100|hi|there"}}
	if !slices.EqualFunc(got, want, sameCommand) {
		t.Fatalf("Do calls %+v, want %+v", got, want)
	}
	if !strings.Contains(screen(m), "1 selected") {
		t.Errorf("connections title does not count the selection:\n%s", screen(m))
	}
	press(m, "esc", "u")
	if len(m.conns.selected) != 0 {
		t.Errorf("u left %d selected", len(m.conns.selected))
	}
}

func TestAtTargetAndColonCommands(t *testing.T) {
	m, node := newTestModel(t, 80, 24)
	for _, line := range []string{"@127.0.0.1:8082 message|100|hi|there", ":connect 192.0.2.44:8088", ":drop 127.0.0.1:8082", ":save"} {
		typeText(m, line)
		press(m, "enter")
	}
	want := []peer.Command{
		{Op: peer.OpSend, Targets: []string{"127.0.0.1:8082"}, Line: "message|100|hi|there"},
		{Op: peer.OpConnect, Targets: []string{"192.0.2.44:8088"}},
		{Op: peer.OpDrop, Targets: []string{"127.0.0.1:8082"}},
		{Op: peer.OpSave},
	}
	if got := node.commands(); !slices.EqualFunc(got, want, sameCommand) {
		t.Fatalf("Do calls %+v, want %+v", got, want)
	}

	typeText(m, ":help")
	press(m, "enter")
	if m.overlay != overlayHelp || !strings.Contains(screen(m), "space      select") {
		t.Errorf(":help did not show the help screen:\n%s", screen(m))
	}
	press(m, "pgdown") // the command language is below the keys at 80x24
	if !strings.Contains(screen(m), ":connect HOST:PORT   dial a peer") {
		t.Errorf("the help screen does not scroll to the commands:\n%s", screen(m))
	}
	press(m, "esc")
	if m.overlay != overlayNone {
		t.Error("esc did not close the help screen")
	}
}

func TestBadCommandIsReportedAndKept(t *testing.T) {
	m, node := newTestModel(t, 80, 24)
	typeText(m, ":frobnicate")
	if m.hint.kind != hintBad || !strings.Contains(m.hint.text, "unknown command") {
		t.Errorf("hint %+v for an unknown command", m.hint)
	}
	press(m, "enter")
	if m.cmd.value() != ":frobnicate" {
		t.Errorf("a bad command was cleared: %q", m.cmd.value())
	}
	if len(node.commands()) != 0 {
		t.Error("a bad command reached the node")
	}
	if !strings.Contains(screen(m), `error: unknown command ":frobnicate"`) {
		t.Errorf("no error in the log:\n%s", screen(m))
	}
}

// An invalid line is still sent (a debugging tool sends what it is told)
// but the hint says what is wrong and the log warns.
func TestInvalidLineIsSentWithAWarning(t *testing.T) {
	m, node := newTestModel(t, 120, 40)
	typeText(m, "ping|x")
	if m.hint.kind != hintBad || !strings.Contains(m.hint.text, "ping: nonce: not a number") {
		t.Errorf("hint %+v", m.hint)
	}
	press(m, "enter")
	if got := node.commands(); len(got) != 1 || got[0].Line != "ping|x" {
		t.Fatalf("Do calls %+v", got)
	}
	if !strings.Contains(screen(m), "warning: not valid, sent anyway: ping: nonce: not a number") {
		t.Errorf("no warning in the log:\n%s", screen(m))
	}
}

func TestNodeRefusalIsLogged(t *testing.T) {
	m, node := newTestModel(t, 120, 40)
	node.doErr = errors.New("no established peers to send to")
	typeText(m, "getaddr")
	press(m, "enter")
	if !strings.Contains(screen(m), "error: send: no established peers to send to") {
		t.Errorf("refusal not in the log:\n%s", screen(m))
	}
}

func TestHint(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	cases := []struct {
		text string
		kind hintKind
		want string
	}{
		{"", hintInfo, "raw lines go to all 2 established peers"},
		{"ping|42", hintOK, "valid ping · enter sends it to all 2 established peers"},
		{"pong", hintBad, "pong: want 2 fields, got 1"},
		{"hello|x", hintBad, `unknown command "hello"`},
		{"@127.0.0.1:8082 getaddr", hintOK, "enter sends it to 127.0.0.1:8082"},
		{"@127.0.0.1:8083 getaddr", hintOK, "to 127.0.0.1:8083"}, // a listening address names the connection too
		{"@127.0.0.1:1 getaddr", hintBad, "no connection to 127.0.0.1:1"},
		{":connect 192.0.2.44:8088", hintInfo, "enter dials 192.0.2.44:8088"},
		{":drop 192.0.2.44:8088", hintBad, "no connection to 192.0.2.44:8088"},
		{":connect", hintBad, "usage: :connect HOST:PORT"},
	}
	for _, c := range cases {
		m.cmd.set(c.text)
		m.refreshHint()
		if m.hint.kind != c.kind || !strings.Contains(m.hint.text, c.want) {
			t.Errorf("%q: hint %+v, want kind %d containing %q", c.text, m.hint, c.kind, c.want)
		}
	}
	press(m, "esc", "space")
	m.cmd.set("ping|1")
	m.refreshHint()
	if !strings.Contains(m.hint.text, "to 127.0.0.1:8082") || strings.Contains(m.hint.text, "all") {
		t.Errorf("with a selection the hint says %q", m.hint.text)
	}
}

// d does not drop at once: it puts :drop ADDR on the command line, which
// Enter runs and Esc takes back (restoring what was being typed).
func TestDropAsksAndDetail(t *testing.T) {
	m, node := newTestModel(t, 120, 40)
	typeText(m, "ping|1")
	press(m, "esc", "down", "d")
	if got := node.commands(); len(got) != 0 {
		t.Fatalf("d dropped at once: Do calls %+v", got)
	}
	if m.focus != paneCmd || m.cmd.value() != ":drop 127.0.0.1:53210" ||
		!strings.Contains(screen(m), "enter closes the connection to 127.0.0.1:53210") {
		t.Fatalf("d: focus %d, line %q\n%s", m.focus, m.cmd.value(), screen(m))
	}
	press(m, "esc")
	if m.focus != paneConns || m.cmd.value() != "ping|1" || len(node.commands()) != 0 {
		t.Fatalf("esc after d: focus %d, line %q", m.focus, m.cmd.value())
	}
	press(m, "d", "enter")
	if got := node.commands(); len(got) != 1 || got[0].Op != peer.OpDrop || got[0].Targets[0] != "127.0.0.1:53210" {
		t.Fatalf("d, enter: Do calls %+v", got)
	}
	press(m, "esc", "up", "enter")
	if m.overlay != overlayDetail {
		t.Fatal("enter did not open the detail screen")
	}
	s := screen(m)
	for _, want := range []string{
		"Connection 1 · out · established", "user agent           alice", "ping last / min      0.3 / 0.2 ms",
		"messages in / out    14 / 15", "bytes in / out       1.2K / 987",
		"version       1       90        1        92", "reject        1       40        0         0",
		"?             1       12        0         0",
		"last reject received reject|400|bad message|ping: nonce: not a number", "last reject sent     -",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("detail screen lacks %q:\n%s", want, s)
		}
	}
	// The screen follows snapshots, and says when the connection is gone.
	snap := sampleSnapshot()
	snap.Conns = snap.Conns[1:]
	m.Update(snapshotMsg{snap})
	if !strings.Contains(screen(m), "Connection 1 · out · closed") {
		t.Errorf("detail screen of a closed connection:\n%s", screen(m))
	}
	press(m, "esc")
	if m.overlay != overlayNone || m.focus != paneConns {
		t.Errorf("esc: overlay %d focus %d", m.overlay, m.focus)
	}
}

func TestPeerLogKeyFiltersTheLog(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	press(m, "esc", "down", "l")
	if m.focus != paneLog || m.log.filter.src != "peer:127.0.0.1:8083" { // its listening address
		t.Fatalf("l: focus %d filter %q", m.focus, m.log.filter.src)
	}
	for _, l := range logLines(m) {
		if !strings.Contains(l, "127.0.0.1:53210") {
			t.Errorf("filtered log shows %q", l)
		}
	}
	press(m, "esc")
	if m.log.filter.active() {
		t.Error("esc in the log did not clear the filter")
	}
}

// logLines are the log pane's rows on screen (below its title, above the
// command line), blank ones dropped.
func logLines(m *Model) []string {
	f := m.frame()
	rows := strings.Split(screen(m), "\n")[f.log.y+1 : f.log.y+f.log.h]
	var out []string
	for _, r := range rows {
		if r = strings.TrimRight(r, " "); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func TestFilterTypedAfterSlash(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	press(m, "esc", "tab", "tab", "/")
	if m.focus != paneCmd || m.cmd.mode != modeFilter {
		t.Fatalf("/ in the log: focus %d mode %d", m.focus, m.cmd.mode)
	}
	typeText(m, "cmd:pong")
	if got := logLines(m); len(got) != 1 || !strings.Contains(got[0], "< 127.0.0.1:8082 pong|42") {
		t.Fatalf("the filter applies as typed; log shows %q", got)
	}
	press(m, "enter")
	if m.focus != paneLog || m.log.filter.src != "cmd:pong" || m.cmd.value() != "" {
		t.Fatalf("enter: focus %d filter %q line %q", m.focus, m.log.filter.src, m.cmd.value())
	}
	press(m, "/")
	typeText(m, " peer:1")
	press(m, "esc")
	if m.log.filter.src != "cmd:pong" {
		t.Errorf("esc did not restore the filter: %q", m.log.filter.src)
	}
	if !strings.Contains(screen(m), "filter: cmd:pong") {
		t.Errorf("the log title does not show the filter:\n%s", screen(m))
	}
}

func TestSnapshotsAreTakenOneAtATime(t *testing.T) {
	m, node := newTestModel(t, 80, 24)
	snap := sampleSnapshot()
	snap.Dropped = 77
	node.setSnapshot(snap)
	m.snapBusy = false
	ev := eventsMsg{events: []peer.Event{{Kind: peer.KindConnected, ConnID: 7, Peer: "127.0.0.1:7777", Dir: peer.Inbound}}}
	m.Update(ev) // its commands hold the event reader, which blocks; snapshots are delivered by hand
	if !m.snapBusy {
		t.Fatal("a connection event did not start a snapshot")
	}
	m.Update(ev)
	if !m.snapAgain {
		t.Fatal("a second connection event during a snapshot was not remembered")
	}
	_, again := m.Update(snapshotMsg{node.Snapshot()})
	if again == nil || m.snapAgain || !m.snapBusy {
		t.Fatal("the wanted second snapshot was not started")
	}
	if s, ok := runWithTimeout(t, again).(snapshotMsg); !ok || s.snap.Dropped != 77 {
		t.Fatalf("the second snapshot command returned %#v", s)
	}
	if !strings.Contains(screen(m), "77 dropped") {
		t.Errorf("status bar does not show dropped events:\n%s", screen(m))
	}
}

// runWithTimeout runs a command that should return at once.
func runWithTimeout(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		return msg
	case <-time.After(5 * time.Second):
		t.Fatal("command blocked")
		return nil
	}
}

func TestWaitEventsDrainsABurst(t *testing.T) {
	ch := make(chan []peer.Event, maxBatch+10)
	for i := range maxBatch + 10 {
		ch <- []peer.Event{{Kind: peer.KindRecv, ConnID: uint64(i)}}
	}
	released := 0
	release := func([]peer.Event) { released++ }
	msg := runWithTimeout(t, waitEvents(ch, release)).(eventsMsg)
	if len(msg.events) != maxBatch || msg.closed {
		t.Fatalf("first batch: %d events, closed %v", len(msg.events), msg.closed)
	}
	if released != maxBatch-1 {
		t.Errorf("%d batches handed back, want the %d merged into the first", released, maxBatch-1)
	}
	close(ch)
	msg = runWithTimeout(t, waitEvents(ch, release)).(eventsMsg)
	if len(msg.events) != 10 || !msg.closed || msg.events[9].ConnID != maxBatch+9 {
		t.Fatalf("second batch: %d events, closed %v", len(msg.events), msg.closed)
	}
}

func TestNodeStoppingQuits(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	if _, cmd := m.Update(eventsMsg{closed: true}); !isQuit(cmd) {
		t.Error("the end of the node's events does not quit")
	}
}

func TestMouse(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	f := m.frame()
	m.Update(tea.MouseClickMsg{X: 5, Y: f.conns.y + 3, Button: tea.MouseLeft}) // second row
	if m.focus != paneConns || m.conns.cursor != 2 || !m.conns.selected[2] {
		t.Fatalf("click on a connection: focus %d cursor %d selected %v", m.focus, m.conns.cursor, m.conns.selected)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: f.conns.y + 3, Button: tea.MouseLeft}) // again: unselect
	if m.conns.selected[2] {
		t.Fatalf("a second click did not unselect: %v", m.conns.selected)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: f.addrs.y + 4, Button: tea.MouseLeft})
	if m.focus != paneAddrs || m.addrs.cursor != "10.0.0.9:8088" {
		t.Fatalf("click on an address: focus %d cursor %q", m.focus, m.addrs.cursor)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: f.log.y + 2, Button: tea.MouseLeft})
	if m.focus != paneLog || m.log.follow || m.log.cursor != 1 {
		t.Fatalf("click on a log line: focus %d follow %v cursor %d", m.focus, m.log.follow, m.log.cursor)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: f.cmd.y, Button: tea.MouseLeft})
	if m.focus != paneCmd {
		t.Fatalf("click on the command line: focus %d", m.focus)
	}
	m.log.end()
	m.Update(tea.MouseWheelMsg{X: 5, Y: f.log.y + 3, Button: tea.MouseWheelUp})
	if last, _ := m.log.ring.last(); m.log.follow || m.log.cursor != last-wheelStep {
		t.Fatalf("wheel up in the log: follow %v cursor %d", m.log.follow, m.log.cursor)
	}
}

func TestPasteIsSanitized(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	m.Update(tea.PasteMsg{Content: "ping|1\x1b[2J\u202eX\tY"})
	if got := m.cmd.value(); got != "ping|1[2JX Y" {
		t.Errorf("pasted text became %q", got)
	}
}

// releasingNode is a fake node that takes batches of events back.
type releasingNode struct {
	*fakeNode
	released [][]peer.Event
}

func (r *releasingNode) ReleaseEvents(batch []peer.Event) { r.released = append(r.released, batch) }

// TestAppliedBatchesAreHandedBack: once the log has its copies, the batch
// goes back to the node to carry later events; reusing it changes nothing
// in the log.
func TestAppliedBatchesAreHandedBack(t *testing.T) {
	node := &releasingNode{fakeNode: newFake()}
	m := New(node, Options{Dialect: bitclone.Dialect, LogLines: 1000, Listen: "127.0.0.1:8081"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	batch := []peer.Event{
		{At: t0, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:8082", Command: "ping", Text: "ping|1", Raw: []byte("ping|1\r\n")},
		{At: t0, Kind: peer.KindSend, ConnID: 1, Peer: "127.0.0.1:8082", Command: "pong", Text: "pong|1", Raw: []byte("pong|1\r\n")},
	}
	m.Update(eventsMsg{events: batch})
	if len(node.released) != 1 || &node.released[0][0] != &batch[0] {
		t.Fatalf("%d batches handed back, want the one applied", len(node.released))
	}
	for i := range batch { // the node reuses it
		batch[i] = peer.Event{At: t0, Kind: peer.KindRecv, Text: "reused"}
	}
	view := m.View().Content
	if !strings.Contains(view, "ping|1") || !strings.Contains(view, "pong|1") || strings.Contains(view, "reused") {
		t.Errorf("the log changed with the reused batch:\n%s", view)
	}
}
