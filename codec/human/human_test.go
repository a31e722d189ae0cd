package human

import (
	"bytes"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec"
)

func TestParseHex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // hex of the bytes, or the error
	}{
		{"", ""},
		{"01 03 00 01 29", "0103000129"},
		{"0103 0001 29", "0103000129"},
		{" a B cD ", "abcd"},
		{"0", "want hex bytes, e.g. 01 02: odd number of digits"},
		{"01 0g", "want hex bytes, e.g. 01 02: not a hex digit at 4"},
		{"01\x1b[2J", "want hex bytes, e.g. 01 02: not a hex digit at 3"},
	} {
		b, err := ParseHex(tc.in, "01 02")
		got := hex.EncodeToString(b)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("ParseHex(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsHex(t *testing.T) {
	for s, want := range map[string]bool{"": true, "00ff": true, "0": false, "0g": false, "AbCd": true, "ab cd": false} {
		if IsHex(s) != want {
			t.Errorf("IsHex(%q) = %v", s, !want)
		}
	}
}

func TestDescribeRaw(t *testing.T) {
	long := bytes.Repeat([]byte{0xab}, MaxRawShown+1)
	for _, tc := range []struct {
		b    []byte
		note string
		want string
	}{
		{nil, "", "raw"},
		{[]byte{0, 1, 0xff}, "", "raw 00 01 ff"},
		{[]byte{0x0a}, "id 20: not in the spec", "raw 0a (id 20: not in the spec)"},
		{long, "", "raw" + strings.Repeat(" ab", MaxRawShown) + " ... (65 bytes)"},
		{long, "a note", "raw" + strings.Repeat(" ab", MaxRawShown) + " ... (65 bytes; a note)"},
	} {
		if got := DescribeRaw(tc.b, tc.note); got != tc.want {
			t.Errorf("DescribeRaw(% x, %q) = %q, want %q", tc.b, tc.note, got, tc.want)
		}
	}
}

func TestJoinWords(t *testing.T) {
	if got := JoinWords("error", ""); got != "error" {
		t.Errorf("no argument: %q", got)
	}
	if got := JoinWords("error", "gone"); got != "error gone" {
		t.Errorf("an argument: %q", got)
	}
}

func TestComplete(t *testing.T) {
	templates := []string{"have 0", "handshake", "request 0 0 16384"}
	for _, tc := range []struct {
		word string
		want []string
	}{
		{"", templates},
		{"ha", []string{"have 0", "handshake"}},
		{"req", []string{"request 0 0 16384"}},
		{"x", nil},
		{"have 0", nil}, // the line has arguments
	} {
		if got := Complete(tc.word, templates); !slices.Equal(got, tc.want) {
			t.Errorf("Complete(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestInputError(t *testing.T) {
	var err error = &InputError{Word: "have", Reason: "index: missing"}
	if err.Error() != "have: index: missing" {
		t.Errorf("with a word: %q", err)
	}
	if e := (&InputError{Reason: "empty line"}); e.Error() != "empty line" {
		t.Errorf("without a word: %q", e)
	}
	var ie *InputError
	if !errors.As(err, &ie) || ie.Word != "have" {
		t.Errorf("errors.As: %v", ie)
	}
}

// The levels keep peer.Level's order: dialect values convert by number.
func TestLevelOrder(t *testing.T) {
	if Valid != 0 || Lenient != 1 || Invalid != 2 {
		t.Errorf("levels %d %d %d, want 0 1 2", Valid, Lenient, Invalid)
	}
}

// FuzzParseHex: a typed line is untrusted. ParseHex reads exactly the
// lines made of hex digit pairs and spaces, gives their bytes, and says
// what is wrong with the others in printable text.
func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"", "01 03 00 01 29", "0", "0g", "\x00\xff", "a b c d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseHex(s, "01")
		digits := strings.ReplaceAll(s, " ", "")
		if err != nil {
			if IsHex(digits) {
				t.Fatalf("refused hex %q: %v", s, err)
			}
			if msg := err.Error(); codec.PrintableString(msg) != msg {
				t.Fatalf("error not printable: %q", msg)
			}
			return
		}
		if hex.EncodeToString(b) != strings.ToLower(digits) {
			t.Fatalf("% x from %q", b, s)
		}
	})
}
