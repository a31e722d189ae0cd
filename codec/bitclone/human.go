package bitclone

import "bytes"

// The human form of BitClone is the wire text itself: a line the user types
// is sent as typed, with the CRLF the spec ends every message with.

// Typed is the wire form of a line the user typed: exactly as typed (spaces,
// stray '|' and all, since the command line is a debugging tool), then CRLF.
func Typed(line string) []byte {
	return append([]byte(line), crlf...)
}

// LineEnd names how a message's wire bytes end, so that the raw view tells
// the spec's CRLF from a bare LF some peers send.
func LineEnd(raw []byte) string {
	switch {
	case bytes.HasSuffix(raw, crlf):
		return "ends with CRLF"
	case bytes.HasSuffix(raw, []byte("\n")):
		return "ends with a bare LF"
	}
	return "no line end"
}

// Commands are the eight message commands, in the order the spec lists them.
var Commands = []string{CmdVersion, CmdVerack, CmdGetAddr, CmdAddr, CmdPing, CmdPong, CmdReject, CmdMessage}

// TrimEOL drops a line ending (LF, CRLF or CR). It runs for every message:
// two byte checks, not two calls.
func TrimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
