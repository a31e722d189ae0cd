package bitclone

import (
	"errors"
	"unicode/utf8"

	"github.com/bitclone/bitclone/codec"
)

// ErrEmptyLine is returned by Parse for a line with nothing on it; peers
// ignore such lines.
var ErrEmptyLine = errors.New("empty line")

// ErrLineTooLong is returned by Reader.Next, and by Parse, for a line longer
// than the limit. From a Reader it is fatal: close the connection.
var ErrLineTooLong = errors.New("line too long")

// ParseError says which message and which field is wrong, and why. Parse
// and Check return it.
type ParseError struct {
	Command string // "ping", or the unknown command (at most 32 bytes, made Printable)
	Field   string // "nonce", "count", "entry 3 address"; "" for the whole message
	Reason  string // "not a number", "want 2 fields, got 3", "unknown command"
	Unknown bool   // the command is not one of the eight
}

// Error reads "ping: nonce: not a number", "version: want 9 fields, got 7"
// or `unknown command "foo"`.
func (e *ParseError) Error() string {
	switch {
	case e.Unknown:
		return e.Reason + ` "` + e.Command + `"`
	case e.Field == "":
		return e.Command + ": " + e.Reason
	}
	return e.Command + ": " + e.Field + ": " + e.Reason
}

// The words of ParseError.Reason, shared by Parse, ParseAddr and Check.
const (
	whyEmpty = "empty"
	whyNaN   = "not a number"
	whyRange = "out of range"
	whyZero  = "must not be 0"
	whyNeg   = "negative"
	whyBreak = "contains a line break"
	whyPipe  = "contains '|'"
	whyMiss  = "missing"

	whyNoPort    = "missing port"
	whyBadPort   = "bad port"
	whyPortRange = "port out of range"
	whyPort0     = "port 0"
	whyNotIP     = "not an IP address"
	whyZone      = "zone not allowed"
)

const maxUnknownCommand = 32

// unknownCommand builds the error for a command that is not one of the
// eight, quoting a safe, short copy of what the peer sent.
func unknownCommand(name []byte) *ParseError {
	return &ParseError{Command: shortPrintable(name), Reason: "unknown command", Unknown: true}
}

// shortPrintable is the first 32 bytes of b, cut on a rune boundary, made
// Printable.
func shortPrintable(b []byte) string {
	if len(b) > maxUnknownCommand {
		n := maxUnknownCommand
		for n > maxUnknownCommand-utf8.UTFMax && !utf8.RuneStart(b[n]) {
			n-- // don't split a rune into \xNN escapes
		}
		b = b[:n]
	}
	return codec.Printable(b)
}

// problems collects the first thing wrong with a message, so that parsing
// and checking read as straight-line code.
type problems struct {
	cmd string
	err *ParseError
}

func (p *problems) fail(field, reason string) {
	if p.err == nil {
		p.err = &ParseError{Command: p.cmd, Field: field, Reason: reason}
	}
}

// result turns the collected problem into an error without the typed-nil
// trap.
func (p *problems) result() error {
	if p.err == nil {
		return nil
	}
	return p.err
}
