package tui

import (
	"image/color"
	"math"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/bitclone/bitclone/peer"
)

// titleOf is the screen line holding a pane's title.
func titleOf(t *testing.T, m *Model, title string) string {
	t.Helper()
	for _, l := range strings.Split(screen(m), "\n") {
		if strings.Contains(l, title) {
			return l
		}
	}
	t.Fatalf("no %q title on screen:\n%s", title, screen(m))
	return ""
}

// On a small window every pane says how many entries it has and which
// way the hidden ones are.
func TestSmallWindowPanesSayTheyScroll(t *testing.T) {
	m, _ := newTestModel(t, 60, 15)
	for title, want := range map[string]string{
		"Connections": "Connections  3 · ↓ 2 more", "Address book": "Address book  5 · 3 live · ↓ 4 more",
		"Log": "Log  20 lines · ↑ 16 more · following",
	} {
		if l := titleOf(t, m, title); !strings.Contains(l, want) {
			t.Errorf("title %q, want %q", l, want)
		}
	}
	press(m, "esc", "tab", "end") // the address book, scrolled to its end
	if l := titleOf(t, m, "Address book"); !strings.Contains(l, "Address book  5 · 3 live · ↑ 2 more") {
		t.Errorf("scrolled to the end: %q", l)
	}
	press(m, "up", "up", "up")
	if l := titleOf(t, m, "Address book"); !strings.Contains(l, "↑ 1 ↓ 1 more") {
		t.Errorf("scrolled to the middle: %q", l)
	}
	press(m, "tab", "pgup") // the log, paused, then filtered: no counts, still arrows
	if l := titleOf(t, m, "Log"); !strings.Contains(l, "↑ 13 ↓ 3 more") {
		t.Errorf("log paused a page up: %q", l)
	}
	press(m, "/")
	typeText(m, "127.0.0.1:8082")
	if l := titleOf(t, m, "Log"); !strings.Contains(l, "Log  20 lines · ↑ ↓ more") {
		t.Errorf("filtered log: %q", l)
	}
}

// A long address or user agent is cut with … in its column; it does not
// push the other columns off a narrow pane.
func TestLongCellsAreCutBeforeColumnsDrop(t *testing.T) {
	m, _ := newTestModel(t, 60, 15)
	s := sampleSnapshot()
	s.Conns[0].Remote = "[2001:db8:85a3::8a2e:370:7334]:8082"
	s.Conns[0].UserAgent = "a-very-long-user-agent-name/1.2.3"
	m.Update(snapshotMsg{s})
	scr := screen(m)
	for _, want := range []string{"DIR ADDRESS", "AGENT", "STATE", "[2001:db8:85a3::8a2e", "…", "a-very-lo…"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the connections table lacks %q:\n%s", want, scr)
		}
	}
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, b, _ := c.RGBA()
		lin := func(v uint32) float64 {
			x := float64(v) / 0xffff
			if x <= 0.03928 {
				return x / 12.92
			}
			return math.Pow((x+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Text, the dim gray and the footer stay readable on a projector: every
// colour that draws text has WCAG AA contrast against common dark and
// light terminal backgrounds, for the background the terminal reports.
func TestTextColoursHaveContrast(t *testing.T) {
	backgrounds := map[bool][]string{
		true:  {"#000000", "#1e1e1e", "#2e3440", "#002b36"}, // black, VS Code, Nord, Solarized dark
		false: {"#ffffff", "#eeeeee", "#fdf6e3"},            // white, light gray, Solarized light
	}
	for _, dark := range []bool{true, false} {
		m, _ := newTestModel(t, 80, 24)
		bg := color.Color(color.White)
		if dark {
			bg = color.Black
		}
		m.Update(tea.BackgroundColorMsg{Color: bg})
		p := newPalette(dark)
		colours := map[string]color.Color{
			"text": p.text, "dim": p.dim, "blue": p.blue, "green": p.green, "red": p.red,
			"purple": p.purple, "yellow": p.yellow, "cyan": p.cyan, "accent": p.accent,
			"footer key": m.help.Styles.ShortKey.GetForeground(), "footer text": m.help.Styles.ShortDesc.GetForeground(),
			"footer separator": m.help.Styles.ShortSeparator.GetForeground(), "footer …": m.help.Styles.Ellipsis.GetForeground(),
		}
		for st, c := range pieceColours(p) { // the piece map's cells
			colours["piece "+peer.PieceState(st).String()] = c
		}
		for name, c := range colours {
			for _, b := range backgrounds[dark] {
				if r := contrast(c, lipgloss.Color(b)); r < minContrast {
					t.Errorf("dark %v: %s on %s has contrast %.2f, want %.1f", dark, name, b, r, minContrast)
				}
			}
		}
	}
}

// A narrow footer still shows how to see every key.
func TestNarrowFooterKeepsTheHelpKey(t *testing.T) {
	for name, keys := range paneKeys {
		m, _ := newTestModel(t, 60, 15)
		press(m, keys...)
		lines := strings.Split(screen(m), "\n")
		if footer := lines[len(lines)-1]; !strings.Contains(footer, "? all keys") {
			t.Errorf("%s: footer %q", name, footer)
		}
	}
}
