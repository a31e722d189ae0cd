package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/codec"
)

// Every string a peer chose (lines, addresses, user agents, reasons) goes
// through safe before it is measured or styled, so that it cannot move the
// cursor, recolour the screen or end a line. Strings from here on are
// printable and free of escape sequences.
func safe(s string) string { return codec.PrintableString(s) }

// plainASCII reports whether s is printable ASCII, where bytes are columns.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// width is the display width of a printable string.
func width(s string) int {
	if plainASCII(s) {
		return len(s)
	}
	return lineWidth(s)
}

// narrowRune reports the non-ASCII runes the TUI draws itself (rules,
// arrows, dots, ellipsis), all one column wide, so lines made of them and
// ASCII are measured without grapheme segmentation.
func narrowRune(r rune) bool {
	switch {
	case r >= 0x2190 && r <= 0x21ff, // arrows
		r >= 0x2500 && r <= 0x25ff: // box drawing, blocks, geometric shapes
		return true
	}
	switch r {
	case '·', '×', '…', '›', '✓', '✗':
		return true
	}
	return false
}

// lineWidth is the display width of a drawn line: printable text and SGR
// sequences. ASCII and narrowRune are counted directly, anything else goes
// to ansi.StringWidth.
func lineWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++ // parameters, up to the final byte
			}
			i++
		case c >= 0x20 && c < 0x7f:
			n++
			i++
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrowRune(r) {
				return ansi.StringWidth(s)
			}
			n++
			i += size
		default:
			return ansi.StringWidth(s)
		}
	}
	return n
}

// trunc cuts a printable string to at most w columns, marking a cut with "…".
func trunc(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if plainASCII(s) {
		if len(s) <= w {
			return s
		}
		return s[:w-1] + "…"
	}
	if lineWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fit pads or cuts a printable string to exactly w columns.
func fit(s string, w int, right bool) string {
	s = trunc(s, w)
	pad := w - width(s)
	if pad <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", pad) + s
	}
	return s + strings.Repeat(" ", pad)
}

// cutUTF8 returns at most n bytes of s, not splitting a rune.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n; i > n-4 && i > 0; i-- {
		if s[i]&0xc0 != 0x80 { // s[i] starts a rune
			return s[:i]
		}
	}
	return s[:n]
}

// containsFold is strings.Contains ignoring ASCII case, without allocating.
// sub must already be lower case.
func containsFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
