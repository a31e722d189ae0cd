package pex

import (
	"errors"
	"fmt"

	"github.com/bitclone/bitclone/codec/human"
)

// Level grades a typed line against the spec (the same order as
// peer.Level, which the dialect value maps it to).
type Level = human.Level

const (
	Valid   = human.Valid   // exactly what the course's node sends
	Lenient = human.Lenient // bitclone reads it, the course's node may not
	Invalid = human.Invalid // not a PEX message, one a receiver discards, or not a line Parse reads
)

// Verdict is Validate's answer; Text says, for a Lenient or Invalid line,
// what is off in the spec's words.
type Verdict = human.Verdict

// Validate judges a typed line: Invalid when Parse refuses it, else what
// Judge says of the message it makes. It never stops a send: the command
// line is a debugging tool (a corrupt give is how a peer is tested).
func Validate(line string, ctx Context) Verdict {
	b, err := Parse(line, ctx)
	if err != nil {
		return Verdict{Level: Invalid, Text: err.Error()}
	}
	return Judge(b, ctx.Options)
}

// Judge grades one message's wire bytes against the course's node, in the
// wire of o, as Validate does for a typed line (bitclone check grades a
// peer's messages with it too).
func Judge(frame []byte, o Options) Verdict {
	invalid := func(format string, a ...any) Verdict {
		return Verdict{Level: Invalid, Text: fmt.Sprintf(format, a...)}
	}
	other := ""
	if otherOrderFits(frame, o) {
		other = ": it reads right " + (o.Order ^ 1).String() + "-endian"
	}
	m, err := Decode(frame, o)
	switch {
	case len(frame) >= PrefixSize && uint64(o.Order.uint32(frame)) > uint64(o.MaxBody()):
		return invalid("size prefix: %d is larger than a give can be (33 + %d): the stream is refused%s", o.Order.uint32(frame), o.Piece(), other)
	case errors.Is(err, ErrType):
		return invalid("type: 0 ask, 1 give or 2 peer: type %d is skipped (the course's node reads it as a peer list)", m.Type)
	case errors.Is(err, ErrShort), errors.Is(err, ErrPrefix):
		return invalid("size prefix: a %s-endian uint32 counting the bytes after it, type byte included (%v)%s", o.Order, err, other)
	case err != nil:
		return invalid("%s: %v", m.Type.Command(), err)
	}
	switch m.Type {
	case TypeGive:
		if !CheckGive(m.Hash, m.Piece) {
			return invalid("give: the piece does not hash to %s: the receiver discards it", m.Hash.Short())
		}
		if len(m.Piece) != o.Piece() {
			return Verdict{Level: Lenient, Text: fmt.Sprintf("give: a piece of %d bytes: the course's node asserts a full piece of %d", len(m.Piece), o.Piece())}
		}
	case TypePeer:
		for i := range m.NumPeers() {
			if p := m.Peer(i); p.Port() == 0 || p.Addr().IsUnspecified() {
				return Verdict{Level: Lenient, Text: fmt.Sprintf("peer: %s cannot be dialled", p)}
			}
		}
	}
	return Verdict{Level: Valid}
}
