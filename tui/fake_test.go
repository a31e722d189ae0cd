package tui

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// t0 is the fixed "now" of every test.
var t0 = time.Date(2026, 11, 21, 21, 30, 0, 0, time.UTC)

// fakeNode is a peer.Node with a channel of events, a record of Do calls
// and a snapshot the test sets.
type fakeNode struct {
	events chan []peer.Event
	did    chan peer.Command // every Do call
	doErr  error
	// validate replaces the BitClone judgement (for another dialect).
	validate func(line string) peer.Verdict

	mu   sync.Mutex
	snap peer.Snapshot
}

func newFake() *fakeNode {
	return &fakeNode{events: make(chan []peer.Event, 4096), did: make(chan peer.Command, 256)}
}

func (f *fakeNode) Events() <-chan []peer.Event { return f.events }

func (f *fakeNode) Do(c peer.Command) error {
	f.did <- c
	return f.doErr
}

func (f *fakeNode) Snapshot() peer.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeNode) setSnapshot(s peer.Snapshot) {
	f.mu.Lock()
	f.snap = s
	f.mu.Unlock()
}

// Validate judges as the BitClone node does, unless the test says otherwise.
func (f *fakeNode) Validate(line string) peer.Verdict {
	if f.validate != nil {
		return f.validate(line)
	}
	return bitclone.Validate(line)
}

// commands returns the Do calls made so far.
func (f *fakeNode) commands() []peer.Command {
	var out []peer.Command
	for {
		select {
		case c := <-f.did:
			out = append(out, c)
		default:
			return out
		}
	}
}

// sampleSnapshot is a small network: two established peers, one still
// handshaking, and an address book with every status.
func sampleSnapshot() peer.Snapshot {
	return peer.Snapshot{
		At: t0, Listen: "127.0.0.1:8081", External: "203.0.113.7:8081", Target: 5, Agent: "carol", Nonce: 77,
		Inbound: 1, Outbound: 1, Dropped: 0, PeersFile: "/tmp/peers",
		Conns: []peer.ConnInfo{
			{
				ID: 1, Remote: "127.0.0.1:8082", Listen: "127.0.0.1:8082", Dir: peer.Outbound, State: peer.StateEstablished,
				UserAgent: "alice", Version: 3, Connected: t0.Add(-62 * time.Second), LastSend: t0.Add(-time.Second),
				LastRecv: t0.Add(-2 * time.Second), PingLast: 310 * time.Microsecond, PingMin: 200 * time.Microsecond,
				MsgsIn: 14, MsgsOut: 15, BytesIn: 1234, BytesOut: 987,
				In:         map[string]peer.Counter{"version": {Msgs: 1, Bytes: 90}, "ping": {Msgs: 3, Bytes: 60}, "reject": {Msgs: 1, Bytes: 40}, "?": {Msgs: 1, Bytes: 12}},
				Out:        map[string]peer.Counter{"version": {Msgs: 1, Bytes: 92}, "pong": {Msgs: 3, Bytes: 60}},
				LastReject: [2]string{"reject|400|bad message|ping: nonce: not a number", ""},
			},
			{
				ID: 2, Remote: "127.0.0.1:53210", Listen: "127.0.0.1:8083", Dir: peer.Inbound, State: peer.StateEstablished,
				UserAgent: "bob\x1b[31m", Version: 3, Connected: t0.Add(-3 * time.Minute), LastRecv: t0.Add(-30 * time.Second),
				PingLast: 45 * time.Millisecond, PingMin: 12 * time.Millisecond, MsgsIn: 120, MsgsOut: 118, BytesIn: 52000, BytesOut: 48100,
			},
			{
				ID: 3, Remote: "10.0.0.9:8088", Listen: "10.0.0.9:8088", Dir: peer.Outbound, State: peer.StateHandshake,
				Connected: t0.Add(-4 * time.Second), PingWait: true,
			},
		},
		Addrs: []peer.AddrInfo{
			{Addr: "127.0.0.1:8082", LastActive: t0.Add(-2 * time.Second), Live: true, Connected: true, Source: "cli"},
			{Addr: "127.0.0.1:8083", LastActive: t0.Add(-30 * time.Second), Live: true, Connected: true, Source: "inbound"},
			{Addr: "10.0.0.9:8088", LastActive: t0.Add(-40 * time.Second), Live: true, Source: "gossip", From: "127.0.0.1:8082"},
			{Addr: "192.0.2.44:8088", LastActive: t0.Add(-2 * time.Hour), Source: "file"},
			{Addr: "198.51.100.3:9000", LastActive: t0.Add(-50 * time.Second), Live: true, Banned: true, Source: "gossip", From: "127.0.0.1:53210"},
		},
	}
}

