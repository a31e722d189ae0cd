package crawlview

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/bitclone/bitclone/tui"
)

// styles are the node TUI's colours (tui.ColorsFor). Meaning never rests
// on colour alone: the cursor is reverse video with a ▸, an unreachable
// address in the graph is ✗, changes have + − ▲ ▼, verdicts their words.
type styles struct {
	status, statusWarn, tab, tabOn, header, cursor, faint tui.Paint
	good, bad, warn, edge, down, prompt                   tui.Paint
	help                                                  help.Styles
}

func newStyles(isDark bool) styles {
	c := tui.ColorsFor(isDark)
	s := lipgloss.NewStyle
	return styles{
		status:     tui.Compile(s().Reverse(true)),
		statusWarn: tui.Compile(s().Reverse(true).Bold(true).Foreground(c.Red)),
		tab:        tui.Compile(s().Foreground(c.Dim)),
		tabOn:      tui.Compile(s().Bold(true).Underline(true).Foreground(c.Accent)),
		header:     tui.Compile(s().Bold(true)),
		cursor:     tui.Compile(s().Reverse(true)),
		faint:      tui.Compile(s().Foreground(c.Dim)),
		good:       tui.Compile(s().Foreground(c.Green)),
		bad:        tui.Compile(s().Bold(true).Foreground(c.Red)),
		warn:       tui.Compile(s().Bold(true).Foreground(c.Yellow)),
		edge:       tui.Compile(s().Bold(true).Foreground(c.Accent)),
		down:       tui.Compile(s().Bold(true).Foreground(c.Red)),
		prompt:     tui.Compile(s().Bold(true).Foreground(c.Accent)),
		help:       tui.HelpStyles(isDark),
	}
}
