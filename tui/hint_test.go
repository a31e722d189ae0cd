package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
)

// The hint grades a typed line by the spec, in its words: valid, accepted
// only by bitclone's leniency, or invalid.
func TestHintTeachesTheSpec(t *testing.T) {
	m, _ := newTestModel(t, 140, 40)
	for _, c := range []struct {
		text string
		kind hintKind
		want string
	}{
		{"message|100|a|b", hintOK, "valid message · enter sends it to all 2 established peers"},
		{"message|100|a", hintLenient, "off the spec, bitclone accepts it: detail: missing: the spec wants a code, a summary and a detail (message|100|SUMMARY|DETAIL)"},
		{"reject|400|bad", hintLenient, "the spec wants a code, a reason and a detail (reject|400|REASON|DETAIL)"},
		{"addr|1|1700000000|127.0.0.1,8082", hintLenient, "entry 1 address: ip,port: the spec writes ip-address:port"},
		{"message|300|a|b", hintBad, "message: code: out of range 100-199 · enter sends it anyway"},
		{"ping|42 ", hintBad, "line has trailing spaces · ping: nonce: not a number"},
		{"message|100|a|b ", hintOK, "line has trailing spaces · valid message"},
	} {
		m.cmd.set(c.text)
		m.refreshHint()
		if m.hint.kind != c.kind || !strings.Contains(m.hint.text, c.want) {
			t.Errorf("%q: hint %+v, want kind %d containing %q", c.text, m.hint, c.kind, c.want)
		}
	}
	m.cmd.set("message|100|a")
	m.refreshHint()
	if row := strings.Split(screen(m), "\n")[38]; !strings.HasPrefix(row, "~ off the spec, bitclone accepts it") {
		t.Errorf("hint row %q, want the ~ mark", row)
	}
}

// A line that only bitclone's leniency accepts is sent, with a warning
// that says what the spec wants.
func TestLenientLineIsSentWithAWarning(t *testing.T) {
	m, node := newTestModel(t, 140, 40)
	typeText(m, "message|100|a")
	press(m, "enter")
	if got := node.commands(); len(got) != 1 || got[0].Line != "message|100|a" {
		t.Fatalf("Do calls %+v", got)
	}
	if !strings.Contains(screen(m), "warning: off the spec (bitclone accepts it, strict peers may not): detail: missing") {
		t.Errorf("no warning in the log:\n%s", screen(m))
	}
}

// Spaces at the ends of a raw line are sent as typed, with a warning.
func TestSpacesAreSentAsTyped(t *testing.T) {
	m, node := newTestModel(t, 140, 40)
	typeText(m, "message|100|a|b  ")
	press(m, "enter")
	if got := node.commands(); len(got) != 1 || got[0].Line != "message|100|a|b  " {
		t.Fatalf("Do calls %+v, want the line with its two trailing spaces", got)
	}
	if !strings.Contains(screen(m), `warning: line has trailing spaces: "message|100|a|b  "`) {
		t.Errorf("no warning in the log:\n%s", screen(m))
	}
}

// A paste of several lines sends each, in order; a lone CR (what many
// terminals paste) is a break too; the text after the last break stays
// on the command line, before what was after the cursor.
func TestPasteOfSeveralLinesSendsEach(t *testing.T) {
	m, node := newTestModel(t, 140, 40)
	typeText(m, "pingX")
	press(m, "left")
	m.Update(tea.PasteMsg{Content: "|1\r\n@127.0.0.1:8082 ping|2\rmessage|100|a|b \n:bogus\nping|3\nping|"})
	want := []peer.Command{
		{Op: peer.OpSend, Targets: []string{}, Line: "ping|1"},
		{Op: peer.OpSend, Targets: []string{"127.0.0.1:8082"}, Line: "ping|2"},
		{Op: peer.OpSend, Targets: []string{}, Line: "message|100|a|b "},
		{Op: peer.OpSend, Targets: []string{}, Line: "ping|3"},
	}
	got := node.commands()
	if len(got) != len(want) {
		t.Fatalf("Do calls %+v, want %+v", got, want)
	}
	for i := range want {
		if !sameCommand(got[i], want[i]) {
			t.Errorf("command %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if v := m.cmd.value(); v != "ping|X" || m.cmd.edit.pos != len("ping|") {
		t.Errorf("command line %q, cursor %d; want %q with the cursor before X", v, m.cmd.edit.pos, "ping|X")
	}
	s := screen(m)
	if !strings.Contains(s, `error: unknown command ":bogus"`) {
		t.Errorf("the bad pasted line is not reported:\n%s", s)
	}
	if n := len(m.cmd.hist); n < 4 || m.cmd.hist[n-4] != "ping|1" || m.cmd.hist[n-1] != "ping|3" {
		t.Errorf("history %q", m.cmd.hist)
	}
}
