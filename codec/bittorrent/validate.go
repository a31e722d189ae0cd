package bittorrent

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
	Invalid = human.Invalid // not a BitTorrent message, one a peer drops the connection for, or not a line Parse reads
)

// Verdict is Validate's answer; Text says, for a Lenient or Invalid line,
// what is off in the spec's words.
type Verdict = human.Verdict

// Validate judges a typed line: Invalid when Parse refuses it, else what
// Judge says of the frame it makes. It never stops a send: the command
// line is a debugging tool.
func Validate(line string, ctx Context) Verdict {
	b, err := Parse(line, ctx)
	if err != nil {
		return Verdict{Level: Invalid, Text: err.Error()}
	}
	return Judge(b, ctx)
}

// Judge grades one frame's wire bytes against the spec and what ctx knows
// of the torrent, as Validate does for a typed line (bitclone check grades
// a peer's frames with it too). Invalid is what a peer drops the
// connection for; Lenient what bitclone reads though the spec does not say
// it.
func Judge(frame []byte, ctx Context) Verdict {
	invalid := func(format string, a ...any) Verdict {
		return Verdict{Level: Invalid, Text: fmt.Sprintf(format, a...)}
	}
	lenient := func(format string, a ...any) Verdict {
		return Verdict{Level: Lenient, Text: fmt.Sprintf(format, a...)}
	}
	if len(frame) > 0 && frame[0] == PstrLen {
		h, err := ParseHandshake(frame)
		switch {
		case err != nil:
			return invalid(`handshake: <pstrlen=19><pstr="BitTorrent protocol"><reserved: 8 bytes><info_hash: 20 bytes><peer_id: 20 bytes>, 68 bytes in all (%v)`, err)
		case !ctx.InfoHash.IsZero() && h.InfoHash != ctx.InfoHash:
			return lenient("handshake: info_hash %s is not this torrent's (%s): the peer drops the connection", h.InfoHash, ctx.InfoHash)
		}
		return Verdict{Level: Valid}
	}
	m, err := Decode(frame)
	if err != nil {
		return invalid("%s", judgeDecode(err, m.ID))
	}
	pieces := ctx.pieces()
	switch {
	case m.KeepAlive:
	case m.ID == IDHave && pieces > 0 && int64(m.Index) >= int64(pieces):
		return invalid("have: the zero-based index of a piece: %d is past the last piece (%d pieces)", m.Index, pieces)
	case m.ID == IDBitfield && pieces > 0:
		if _, err := bitfield.Parse(m.Payload, pieces); errors.Is(err, bitfield.ErrSpareBits) {
			return invalid("bitfield: spare bits at the end are set to zero: clients drop the connection if any of the spare bits are set")
		} else if err != nil {
			return invalid("bitfield: a bitfield of the wrong length is considered an error: %d pieces take %d bytes, got %d", pieces, bitfield.Bytes(pieces), len(m.Payload))
		}
	case m.ID == IDRequest || m.ID == IDCancel:
		if v, bad := judgeRange(m.ID.Command(), m.Index, m.Begin, int64(m.Length), ctx); bad {
			return v
		}
		if m.Length > BlockSize {
			return lenient("%s: %d bytes: the spec's clients use 16 KiB blocks (%d bytes); more than %d drops the connection", m.ID.Command(), m.Length, BlockSize, MaxBlock)
		}
	case m.ID == IDPiece:
		if v, bad := judgeRange(CmdPiece, m.Index, m.Begin, int64(len(m.Payload)), ctx); bad {
			return v
		}
		if len(m.Payload) > BlockSize {
			return lenient("piece: a block of %d bytes: the spec's clients use 16 KiB blocks (%d bytes)", len(m.Payload), BlockSize)
		}
	case m.ID == IDPort:
		return lenient("port: not in the spec: the DHT's port message (BEP 5), for peers that set the DHT reserved bit")
	case !m.ID.Known():
		name := ""
		if n, ok := extensionIDs[m.ID]; ok {
			name = " (" + n + ")"
		}
		return lenient("id %d%s is not in the spec (0 to 8): peers skip it", m.ID, name)
	}
	return Verdict{Level: Valid}
}

// judgeRange says whether a block of length bytes at begin lies inside
// piece index, when ctx knows the torrent (bad is true when it does not).
func judgeRange(cmd string, index, begin uint32, length int64, ctx Context) (v Verdict, bad bool) {
	if pieces := ctx.pieces(); pieces > 0 && int64(index) >= int64(pieces) {
		return Verdict{Level: Invalid, Text: fmt.Sprintf("%s: index: the zero-based piece index: %d is past the last piece (%d pieces)", cmd, index, pieces)}, true
	}
	if size, ok := ctx.pieceSize(index); ok && int64(begin)+length > size {
		return Verdict{Level: Invalid, Text: fmt.Sprintf("%s: begin %d and %d bytes run past the end of piece %d (%d bytes)", cmd, begin, length, index, size)}, true
	}
	return Verdict{}, false
}

// pieces is the torrent's piece count, given or from its sizes (0:
// unknown).
func (ctx Context) pieces() int {
	if ctx.Pieces > 0 || ctx.PieceLength <= 0 || ctx.Length <= 0 {
		return ctx.Pieces
	}
	return int((ctx.Length + ctx.PieceLength - 1) / ctx.PieceLength)
}

// judgeDecode words Decode's errors in the spec's terms.
func judgeDecode(err error, id ID) string {
	switch {
	case errors.Is(err, ErrShort), errors.Is(err, ErrLength):
		return "length prefix: a four byte big-endian value, the length of the id and payload that follow (" + err.Error() + ")"
	case errors.Is(err, ErrTooLong):
		return fmt.Sprintf("longer than a block of %d bytes and its header: peers drop the connection (%v)", MaxBlock, err)
	case errors.Is(err, ErrRequestTooLong):
		return fmt.Sprintf("%s: a request of more than %d bytes drops the connection (%v)", id.Command(), MaxBlock, err)
	case errors.Is(err, ErrRequestEmpty):
		return id.Command() + ": length: the requested length, at least 1 byte"
	}
	layout := map[ID]string{
		IDChoke:         "choke: <len=0001><id=0>",
		IDUnchoke:       "unchoke: <len=0001><id=1>",
		IDInterested:    "interested: <len=0001><id=2>",
		IDNotInterested: "not interested: <len=0001><id=3>",
		IDHave:          "have: <len=0005><id=4><piece index>",
		IDRequest:       "request: <len=0013><id=6><index><begin><length>",
		IDPiece:         "piece: <len=0009+X><id=7><index><begin><block>",
		IDCancel:        "cancel: <len=0013><id=8><index><begin><length>",
		IDPort:          "port: <len=0003><id=9><listen-port> (BEP 5)",
	}[id]
	return layout + " (" + err.Error() + ")"
}
