package nibble

import (
	"errors"
	"fmt"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/human"
)

// Level grades a typed line against the spec (the same order as
// peer.Level, which the dialect value maps it to).
type Level = human.Level

const (
	Valid   = human.Valid   // exactly what the spec says
	Lenient = human.Lenient // bitclone reads it, the spec does not say it: strict peers may refuse it
	Invalid = human.Invalid // not a NibbleTorrent frame, or not a line Parse reads
)

// Verdict is Validate's answer; Text says, for a Lenient or Invalid line,
// what is off in the spec's words.
type Verdict = human.Verdict

// Validate judges a typed line: Invalid when Parse refuses it, or when the
// frame it makes (say with raw) is not one the spec defines; Lenient when
// bitclone would read the frame but the spec says otherwise; else Valid.
// It never stops a send: the command line is a debugging tool.
func Validate(line string, ctx Context) Verdict {
	b, err := Parse(line, ctx)
	if err != nil {
		return Verdict{Level: Invalid, Text: err.Error()}
	}
	return Judge(b, ctx)
}

// Judge grades one frame's wire bytes against the spec, as Validate does
// for a typed line (bitclone check grades a peer's frames with it too).
func Judge(frame []byte, ctx Context) Verdict {
	f, err := Decode(frame)
	if err != nil {
		return Verdict{Level: Invalid, Text: judgeDecode(err)}
	}
	lenient := func(s string) Verdict { return Verdict{Level: Lenient, Text: f.Type.Command() + ": " + s} }
	switch f.Type {
	case TypeHelloRequest:
		if _, err := HelloID(f.Data); err != nil {
			return Verdict{Level: Invalid, Text: fmt.Sprintf("hello-request: the payload is the torrent id in binary (20 bytes), got %d bytes", len(f.Data))}
		}
	case TypeHelloResponse:
		if ctx.Pieces == 0 {
			break
		}
		if _, err := HelloBitfield(f.Data, ctx.Pieces); errors.Is(err, bitfield.ErrSpareBits) {
			return lenient("spare bits set: the spec pads the bitfield with zeros")
		} else if err != nil {
			return lenient(fmt.Sprintf("the bitfield of %d pieces is %d bytes, got %d", ctx.Pieces, bitfield.Bytes(ctx.Pieces), len(f.Data)))
		}
	case TypePieceRequest:
		if _, err := PieceIndex(f.Data); err != nil {
			return Verdict{Level: Invalid, Text: fmt.Sprintf("piece-request: the index is at most %d bytes, got %d", MaxIndexBytes, len(f.Data))}
		}
		if len(f.Data) == 0 {
			return lenient("no index: the payload is the index of the piece (bitclone reads none as 0)")
		}
	case TypeError:
		for _, c := range f.Data {
			if c > 0x7e || c < 0x20 {
				return lenient("the payload is ASCII text describing what went wrong")
			}
		}
	}
	return Verdict{Level: Valid}
}

// judgeDecode words Decode's errors for a verdict.
func judgeDecode(err error) string {
	switch {
	case errors.Is(err, ErrVersion):
		return "version: always 0x01 (" + err.Error() + ")"
	case errors.Is(err, ErrType):
		return "type: hello request (0x01), hello response (0x02), piece request (0x03), piece response (0x04) or error (0x05) (" + err.Error() + ")"
	case errors.Is(err, ErrLength):
		return "length: the length of the data field in bytes (" + err.Error() + ")"
	}
	return "header: version, type and a 16-bit length (" + err.Error() + ")"
}
