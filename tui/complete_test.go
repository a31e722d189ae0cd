package tui

import (
	"strconv"
	"strings"
	"testing"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// tab types text, presses Tab n times and returns the command line.
func tab(m *Model, text string, n int) string {
	m.cmd.clear()
	typeText(m, text)
	for range n {
		press(m, "tab")
	}
	return m.cmd.value()
}

func TestCompleteColonCommands(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	cases := []struct {
		text string
		tabs int
		want string
	}{
		{":co", 1, ":connect "},
		{":s", 1, ":save"},
		{":", 1, ":connect "}, // all eight: the first, then Tab cycles
		{":", 2, ":drop "},
		{":", 9, ":connect "},
		{":connect ", 1, ":connect 1"},             // what the candidates share, as a shell does
		{":connect ", 2, ":connect 10.0.0.9:8088"}, // not connected, not banned, best first
		{":connect ", 3, ":connect 192.0.2.44:8088"},
		{":connect 19", 1, ":connect 192.0.2.44:8088"},
		{":drop 127.0.0.1:5", 1, ":drop 127.0.0.1:53210"},
		{":drop 127.0.0.1:80", 1, ":drop 127.0.0.1:808"}, // common prefix of 8082 and 8083
		{":fo", 1, ":forget "},
		{":forget 10", 1, ":forget 10.0.0.9:8088"}, // any address in the book
		{"@127.0.0.1:53", 1, "@127.0.0.1:53210 "},
		{":nothing", 1, ":nothing"},
	}
	for _, c := range cases {
		if got := tab(m, c.text, c.tabs); got != c.want {
			t.Errorf("%q + %d tab: %q, want %q", c.text, c.tabs, got, c.want)
		}
	}
}

// Completing a message name fills in a whole valid message.
func TestCompleteMessageTemplates(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	prefixes := map[string]string{"version": "versi", "verack": "vera", "getaddr": "g", "addr": "a",
		"ping": "pi", "pong": "pong", "reject": "r", "message": "m"}
	for _, name := range wire.Commands {
		got := tab(m, prefixes[name], 1)
		msg, err := wire.Parse([]byte(got))
		if err != nil {
			t.Errorf("%s completes to %q, which does not parse: %v", name, got, err)
			continue
		}
		if msg.Command() != name {
			t.Errorf("%s completes to a %s", name, msg.Command())
		}
	}

	ping := tab(m, "pi", 1)
	nonce, err := strconv.ParseUint(strings.TrimPrefix(ping, "ping|"), 10, 64)
	if !strings.HasPrefix(ping, "ping|") || err != nil || nonce == 0 {
		t.Errorf("pi completes to %q", ping)
	}
	if again := tab(m, "pi", 1); again == ping {
		t.Errorf("two ping templates share the nonce %q", ping)
	}

	// version: the time, the recipient as the connection it goes to, our
	// address as that peer reaches us, our agent and a fresh nonce.
	v, err := wire.Parse([]byte(tab(m, "ver", 1)))
	if err != nil {
		t.Fatal(err)
	}
	ver := v.(wire.Version)
	if ver.Time != t0.Unix() || ver.Recipient.String() != "127.0.0.1:8082" || ver.Sender.String() != "127.0.0.1:8081" ||
		ver.UserAgent != "carol" || ver.Nonce != 77 || ver.Version != 3 || ver.Services != 1 {
		t.Errorf("version template %+v: want our agent and nonce from the snapshot", ver)
	}
	v, _ = wire.Parse([]byte(strings.TrimPrefix(tab(m, "@127.0.0.1:8083 vers", 1), "@127.0.0.1:8083 ")))
	if ver := v.(wire.Version); ver.Recipient.String() != "127.0.0.1:53210" {
		t.Errorf("version to @127.0.0.1:8083 has recipient %s, want the connection's remote address", ver.Recipient)
	}
	m.snap.Conns[0].Remote = "192.0.2.7:8082" // a peer elsewhere sees our external address
	m.conns.update(m.snap.Conns)
	v, _ = wire.Parse([]byte(tab(m, "versi", 1)))
	if ver := v.(wire.Version); ver.Sender.String() != "203.0.113.7:8081" {
		t.Errorf("version to a remote peer has sender %s", ver.Sender)
	}

	// With the connection's own local address known, that is our IP in it.
	m.snap.Conns[0].Local = "198.51.100.2:40000"
	m.conns.update(m.snap.Conns)
	v, _ = wire.Parse([]byte(tab(m, "versi", 1)))
	if ver := v.(wire.Version); ver.Sender.String() != "198.51.100.2:8081" {
		t.Errorf("version sender %s, want our IP on the connection and our listening port", ver.Sender)
	}
	// verack echoes the nonce of that peer's version.
	m.snap.Conns[0].RemoteNonce = 4242
	m.conns.update(m.snap.Conns)
	if got := tab(m, "vera", 1); got != "verack|4242" {
		t.Errorf("verack template %q, want the peer's version nonce", got)
	}

	// "p" is ping or pong: Tab puts in one, the next Tab the other.
	first, second := tab(m, "p", 1), tab(m, "p", 2)
	if !strings.HasPrefix(first, "ping|") || !strings.HasPrefix(second, "pong|") {
		t.Errorf("p cycles %q then %q", first, second)
	}
	if !strings.Contains(m.hint.text, "2 of 2 completions") {
		t.Errorf("hint while cycling: %q", m.hint.text)
	}
	if got := tab(m, "ping|1", 1); got != "ping|1" {
		t.Errorf("a line with fields was completed to %q", got)
	}
}
