// Package human holds what the binary dialects' human forms share: the
// verdict on a typed line, the error a typed line gets, hex bytes typed
// and shown, and completion. Each dialect keeps its own words.
package human

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Level grades a typed line or a frame against a dialect's spec, in the
// order of peer.Level (the dialect value converts it: peer.Level(l)).
type Level uint8

const (
	Valid   Level = iota // exactly what the spec says
	Lenient              // bitclone reads it, the spec does not say it: strict peers may refuse it
	Invalid              // not a frame of the dialect, or not a line its Parse reads
)

// Verdict is a dialect's Validate or Judge answer; Text says, for a
// Lenient or Invalid line, what is off in the spec's words.
type Verdict struct {
	Level Level
	Text  string
}

// InputError says what is wrong with a typed line, in words for the
// command line: "have: index: want a decimal number below 2^32".
type InputError struct {
	Word   string // the command word, made Printable; "" for an empty line
	Reason string
}

func (e *InputError) Error() string {
	if e.Word == "" {
		return e.Reason
	}
	return e.Word + ": " + e.Reason
}

// WordRaw is the command word of a frame typed, or shown, as hex bytes.
const WordRaw = "raw"

// MaxRawShown is how many bytes of a frame DescribeRaw writes as hex; a
// longer frame is shown as its start and its size.
const MaxRawShown = 64

// ParseHex reads hex digits (either case), spaces allowed anywhere
// between them. The error says where the digits stop being hex, with
// example (a dialect's "01 03 00 01 29") to show what is wanted.
func ParseHex(s, example string) ([]byte, error) {
	digits := strings.ReplaceAll(s, " ", "")
	b, err := hex.DecodeString(digits)
	if err != nil {
		return nil, errors.New("want hex bytes, e.g. " + example + ": " + HexProblem(digits))
	}
	return b, nil
}

// HexProblem says where s stops being hex, safely for a terminal: the
// position of the first byte that is not a hex digit, else that the
// digits are odd in number.
func HexProblem(s string) string {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return fmt.Sprintf("not a hex digit at %d", i+1)
		}
	}
	return "odd number of digits"
}

// IsHex says whether s is an even number of hex digits.
func IsHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// DescribeRaw is WordRaw and the bytes in hex, one byte a word, cut after
// MaxRawShown bytes (then the size is noted), and note in parentheses: a
// line a dialect's Parse reads back, skipping the parentheses.
func DescribeRaw(b []byte, note string) string {
	shown := b[:min(len(b), MaxRawShown)]
	var sb strings.Builder
	sb.Grow(len(WordRaw) + 3*len(shown) + 24 + len(note))
	sb.WriteString(WordRaw)
	for _, c := range shown {
		sb.WriteByte(' ')
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	if len(shown) < len(b) {
		sb.WriteString(" ...")
		size := strconv.Itoa(len(b)) + " bytes"
		if note == "" {
			note = size
		} else {
			note = size + "; " + note
		}
	}
	if note != "" {
		sb.WriteString(" (" + note + ")")
	}
	return sb.String()
}

// JoinWords is word and its argument, without a trailing space when the
// argument is empty.
func JoinWords(word, arg string) string {
	if arg == "" {
		return word
	}
	return word + " " + arg
}

// Complete is what Tab offers for the start of a typed line: the
// templates (whole lines) that start with word; none once the line has
// arguments.
func Complete(word string, templates []string) []string {
	if strings.Contains(word, " ") {
		return nil
	}
	var out []string
	for _, t := range templates {
		if strings.HasPrefix(t, word) {
			out = append(out, t)
		}
	}
	return out
}
