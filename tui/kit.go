package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// The kit: the node TUI's drawing helpers for bitclone's other full-screen
// views (tui/crawlview), so that they escape, measure, cut, colour and lay
// out tables as this one does. Thin wrappers; the helpers stay here.

// Safe escapes peer text for the screen (codec.PrintableString).
func Safe(s string) string { return safe(s) }

// Width is the display width of a printable string.
func Width(s string) int { return width(s) }

// LineWidth is the display width of a drawn line (text and SGR sequences).
func LineWidth(s string) int { return lineWidth(s) }

// Trunc cuts a printable string to at most w columns, marking a cut with "…".
func Trunc(s string, w int) string { return trunc(s, w) }

// Fit pads or cuts a printable string to exactly w columns.
func Fit(s string, w int, right bool) string { return fit(s, w, right) }

// MoreNote is " · ↑ 2 ↓ 7 more": what a list hides above and below.
func MoreNote(offset, rows, n int) string { return scrollNote(offset, rows, n) }

// ScrollOffset keeps row idx visible in rows rows of n, moving offset as
// little as possible.
func ScrollOffset(offset, idx, rows, n int) int { return scrollOffset(offset, idx, rows, n) }

// Paint is a compiled style: colours and attributes, no widths.
type Paint = paint

// Compile makes a Paint of a lipgloss style.
func Compile(s lipgloss.Style) Paint { return compile(s) }

// Colors is the palette, every colour readable on common backgrounds.
type Colors struct {
	Text, Dim                                      color.Color
	Blue, Green, Red, Purple, Yellow, Cyan, Accent color.Color
}

// ColorsFor is the palette for a dark or a light background.
func ColorsFor(isDark bool) Colors {
	p := newPalette(isDark)
	return Colors{p.text, p.dim, p.blue, p.green, p.red, p.purple, p.yellow, p.cyan, p.accent}
}

// HelpStyles draw key help readably on a projector.
func HelpStyles(isDark bool) help.Styles { return helpStyles(newPalette(isDark)) }

// Column is a table column (see colWidths): natural width within Min..Max,
// cut to Soft before columns are dropped, higher Drop dropped first (0
// never).
type Column struct {
	Title          string
	Min, Max, Soft int
	Right          bool
	Drop           int
}

func (c Column) col() column {
	return column{title: c.Title, min: c.Min, max: c.Max, soft: c.Soft, right: c.Right, drop: c.Drop}
}

// ColWidths fits the columns to w: 0 for a dropped column.
func ColWidths(cols []Column, cells [][]string, w int) []int {
	cs := make([]column, len(cols))
	for i, c := range cols {
		cs[i] = c.col()
	}
	return colWidths(cs, cells, w)
}

// Line builds one screen line of at most its width from printable pieces.
type Line struct{ r *row }

// NewLine starts a line of at most w columns.
func NewLine(w int) Line { return Line{newRow(w)} }

// Add appends s (printable), cut to the room left; nil p: plain.
func (l Line) Add(p *Paint, s string) { l.r.add(p, s) }

// AddFit appends s padded or cut to exactly n columns.
func (l Line) AddFit(p *Paint, s string, n int, right bool) { l.r.addFit(p, s, n, right) }

// AddCells appends a table row's cells in their widths (ColWidths) and
// paints (nil: plain), one space apart.
func (l Line) AddCells(cols []Column, ws []int, cells []string, paints []*Paint) {
	cs := make([]column, len(cols))
	for i, c := range cols {
		cs[i] = c.col()
	}
	addCells(l.r, cs, ws, cells, paints)
}

// Room is how many columns are left.
func (l Line) Room() int { return l.r.room() }

func (l Line) String() string { return l.r.String() }

// Bind is a binding of keys shown in help as help and desc, as the node's
// screens make theirs.
func Bind(help, desc string, keys ...string) key.Binding { return bind(help, desc, keys...) }
