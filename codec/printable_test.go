package codec

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "ping|1234 hello", "ping|1234 hello"},
		{"backslash kept", `a\b\x1b`, `a\b\x1b`},
		{"crlf tab", "a\r\nb\tc", `a\r\nb\tc`},
		{"nul", "a\x00b", `a\x00b`},
		{"ansi clear and title", "\x1b[2J\x1b]0;title\x07", `\x1b[2J\x1b]0;title\x07`},
		{"ansi colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"del", "a\x7fb", `a\x7fb`},
		{"other C0", "\x01\x08\x0b\x0c\x1f", `\x01\x08\x0b\x0c\x1f`},
		{"C1 as rune", "a\u0085b\u009b[2J", `a\u0085b\u009b[2J`},
		{"C1 byte alone is invalid UTF-8", "a\x9bb", `a\x9bb`},
		{"non-ASCII letters", "héllo wörld ünïcødé 日本語 😀", "héllo wörld ünïcødé 日本語 😀"},
		{"nbsp passes", "a\u00a0b", "a\u00a0b"},
		{"U+FFFD itself passes", "a\uFFFDb", "a\uFFFDb"},
		{"line separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"bidi overrides", "\u202aa\u202bb\u202cc\u202dd\u202ee", `\u202aa\u202bb\u202cc\u202dd\u202ee`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`},
		{"bidi marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"trojan source", "admin\u202e\u2066// check\u2069\u2066", `admin\u202e\u2066// check\u2069\u2066`},
		{"invalid bytes", "\xff\xfe", `\xff\xfe`},
		{"truncated rune", "ab\xe6\x97", `ab\xe6\x97`},
		{"overlong encoding", "\xc0\xaf", `\xc0\xaf`},
		{"surrogate half", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"mixed", "é\x1b\xffé", `é\x1b\xffé`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Printable([]byte(tt.in)); got != tt.want {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := PrintableString(tt.in); got != tt.want {
				t.Errorf("PrintableString(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestPrintableSafe checks the promise on every single byte and every rune
// up to U+FFFF: the output is valid UTF-8 with no control, separator or bidi
// character left in it.
func TestPrintableSafe(t *testing.T) {
	check := func(in string) {
		t.Helper()
		out := PrintableString(in)
		if !utf8.ValidString(out) {
			t.Fatalf("PrintableString(%q) = %q: invalid UTF-8", in, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || unsafeRune(r) {
				t.Fatalf("PrintableString(%q) = %q: contains %U", in, out, r)
			}
		}
	}
	for c := 0; c < 256; c++ {
		check(string([]byte{byte(c)}))
	}
	for r := rune(0); r <= 0xffff; r++ {
		check(string(r))
	}
}

func TestPrintableAllocs(t *testing.T) {
	b := []byte("version|3|1|1507490964|192.168.1.10:8090|130.111.135.12:2098|8192|houser|9000")
	if n := testing.AllocsPerRun(100, func() { _ = Printable(b) }); n != 1 {
		t.Errorf("Printable of ASCII: %v allocs, want 1", n)
	}
	s := string(b)
	if n := testing.AllocsPerRun(100, func() { _ = PrintableString(s) }); n != 0 {
		t.Errorf("PrintableString of ASCII: %v allocs, want 0", n)
	}
}

func BenchmarkPrintableASCII(b *testing.B) {
	in := []byte(strings.Repeat("ping|1234567890 ", 8))
	b.ReportAllocs()
	for b.Loop() {
		_ = Printable(in)
	}
}

func BenchmarkPrintableEscapes(b *testing.B) {
	in := []byte(strings.Repeat("\x1b[2Jhé\xff ", 8))
	b.ReportAllocs()
	for b.Loop() {
		_ = Printable(in)
	}
}

// Quote escapes as Printable does (BEL is \x07, never Go's \a) and keeps
// a peer from closing the quote early.
func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                 `""`,
		"classmate":        `"classmate"`,
		"bell\x07":         `"bell\x07"`,
		"\x08\x0c\x0b\x1b": `"\x08\x0c\x0b\x1b"`,
		"a\r\n\tb":         `"a\r\n\tb"`,
		`x" version 99`:    `"x\" version 99"`,
		"\xff\u202eé":      `"\xff\u202eé"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
