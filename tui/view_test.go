package tui

import (
	"fmt"
	"image/color"
	"regexp"
	"strings"
	"testing"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/bitclone/bitclone/peer"
)

// Golden views of the sample session (go test -update rewrites them).
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"80x24", 80, 24, nil},
		{"120x40", 120, 40, nil},
		{"80x24-conns-selected", 80, 24, []string{"esc", "down", "space"}},
		{"120x40-detail", 120, 40, []string{"esc", "enter"}},
		{"120x40-help", 120, 40, []string{"esc", "?"}},
		{"120x40-raw", 120, 40, []string{"esc", "tab", "tab", "up", "up", "up", "up", "up", "up", "up", "up", "x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := newTestModel(t, c.w, c.h)
			press(m, c.keys...)
			golden.RequireEqual(t, screen(m))
		})
	}
}

// hostileSnapshot is the sample network with every peer-chosen string
// made hostile: escape sequences (clear screen, set the title, move the
// cursor), bidi overrides, line breaks, invalid UTF-8, wide characters.
func hostileSnapshot() peer.Snapshot {
	s := sampleSnapshot()
	evil := "\x1b]0;pwned\x07\x1b[2J\x1b[H\u202eevil\r\nline\xff学生🔥"
	for i := range s.Conns {
		s.Conns[i].UserAgent = evil + strings.Repeat("x", 300)
		s.Conns[i].LastReject = [2]string{"reject|400|" + evil, evil}
		s.Conns[i].In = map[string]peer.Counter{evil: {Msgs: 1, Bytes: 2}}
	}
	s.Conns[0].Remote = "[2001:db8::1]:8082"
	s.External = evil
	s.Addrs[2].From = evil
	s.Addrs[3].Source = evil
	return s
}

func hostileEvents() eventsMsg {
	evil := "\x1b]0;pwned\x07\x1b[2J\x1b[H\u202eevil\r\nline\xff学生🔥\x9b31m"
	return eventsMsg{events: []peer.Event{
		{At: t0, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:8082", Command: "?", Text: evil},
		{At: t0, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:8082", Command: "message", Text: "message|100|" + strings.Repeat(evil, 5000)},
		{At: t0, Kind: peer.KindClosed, ConnID: 1, Peer: evil, Text: "closed: " + evil},
		{At: t0, Kind: peer.KindWarn, Text: evil},
	}}
}

// sgr matches the only escape sequences the TUI itself writes: colours and
// attributes.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// checkFrame fails unless content is exactly w×h at most, and holds no
// control character or escape sequence but SGR.
func checkFrame(t *testing.T, what string, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", what, len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%s: line %d is %d wide, window %d: %q", what, i, n, w, l)
		}
		for _, r := range sgr.ReplaceAllString(l, "") {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8RuneError || r == '\u2028' || r == '\u2029' {
				t.Fatalf("%s: line %d holds %U: %q", what, i, r, l)
			}
		}
	}
}

const utf8RuneError = '\uFFFD'

// Nothing a peer sends changes the terminal or breaks the layout, whatever
// the window size, pane or screen.
func TestUntrustedTextCannotEscape(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}, {200, 60}, {79, 23}, {40, 12}, {30, 8}, {29, 7}, {10, 3}, {1, 1}}
	states := map[string][]string{
		"start": nil, "conns": {"esc"}, "addrs": {"esc", "tab"}, "log-raw": {"esc", "tab", "tab", "up", "x"},
		"log-huge-raw": {"esc", "tab", "tab", "up", "up", "up", "x"}, "detail": {"esc", "enter"}, "help": {"esc", "?"},
		"filter": {"esc", "tab", "tab", "/", "e"},
	}
	for _, size := range sizes {
		for name, keys := range states {
			m, _ := newTestModel(t, size[0], size[1])
			m.Update(snapshotMsg{hostileSnapshot()})
			m.Update(hostileEvents())
			press(m, keys...)
			what := fmt.Sprintf("%s at %dx%d", name, size[0], size[1])
			v := m.View()
			checkFrame(t, what, v.Content, size[0], size[1])
			if strings.Contains(v.WindowTitle, "\x1b") || strings.Contains(v.WindowTitle, "\x07") {
				t.Errorf("%s: window title %q", what, v.WindowTitle)
			}
		}
	}
}

