package headless

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bitclone/bitclone/peer"
)

const remote = "127.0.0.1:8089"

// transcript is one event of every kind, as a node would publish them.
var transcript = []peer.Event{
	{At: t0, Kind: peer.KindInfo, Text: "listening on 0.0.0.0:8088"},
	{At: t0, Kind: peer.KindConnected, ConnID: 7, Peer: remote, Dir: peer.Outbound, Text: ""},
	{At: t0, Kind: peer.KindSend, ConnID: 7, Peer: remote, Dir: peer.Outbound, Command: "version",
		Text: "version|3|1|1507490964|127.0.0.1:8089|127.0.0.1:8088|8192|houser|0"},
	{At: t0.Add(2 * time.Millisecond), Kind: peer.KindRecv, ConnID: 7, Peer: remote, Dir: peer.Outbound, Command: "verack", Text: "verack|8192"},
	{At: t0.Add(2 * time.Millisecond), Kind: peer.KindEstablished, ConnID: 7, Peer: remote, Dir: peer.Outbound},
	{At: t0.Add(3 * time.Millisecond), Kind: peer.KindLearned, ConnID: 7, Peer: remote, Text: "10.0.0.7:8088"},
	{At: t0.Add(3 * time.Millisecond), Kind: peer.KindLearned, ConnID: 7, Peer: remote, Text: "10.0.0.8:8088"},
	{At: t0.Add(4 * time.Millisecond), Kind: peer.KindWarn, ConnID: 7, Peer: remote, Text: "verack nonce 9000 matches nothing"},
	{At: t0.Add(5 * time.Millisecond), Kind: peer.KindError, Text: "dial 10.0.0.7:8088: connection refused"},
	{At: t0.Add(4 * time.Second), Kind: peer.KindClosed, ConnID: 7, Peer: remote, Dir: peer.Outbound, Text: "timeout"},
	{At: t0.Add(5 * time.Second), Kind: peer.KindClosed, ConnID: 8, Peer: "[::1]:50123", Dir: peer.Inbound, Text: "self"},
}

func TestTextTranscript(t *testing.T) {
	got := printEvents(t, fixedOpts(false), transcript...)
	want := `21:30:01.123 * - listening on 0.0.0.0:8088
21:30:01.123 * 127.0.0.1:8089 connected (out)
21:30:01.123 > 127.0.0.1:8089 version|3|1|1507490964|127.0.0.1:8089|127.0.0.1:8088|8192|houser|0
21:30:01.125 < 127.0.0.1:8089 verack|8192
21:30:01.125 * 127.0.0.1:8089 established (out)
21:30:01.126 * 127.0.0.1:8089 learned 10.0.0.7:8088
21:30:01.126 * 127.0.0.1:8089 learned 10.0.0.8:8088
21:30:01.127 ! 127.0.0.1:8089 warning: verack nonce 9000 matches nothing
21:30:01.128 ! - error: dial 10.0.0.7:8088: connection refused
21:30:05.123 * 127.0.0.1:8089 closed (out): timeout
21:30:06.123 * [::1]:50123 closed (in): self
`
	if got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestJSONTranscript(t *testing.T) {
	got := printEvents(t, fixedOpts(true), transcript[:5]...)
	want := `{"time":"2026-11-21T21:30:01.123Z","kind":"info","text":"listening on 0.0.0.0:8088"}
{"time":"2026-11-21T21:30:01.123Z","kind":"connected","peer":"127.0.0.1:8089","conn":7,"dir":"out"}
{"time":"2026-11-21T21:30:01.123Z","kind":"send","peer":"127.0.0.1:8089","conn":7,"dir":"out","command":"version","text":"version|3|1|1507490964|127.0.0.1:8089|127.0.0.1:8088|8192|houser|0"}
{"time":"2026-11-21T21:30:01.125Z","kind":"recv","peer":"127.0.0.1:8089","conn":7,"dir":"out","command":"verack","text":"verack|8192"}
{"time":"2026-11-21T21:30:01.125Z","kind":"established","peer":"127.0.0.1:8089","conn":7,"dir":"out"}
`
	if got != want {
		t.Errorf("JSON transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestTimesInLocation(t *testing.T) {
	opts := fixedOpts(false)
	opts.Location = time.FixedZone("X", 2*3600)
	got := printEvents(t, opts, transcript[0])
	if !strings.HasPrefix(got, "23:30:01.123 ") {
		t.Errorf("text time not in the given zone: %q", got)
	}
	got = printEvents(t, fixedOpts(true), peer.Event{At: t0.In(opts.Location), Kind: peer.KindInfo, Text: "x"})
	if !strings.Contains(got, `"time":"2026-11-21T21:30:01.123Z"`) {
		t.Errorf("JSON time not UTC: %q", got)
	}
}

// Peer-chosen text must never reach the terminal raw: no escape sequence,
// no line break, no invalid UTF-8.
func TestHostileTextIsEscaped(t *testing.T) {
	hostile := []peer.Event{
		{At: t0, Kind: peer.KindRecv, Peer: remote, Command: "message", Text: "message|100|\x1b[2J\x1b]0;pwned\x07|\xff\xfe\r\nfake"},
		{At: t0, Kind: peer.KindClosed, Peer: "evil\x1b[31m", Dir: peer.Inbound, Text: "\u009b2J"},
		{At: t0, Kind: peer.KindLearned, Peer: remote, Text: "\u202e1.2.3.4:5"},
	}
	text := printEvents(t, fixedOpts(false), hostile...)
	want := `21:30:01.123 < 127.0.0.1:8089 message|100|\x1b[2J\x1b]0;pwned\x07|\xff\xfe\r\nfake
21:30:01.123 * evil\x1b[31m closed (in): \u009b2J
21:30:01.123 * 127.0.0.1:8089 learned \u202e1.2.3.4:5
`
	if text != want {
		t.Errorf("escaped transcript:\n%s\nwant:\n%s", text, want)
	}

	js := printEvents(t, fixedOpts(true), hostile[0])
	if strings.ContainsRune(js, 0x1b) || !utf8.ValidString(js) || strings.Count(js, "\n") != 1 {
		t.Errorf("JSON line not safe: %q", js)
	}
	for _, part := range []string{`\u001b[2J`, `\ufffd\ufffd`, `\r\nfake`} {
		if !strings.Contains(js, part) {
			t.Errorf("JSON line %q lacks %q", js, part)
		}
	}
}

// An event holds the start of a long line; the transcript says how long it was.
func TestCutLineSaysItsSize(t *testing.T) {
	start := "addr|1000|" + strings.Repeat("1795296987|127.0.0.1:8088|", 3)
	cut := peer.Event{At: t0, Kind: peer.KindRecv, ConnID: 7, Peer: remote, Dir: peer.Outbound, Command: "addr",
		Text: start, Raw: []byte(start), Size: 31012}
	text := printEvents(t, fixedOpts(false), cut)
	if want := "21:30:01.123 < 127.0.0.1:8089 " + start + " … (31012 bytes in all)\n"; text != want {
		t.Errorf("text:\n%q\nwant:\n%q", text, want)
	}
	json := printEvents(t, fixedOpts(true), cut)
	if !strings.Contains(json, `"size":31012`) {
		t.Errorf("JSON does not give the size of a cut line: %s", json)
	}
	whole := cut
	whole.Raw, whole.Size = []byte(start+"\r\n"), len(start)+2
	if got := printEvents(t, fixedOpts(true), whole); strings.Contains(got, `"size"`) {
		t.Errorf("JSON gives a size for a whole line: %s", got)
	}
}
