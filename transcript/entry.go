package transcript

import (
	"bytes"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/peer"
)

// The values of Entry.Kind.
const (
	KindConnected = "connected"
	KindRecv      = "recv"
	KindSend      = "send"
	KindClosed    = "closed"
)

// Entry is one line of a transcript; see the package documentation. The
// fields come in the order of headless --json events: time, kind, then
// peer, conn and dir.
type Entry struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Peer   string    `json:"peer"`
	Conn   uint64    `json:"conn"`
	Dir    string    `json:"dir"`
	Raw    []byte    `json:"raw,omitempty"` // encoding/json writes []byte as base64
	Text   string    `json:"text,omitempty"`
	Reason string    `json:"reason,omitempty"`
	// Dialect names the protocol on "connected" entries ("bitclone",
	// "nibble"); files written before dialects have none: BitClone.
	Dialect string `json:"dialect,omitempty"`
	// Wire is the dialect's Wire on "connected" entries: what else is
	// needed to read its frames ("" for the default).
	Wire string `json:"wire,omitempty"`
}

// DialectOf is the dialect a transcript was recorded in (one run of one
// node speaks one): the name on its first "connected" entry that has one,
// or "bitclone" for files from before dialects.
func DialectOf(entries []Entry) string {
	for _, e := range entries {
		if e.Kind == KindConnected && e.Dialect != "" {
			return e.Dialect
		}
	}
	return "bitclone"
}

// WireOf is the wire a transcript's dialect was recorded with: the Wire
// on its first "connected" entry that names a dialect ("" for the
// default).
func WireOf(entries []Entry) string {
	for _, e := range entries {
		if e.Kind == KindConnected && e.Dialect != "" {
			return e.Wire
		}
	}
	return ""
}

// EntryOf turns what a connection told its recorder into an entry; words
// is the dialect's Framing.Text, the frame for people (nil: the bytes
// themselves). The bytes are copied: the record's are valid only during
// the call.
func EntryOf(r peer.Record, words func(frame []byte) []byte) Entry {
	e := Entry{
		Time: r.At.UTC(),
		Conn: r.ConnID,
		Peer: r.Peer,
		Dir:  r.Dir.String(),
		Kind: r.Kind.String(),
	}
	switch r.Kind {
	case peer.KindRecv, peer.KindSend:
		e.Raw = bytes.Clone(r.Bytes)
		text := r.Bytes
		if words != nil {
			text = words(r.Bytes)
		}
		e.Text = codec.Printable(text)
	case peer.KindClosed:
		e.Reason = r.Text
	}
	return e
}
