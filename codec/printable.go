// Package codec holds what every wire dialect shares; the dialects themselves
// live in subpackages (codec/bitclone, ...).
package codec

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable renders untrusted peer bytes for a terminal or a log line.
//
// Printable UTF-8 passes through unchanged (spaces, '|', '\\' and non-ASCII
// letters included). Everything that could move the cursor, recolour the
// screen, end a log line or reorder text is escaped instead:
//
//   - \r, \n and \t by name;
//   - other C0 controls (ESC, NUL, ...) and DEL as \xNN;
//   - C1 controls (U+0080–U+009F), the line and paragraph separators
//     U+2028/U+2029 and the bidi controls (U+061C, U+200E/F, U+202A–U+202E,
//     U+2066–U+2069) as \uNNNN;
//   - each byte of invalid UTF-8 as \xNN.
//
// A backslash is not escaped, so the output is for reading, not for
// unquoting. Input that is all printable ASCII costs one allocation.
func Printable(b []byte) string {
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			return escape(b, i)
		}
	}
	return string(b)
}

// PrintableString is Printable for a string; it does not allocate when s is
// all printable ASCII.
func PrintableString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return escape([]byte(s), i)
		}
	}
	return s
}

// Quote is PrintableString in double quotes, with '"' escaped as \" so a
// peer cannot close the quote early. It replaces %q and strconv.Quote for
// untrusted text, so that a control byte reads the same everywhere: BEL is
// \x07 as in the log and the transcript, never Go's \a.
func Quote(s string) string {
	return `"` + strings.ReplaceAll(PrintableString(s), `"`, `\"`) + `"`
}

// escape renders b, whose first i bytes are known to be printable ASCII.
func escape(b []byte, i int) string {
	var sb strings.Builder
	sb.Grow(len(b) + 16)
	sb.Write(b[:i])
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHex(&sb, `\x`, uint32(b[i]), 2)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			writeHex(&sb, `\x`, uint32(r), 2)
		case unsafeRune(r):
			writeHex(&sb, `\u`, uint32(r), 4)
		default:
			sb.Write(b[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// unsafeRune reports the non-ASCII runes that must not reach a terminal raw.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || // C1; C0 and DEL are handled before
		r == '\u2028' || r == '\u2029' ||
		unicode.Is(unicode.Bidi_Control, r)
}

func writeHex(sb *strings.Builder, prefix string, v uint32, digits int) {
	const hex = "0123456789abcdef"
	sb.WriteString(prefix)
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		sb.WriteByte(hex[v>>uint(shift)&0xf])
	}
}