// Colour is never the only signal: without colour (NO_COLOR) the focused
// pane, the selection and the hint's verdict still show.
func TestMeaningWithoutColour(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	press(m, "esc", "space", "esc")
	s := screen(m)
	for _, want := range []string{"▸ Connections", "● out 127.0.0.1:8082"} {
		if !strings.Contains(s, want) {
			t.Errorf("plain screen lacks %q:\n%s", want, s)
		}
	}
	typeText(m, "ping|x")
	if !strings.Contains(screen(m), "✗ ping: nonce: not a number") {
		t.Errorf("plain screen lacks the ✗ verdict:\n%s", screen(m))
	}
}

// Commands are coloured by kind: rejects and errors stand out in bold red.
func TestLogColours(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	content := m.View().Content
	for _, line := range strings.Split(content, "\n") {
		plain := ansi.Strip(line)
		switch {
		case strings.Contains(plain, "> 127.0.0.1:53210 reject|400"):
			if !strings.Contains(line, m.st.reject.pre+"reject|400") {
				t.Errorf("reject line not in the reject style: %q", line)
			}
		case strings.Contains(plain, "error: dial"):
			if !strings.Contains(line, m.st.err.pre+"error: dial") {
				t.Errorf("error line not in the error style: %q", line)
			}
		case strings.Contains(plain, "< 127.0.0.1:8082  pong|42"):
			if !strings.Contains(line, m.st.chatter.pre+"pong|42") {
				t.Errorf("pong line not dim: %q", line)
			}
		}
	}
	if m.st.reject.pre == m.st.chatter.pre || m.st.reject.pre == "" {
		t.Error("reject and ping/pong styles are not distinct")
	}
}

// The colours follow the terminal's background, which the program asks
// for at start.
func TestLightAndDarkBackgrounds(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	dark := m.st.reject.pre
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	if m.st.reject.pre == dark || m.st.reject.pre == "" {
		t.Errorf("a light background left the reject colour %q", m.st.reject.pre)
	}
	if !strings.Contains(m.View().Content, m.st.reject.pre+"reject|400") {
		t.Error("the frame is not drawn with the light styles")
	}
	m.Update(tea.BackgroundColorMsg{Color: color.Black})
	if m.st.reject.pre != dark {
		t.Error("a dark background did not bring the dark colours back")
	}
}

func TestWidthHelpersAgreeWithAnsi(t *testing.T) {
	for _, s := range []string{"plain", "─│▸●…·×›✓✗↑↓", "学生🔥", "e\u0301", "mix 学 ─", "\x1b[1mbold\x1b[m ─"} {
		if got, want := lineWidth(s), ansi.StringWidth(s); got != want {
			t.Errorf("lineWidth(%q) = %d, ansi says %d", s, got, want)
		}
	}
	for _, c := range []struct {
		s    string
		w    int
		want string
	}{{"hello", 5, "hello"}, {"hello", 4, "hel…"}, {"hello", 0, ""}, {"学生学生", 5, "学生…"}} {
		if got := trunc(c.s, c.w); got != c.want {
			t.Errorf("trunc(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

func TestStatusBarShowsSuppressedEvents(t *testing.T) {
	for _, w := range []int{200, 110, 80} {
		m, _ := newTestModel(t, w, 24)
		m.snap.Dropped, m.snap.Suppressed = 77, 1200
		if got := m.statusLine(w); !strings.Contains(got, "77 ") || !strings.Contains(got, "1200 sup") {
			t.Errorf("width %d: status bar %q, want the dropped and the suppressed counts", w, got)
		}
	}
}