// sampleEvents is a session's worth of log: handshake, gossip, pings, a
// reject, a message, and a peer sending escape sequences, invalid UTF-8
// and an enormous line.
func sampleEvents() []peer.Event {
	at := func(s int) time.Time { return t0.Add(time.Duration(s-40) * time.Second) }
	// Messages carry their wire bytes, CRLF-ended unless a test changes it.
	e := func(s int, k peer.Kind, id uint64, p, cmd, text string) peer.Event {
		ev := peer.Event{At: at(s), Kind: k, ConnID: id, Peer: p, Command: cmd, Text: text}
		if k == peer.KindRecv || k == peer.KindSend {
			raw := text + "\r\n"
			ev.Raw, ev.Size = []byte(raw[:min(len(raw), peer.MaxEventRaw)]), len(raw)
		}
		return ev
	}
	bareLF := func(ev peer.Event) peer.Event {
		ev.Raw = append(ev.Raw[:len(ev.Raw)-2], '\n')
		ev.Size--
		return ev
	}
	a, b := "127.0.0.1:8082", "127.0.0.1:53210"
	conn := func(s int, k peer.Kind, id uint64, p string, d peer.Direction, text string) peer.Event {
		ev := e(s, k, id, p, "", text)
		ev.Dir = d
		return ev
	}
	return []peer.Event{
		e(0, peer.KindInfo, 0, "", "", `listening on 127.0.0.1:8081 as "carol", nonce 7`),
		conn(1, peer.KindConnected, 1, a, peer.Outbound, ""),
		e(1, peer.KindSend, 1, a, "version", "version|3|1|1795296960|127.0.0.1:8082|127.0.0.1:8081|7|carol|0"),
		e(1, peer.KindRecv, 1, a, "verack", "verack|7"),
		e(1, peer.KindRecv, 1, a, "version", "version|3|1|1795296960|127.0.0.1:42106|127.0.0.1:8082|99|alice|0"),
		conn(1, peer.KindEstablished, 1, a, peer.Outbound, `agent "alice" version 3, listening on 127.0.0.1:8082`),
		e(1, peer.KindSend, 1, a, "verack", "verack|99"),
		e(1, peer.KindSend, 1, a, "getaddr", "getaddr"),
		e(2, peer.KindRecv, 1, a, "addr", "addr|2|1795296960|127.0.0.1:8082|1795296960|10.0.0.9:8088"),
		e(2, peer.KindLearned, 1, a, "", "10.0.0.9:8088"),
		conn(3, peer.KindConnected, 2, b, peer.Inbound, ""),
		e(5, peer.KindRecv, 2, b, "?", "\x1b[2J\x1b[31mEVIL\x07 \xff\xfe bytes\r"),
		e(5, peer.KindSend, 2, b, "reject", `reject|400|unknown command|unknown command "\x1b[2J\x1b[31mEVIL\x07 \xff\xfe bytes"`),
		bareLF(e(6, peer.KindRecv, 2, b, "message", "message|100|hello|from bob")),
		e(7, peer.KindWarn, 2, b, "", "pong nonce 5 matches no outstanding ping"),
		e(8, peer.KindRecv, 1, a, "?", strings.Repeat("A", 200000)),
		e(9, peer.KindError, 0, "", "", "dial 10.0.0.10:8088: connection refused"),
		e(10, peer.KindSend, 1, a, "ping", "ping|42"),
		e(10, peer.KindRecv, 1, a, "pong", "pong|42"),
		conn(11, peer.KindClosed, 4, "10.0.0.10:8088", peer.Outbound, "closed: handshake timeout"),
	}
}

// newTestModel is a model over a fake node with a fixed clock, time zone
// and random source, sized w×h, with the sample snapshot and events.
func newTestModel(t testing.TB, w, h int) (*Model, *fakeNode) {
	t.Helper()
	node := newFake()
	m := New(node, Options{Dialect: bitclone.Dialect, LogLines: 1000, Listen: "127.0.0.1:8081"})
	m.now = func() time.Time { return t0 }
	m.loc = time.UTC
	m.rng = rand.New(rand.NewPCG(1, 2))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg{sampleSnapshot()})
	m.Update(eventsMsg{events: sampleEvents()})
	return m, node
}

// press sends keys to the model: single characters are typed, longer
// names ("enter", "esc", "tab", "up", "shift+tab", "ctrl+c") are special keys.
func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

// typeText types s one character at a time.
func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

var specialKeys = map[string]tea.Key{
	"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown},
	"pgup": {Code: tea.KeyPgUp}, "pgdown": {Code: tea.KeyPgDown}, "home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd},
	"space": {Code: tea.KeySpace, Text: " "}, "backspace": {Code: tea.KeyBackspace},
	"ctrl+c": {Code: 'c', Mod: tea.ModCtrl}, "left": {Code: tea.KeyLeft},
}

func keyMsg(k string) tea.KeyPressMsg {
	if sk, ok := specialKeys[k]; ok {
		return tea.KeyPressMsg(sk)
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// screen is the model's view as plain text.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }
