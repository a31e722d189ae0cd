// Package peer holds the dialect-neutral parts of a bitclone node: the Host
// (listener, accept limits, bans, drops, dialling, the connection table),
// connections with their queues and statistics, the event bus the front
// ends read, the command language they write, and the snapshot types they
// render (with dialect fields and a piece-progress model).
//
// A dialect (BitClone first, in peer/bitclone) is a Protocol on the Host: it
// supplies the framing, one Session per connection and its policy; nothing
// in this package knows what a message means.
package peer

import (
	"strings"
	"time"
)

// Kind says what an Event reports.
type Kind uint8

const (
	KindRecv        Kind = iota + 1 // a message line arrived ("<")
	KindSend                        // a message line was queued for sending (">")
	KindConnected                   // a TCP connection is up, handshake not yet done; Text is empty
	KindEstablished                 // the handshake completed; Text describes the peer
	KindClosed                      // a connection ended; Text is the reason
	KindLearned                     // a new address entered the address book; Text is the address
	KindWarn                        // a peer deviated from the spec, or something needs attention
	KindError                       // something failed (a dial, a save)
	KindInfo                        // anything else worth a line (listening, external address, saved)
)

var kindNames = [...]string{
	KindRecv:        "recv",
	KindSend:        "send",
	KindConnected:   "connected",
	KindEstablished: "established",
	KindClosed:      "closed",
	KindLearned:     "learned",
	KindWarn:        "warn",
	KindError:       "error",
	KindInfo:        "info",
}

// String is the kind's name as it appears in JSON output.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// Mark is the DIR column of a log or transcript line: < received, > sent,
// ! a warning or an error, * anything else.
func (k Kind) Mark() string {
	switch k {
	case KindRecv:
		return "<"
	case KindSend:
		return ">"
	case KindWarn, KindError:
		return "!"
	}
	return "*"
}

// Lossy reports whether events of this kind may be dropped when the front end
// falls behind: message lines, and learned addresses (a peer chooses how many
// of those we see). Connection changes and warnings are always delivered.
func (k Kind) Lossy() bool { return k == KindRecv || k == KindSend || k == KindLearned }

// Direction is who opened a connection.
type Direction uint8

const (
	Inbound  Direction = iota + 1 // the remote dialled us
	Outbound                      // we dialled the remote
)

func (d Direction) String() string {
	switch d {
	case Inbound:
		return "in"
	case Outbound:
		return "out"
	}
	return ""
}

// Event is one thing that happened in the node, as the front ends see it.
type Event struct {
	At   time.Time
	Kind Kind
	// ConnID identifies the connection (0 for node-wide events).
	ConnID uint64
	// Peer is the remote address of the connection ("" for node-wide events).
	Peer string
	// Dir is set on connection events.
	Dir Direction
	// Text is the protocol line for message events (raw bytes, not escaped:
	// front ends must make it printable), and a human sentence otherwise.
	Text string
	// Command is the message's command word for message events.
	Command string
	// Raw is a copy of the frame's exact wire bytes, line ending included,
	// for message events: at most MaxEventRaw bytes, so that a peer's huge
	// frames cost the log little. Size is the frame's whole size on the wire.
	Raw  []byte
	Size int
	// Suppressed is set on a summary: how many similar events (warnings,
	// errors, connection changes) it stands for, left out because the
	// front end fell behind or repeated them too fast to read.
	Suppressed uint64
}

// similarKeyMax caps the words that tell two warnings apart (see SimilarKey).
const similarKeyMax = 40

// SimilarKey is what makes two events of one kind from one peer "similar":
// the first words of their text, up to the first digit, colon or '|' (where
// nonces, counts and peer-chosen details begin), at most similarKeyMax
// bytes. "malformed reject: ..." and "pong nonce 7 matches ..." give
// "malformed reject" and "pong nonce".
func SimilarKey(text string) string {
	end := min(len(text), similarKeyMax)
	if i := strings.IndexAny(text[:end], "0123456789:|"); i >= 0 {
		end = i
	}
	return strings.ToValidUTF8(strings.TrimSpace(text[:end]), "")
}

// MaxEventRaw caps the wire bytes an Event carries: enough for any message a
// person inspects byte by byte, far less than the largest frame.
const MaxEventRaw = 4096

// Truncated reports whether Raw holds only the start of the frame.
func (e Event) Truncated() bool { return len(e.Raw) < e.Size }
