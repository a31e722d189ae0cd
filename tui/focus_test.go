package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// paneKeys are the keys that give each pane the keyboard from the start.
var paneKeys = map[string][]string{
	"connections":  {"esc"},
	"address book": {"esc", "tab"},
	"log":          {"esc", "tab", "tab"},
}

// A line typed while a pane has focus goes, whole, to the command line:
// no letter of it sets off a pane's action (g jumped, l filtered the log,
// d dropped), and Enter sends exactly that line and nothing else.
func TestTypingInAPaneTypesOnTheCommandLine(t *testing.T) {
	lines := []string{
		"@127.0.0.1:8082 message|100|hello|class", "message|100|hello|class", "getaddr",
		"addr|1|1795296960|127.0.0.1:8082", "ping|42", "pong|42", "verack|7", "reject|400|bad|why",
		"version|3|1|1795296960|127.0.0.1:8082|127.0.0.1:8081|7|carol|0",
	}
	for name, keys := range paneKeys {
		for _, line := range lines {
			m, node := newTestModel(t, 80, 24)
			press(m, keys...)
			focus, follow := m.focus, m.log.follow
			typeText(m, line)
			if m.focus != paneCmd || m.cmd.value() != line {
				t.Errorf("%s: typing %q left focus %d (from %d) and the line %q", name, line, m.focus, focus, m.cmd.value())
				continue
			}
			press(m, "enter")
			c, err := peer.ParseCommand(line)
			if err != nil {
				t.Fatal(err)
			}
			if got := node.commands(); !slices.EqualFunc(got, []peer.Command{c}, sameCommand) {
				t.Errorf("%s: %q made the Do calls %+v, want only %+v", name, line, got, c)
			}
			if len(m.conns.selected) != 0 || m.overlay != overlayNone || m.log.filter.active() || m.log.follow != follow {
				t.Errorf("%s: %q changed a pane: selected %v overlay %d filter %q follow %v",
					name, line, m.conns.selected, m.overlay, m.log.filter.src, m.log.follow)
			}
		}
	}
}

// The README's walkthrough, key by key: Esc, down, Space selects the
// second connection and gives the keyboard back, so the message typed
// next goes to that peer alone.
func TestWalkthroughSelectsThenTypes(t *testing.T) {
	m, node := newTestModel(t, 120, 40)
	press(m, "esc", "down", "space")
	if m.focus != paneCmd {
		t.Fatalf("space left the keyboard on pane %d", m.focus)
	}
	if !strings.Contains(screen(m), "raw lines go to 127.0.0.1:53210") {
		t.Errorf("the hint does not say where lines go now:\n%s", screen(m))
	}
	typeText(m, "message|100|hello|class")
	press(m, "enter")
	want := []peer.Command{{Op: peer.OpSend, Targets: []string{"127.0.0.1:53210"}, Line: "message|100|hello|class"}}
	if got := node.commands(); !slices.EqualFunc(got, want, sameCommand) {
		t.Fatalf("Do calls %+v, want %+v", got, want)
	}
}

// c in the address book asks, as d does: :connect ADDR waits for Enter.
func TestConnectAsks(t *testing.T) {
	m, node := newTestModel(t, 120, 40)
	press(m, "esc", "tab", "down", "down", "c")
	if got := node.commands(); len(got) != 0 {
		t.Fatalf("c connected at once: %+v", got)
	}
	if m.focus != paneCmd || m.cmd.value() != ":connect 10.0.0.9:8088" {
		t.Fatalf("c: focus %d, line %q", m.focus, m.cmd.value())
	}
	press(m, "enter")
	want := []peer.Command{{Op: peer.OpConnect, Targets: []string{"10.0.0.9:8088"}}}
	if got := node.commands(); !slices.EqualFunc(got, want, sameCommand) {
		t.Fatalf("c, enter: Do calls %+v, want %+v", got, want)
	}
}

// An edited proposal is the user's line: Esc keeps it.
func TestEscKeepsAnEditedProposal(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	press(m, "esc", "d", "backspace")
	press(m, "esc")
	if m.focus != paneConns || m.cmd.value() != ":drop 127.0.0.1:808" {
		t.Fatalf("esc after editing: focus %d, line %q", m.focus, m.cmd.value())
	}
}

// :peers and :addrs list their tables into the log, as in headless mode,
// and the keyboard stays on the command line.
func TestPeersAndAddrsListIntoTheLog(t *testing.T) {
	m, node := newTestModel(t, 120, 40)
	press(m, "esc", "space") // the listing marks the selection
	for _, c := range []struct {
		cmd  string
		want []string
	}{
		{":peers", []string{
			"connections: 1 in + 1 out established, target 5",
			"  DIR ADDRESS         LISTEN         AGENT       STATE         AGE PING ms RECV MSGS i/o BYTES i/o",
			"● out 127.0.0.1:8082                 alice       established 1m02s 0.3/0.2   2s    14/15  1.2K/987",
			"  in  127.0.0.1:53210 127.0.0.1:8083 bob\\x1b[31m established 3m00s   45/12  30s  120/118   51K/47K",
		}},
		{":addrs", []string{
			"address book: 5 addresses",
			"  ADDRESS           LAST ACTIVE STATUS SOURCE                     CONN",
			"  198.51.100.3:9000     50s ago banned gossip via 127.0.0.1:53210",
		}},
	} {
		typeText(m, c.cmd)
		press(m, "enter")
		if m.focus != paneCmd || m.overlay != overlayNone {
			t.Errorf("%s: focus %d overlay %d, want the command line", c.cmd, m.focus, m.overlay)
		}
		var texts []string
		for seq := m.log.ring.first(); seq < m.log.ring.next; seq++ {
			texts = append(texts, m.log.ring.get(seq).text)
		}
		for _, w := range c.want {
			if !slices.Contains(texts, w) {
				t.Errorf("%s: the log lacks the line %q:\n%s", c.cmd, w, strings.Join(texts, "\n"))
			}
		}
	}
	if got := node.commands(); len(got) != 0 {
		t.Errorf("listing called the node: %+v", got)
	}
}

// Typing in a pane is safe only while no pane binds a character a line
// can begin with: the first letter of a message, @ or :. A new
// single-letter binding that breaks this fails here.
func TestNoPaneKeyBeginsALine(t *testing.T) {
	k := newKeyMap()
	starts := map[string]bool{"@": true}
	for _, name := range bitclone.Dialect.Messages {
		starts[name[:1]] = true
	}
	for _, g := range k.groups() {
		if g.title == "Command line" {
			continue
		}
		for _, b := range g.keys {
			for _, key := range b.Keys() {
				if starts[key] {
					t.Errorf("%s: key %q, bound to %q, begins a line", g.title, key, b.Help().Desc)
				}
			}
		}
	}
}

// The ? screen explains the typing rules the footer can only hint at.
func TestHelpScreenExplainsTypingInAPane(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	press(m, "esc", "?", "pgdown", "pgdown", "pgdown")
	s := screen(m)
	for _, want := range []string{"a key the pane does not use starts a line on the command line", "d and c ask", "enter confirms, esc cancels"} {
		if !strings.Contains(s, want) {
			t.Errorf("the help screen lacks %q:\n%s", want, s)
		}
	}
}
