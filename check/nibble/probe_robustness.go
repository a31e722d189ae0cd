package nibble

import (
	"fmt"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// unknownType is a type byte the spec does not define.
const unknownType = 0x06

// otherVersion is a version the spec does not define.
const otherVersion = 0x02

// malformed sends bad on a connection whose hello is done and expects an
// error frame, then the connection to go on. A peer that does not answer
// the error frame gets noError.
func (e *env) malformed(bad func(h *hello) []byte, noError check.Verdict) check.Result {
	c, h, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	return e.expectErrorOr(c, h, bad(h), func(f frame) string {
		if f.Cmd == wire.CmdPieceResponse {
			return fmt.Sprintf("it acted on it: it sent %d bytes of piece data", len(f.Msg.(wire.Frame).Data))
		}
		return ""
	}, noError)
}

// anyPiece is the probe piece if there is one, else 0: what a malformed
// request names, so that a peer that acts on it answers with a piece.
func (e *env) anyPiece(h *hello) uint32 {
	p, why := e.probePiece(h)
	if why != "" {
		return 0
	}
	return uint32(p)
}

func probeIndex5(e *env) check.Result {
	return e.malformed(func(h *hello) []byte {
		b, _ := wire.Encode(wire.TypePieceRequest, []byte{0, 0, 0, 0, byte(e.anyPiece(h))})
		return b
	}, check.Fail)
}

// A frame of another version: the spec only says the version "will
// always be 0x01", so acting on it or closing is a warning; DIALECTS.md
// asks for an error frame.
func probeVersion2(e *env) check.Result {
	return e.malformed(func(h *hello) []byte {
		b := wire.PieceRequest(e.anyPiece(h))
		b[0] = otherVersion
		return b
	}, check.Warn)
}

func probeUnknownType(e *env) check.Result {
	return e.malformed(func(*hello) []byte {
		b, _ := wire.Encode(unknownType, nil)
		return b
	}, check.Fail)
}
