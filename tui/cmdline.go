package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/codec"
)

// maxInput bounds the command line (in runes): twice the longest protocol
// line, so an over-long line can still be typed at a peer to test it.
const maxInput = 256 << 10

// lineEdit is a one-line editor: Emacs-style keys, and only printable text
// goes in (a paste cannot smuggle control characters onto the screen).
type lineEdit struct {
	buf []rune
	pos int
}

func (e *lineEdit) value() string { return string(e.buf) }

func (e *lineEdit) set(s string) {
	e.buf, e.pos = e.buf[:0], 0
	e.insert(s)
}

// insert adds typed or pasted text at the cursor. Tabs and line breaks
// become spaces; other control, bidi and invalid characters are dropped.
func (e *lineEdit) insert(s string) {
	rs := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case r < 0x20 || r == 0x7f:
			continue
		case r >= 0x80:
			if t := string(r); codec.PrintableString(t) != t {
				continue
			}
		}
		rs = append(rs, r)
	}
	if room := maxInput - len(e.buf); len(rs) > room {
		rs = rs[:max(0, room)]
	}
	e.buf = append(e.buf[:e.pos], append(rs, e.buf[e.pos:]...)...)
	e.pos += len(rs)
}

// cutTail removes and returns the text after the cursor.
func (e *lineEdit) cutTail() string {
	tail := string(e.buf[e.pos:])
	e.buf = e.buf[:e.pos]
	return tail
}

// key applies an editing key and reports whether it was one.
func (e *lineEdit) key(k tea.KeyPressMsg) bool {
	switch k.Keystroke() {
	case "left", "ctrl+b":
		e.pos = max(0, e.pos-1)
	case "right", "ctrl+f":
		e.pos = min(len(e.buf), e.pos+1)
	case "home", "ctrl+a":
		e.pos = 0
	case "end", "ctrl+e":
		e.pos = len(e.buf)
	case "alt+left", "ctrl+left", "alt+b":
		e.pos = e.wordStart()
	case "alt+right", "ctrl+right", "alt+f":
		e.pos = e.wordEnd()
	case "backspace", "ctrl+h":
		if e.pos > 0 {
			e.buf = append(e.buf[:e.pos-1], e.buf[e.pos:]...)
			e.pos--
		}
	case "delete", "ctrl+d":
		if e.pos < len(e.buf) {
			e.buf = append(e.buf[:e.pos], e.buf[e.pos+1:]...)
		}
	case "ctrl+w", "alt+backspace":
		start := e.wordStart()
		e.buf = append(e.buf[:start], e.buf[e.pos:]...)
		e.pos = start
	case "ctrl+u":
		e.buf = append(e.buf[:0], e.buf[e.pos:]...)
		e.pos = 0
	case "ctrl+k":
		e.buf = e.buf[:e.pos]
	default:
		if k.Text == "" || k.Mod&(tea.ModCtrl|tea.ModAlt) != 0 {
			return false
		}
		e.insert(k.Text)
	}
	return true
}

// isWordSep says what ends a word for word moves: spaces and '|'.
func isWordSep(r rune) bool { return r == ' ' || r == '|' }

func (e *lineEdit) wordStart() int {
	i := e.pos
	for i > 0 && isWordSep(e.buf[i-1]) {
		i--
	}
	for i > 0 && !isWordSep(e.buf[i-1]) {
		i--
	}
	return i
}

func (e *lineEdit) wordEnd() int {
	i := e.pos
	for i < len(e.buf) && isWordSep(e.buf[i]) {
		i++
	}
	for i < len(e.buf) && !isWordSep(e.buf[i]) {
		i++
	}
	return i
}

func runeWidth(r rune) int {
	if r < 0x80 {
		return 1
	}
	return ansi.StringWidth(string(r))
}

// view is the part of the text shown in w columns, scrolled so the cursor
// is visible, and the cursor's column within it.
func (e *lineEdit) view(w int) (string, int) {
	if w <= 1 {
		return "", 0
	}
	start, used := e.pos, 0
	for start > 0 && used+runeWidth(e.buf[start-1]) <= w-1 {
		used += runeWidth(e.buf[start-1])
		start--
	}
	if start > 0 {
		// Scrolled: show as much as fits before the cursor.
		cursorX := used
		var b strings.Builder
		for _, r := range e.buf[start:] {
			if used += runeWidth(r); used > w {
				break
			}
			b.WriteRune(r)
		}
		return b.String(), cursorX
	}
	var b strings.Builder
	total, cursorX := 0, 0
	for i, r := range e.buf {
		if i == e.pos {
			cursorX = total
		}
		if total+runeWidth(r) > w {
			break
		}
		total += runeWidth(r)
		b.WriteRune(r)
	}
	if e.pos == len(e.buf) {
		cursorX = total
	}
	return b.String(), min(cursorX, w-1)
}

// cmdMode says what the command line is editing.
type cmdMode uint8

const (
	modeCommand cmdMode = iota // the command language
	modeFilter                 // the log filter (after /)
)

// cmdLine is the bottom line: the editor, its history, and Tab cycling.
type cmdLine struct {
	edit    lineEdit
	mode    cmdMode
	hist    []string
	histPos int    // len(hist): editing the draft
	draft   string // what was typed before browsing the history
	before  string // the filter when / was pressed, restored by Esc
	comp    completion
}

func (c *cmdLine) value() string { return c.edit.value() }

func (c *cmdLine) set(s string) { c.edit.set(s) }

func (c *cmdLine) clear() {
	c.edit.set("")
	c.histPos = len(c.hist)
	c.comp = completion{}
}

func (c *cmdLine) prompt() string {
	if c.mode == modeFilter {
		return "/"
	}
	return "› "
}

// remember adds an entry to the history; it reports whether the entry is
// new (not a repeat of the last one).
func (c *cmdLine) remember(s string) bool {
	added := false
	if len(c.hist) == 0 || c.hist[len(c.hist)-1] != s {
		c.hist = append(c.hist, s)
		if len(c.hist) > maxHistory {
			c.hist = append(c.hist[:0], c.hist[len(c.hist)-maxHistory:]...)
		}
		added = true
	}
	c.histPos = len(c.hist)
	return added
}

func (c *cmdLine) histPrev() {
	if c.histPos == len(c.hist) {
		c.draft = c.value()
	}
	if c.histPos > 0 {
		c.histPos--
		c.set(c.hist[c.histPos])
	}
}

func (c *cmdLine) histNext() {
	if c.histPos >= len(c.hist) {
		return
	}
	c.histPos++
	if c.histPos == len(c.hist) {
		c.set(c.draft)
	} else {
		c.set(c.hist[c.histPos])
	}
}
