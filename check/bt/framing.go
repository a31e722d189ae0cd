package bt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/bitfield"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/framebuf"
	"github.com/bitclone/bitclone/peer"
)

// The probes call a frame a frame, and a connection a conn.
type (
	frame = check.Frame
	conn  = check.Conn
)

// oversizeLength is what the oversize check asks for: a block past the
// 128 KiB that the spec's clients drop a connection for.
const oversizeLength = wire.MaxBlock + wire.BlockSize

// maxMessage is the longest message the checker reads: a piece answering
// the oversize request, so that serving it is seen, not a broken stream.
const maxMessage = wire.PieceHeaderSize + oversizeLength

// shortHandshake is a handshake whose peer_id is a byte short.
const shortHandshake = wire.HandshakeSize - 1

// reader splits the peer's stream like codec/bittorrent's Reader, with
// two differences a checker needs: a handshake of any pstr length is
// delimited (49+pstrlen bytes), so that a wrong one is shown; and one
// whose peer_id is 19 bytes is told from one of 20 by what follows it (see
// handshakeSize), so that the checks after the handshake still run.
type reader struct {
	buf    framebuf.Reader
	start  bool
	pieces int
}

var errBadCount = errors.New("bt: reader returned an impossible count")

func newReader(r io.Reader, pieces int) *reader {
	return &reader{start: true, pieces: pieces, buf: framebuf.Make(r, framebuf.Config{
		Initial: 64 << 10, MaxFrame: wire.LengthSize + maxMessage, Header: wire.LengthSize, BadCount: errBadCount,
	})}
}

func (r *reader) Next() ([]byte, error) {
	f, err := r.buf.Next(r.size)
	if err == nil {
		r.start = false
	}
	return f, err
}

func (r *reader) Raw() []byte { return r.buf.Raw() }

// errTooLong is a message longer than the checker reads.
var errTooLong = errors.New("a message longer than a block of 144 KiB and its header")

func (r *reader) size(p []byte) (int, error) {
	if r.start && p[0] != 0 { // a message's length is below 2^24: its first byte is 0
		if p[0] == wire.PstrLen {
			return r.handshakeSize(p), nil
		}
		return 49 + int(p[0]), nil
	}
	if len(p) < wire.LengthSize {
		return 0, nil
	}
	n := binary.BigEndian.Uint32(p)
	if n > maxMessage {
		return 0, fmt.Errorf("%w: %d bytes", errTooLong, n)
	}
	return wire.LengthSize + int(n), nil
}

// handshakeSize delimits a handshake of pstrlen 19: 68 bytes, or 67 when
// the messages after it read right only from the 68th byte on (a peer_id
// of 19 bytes). It looks only at bytes already read: with none after the
// 68th, the handshake is 68 bytes. A 67-byte handshake followed by nothing
// at all cannot be told from a handshake still on its way: it is waited
// for, and the handshake check reports silence.
func (r *reader) handshakeSize(p []byte) int {
	if len(p) <= wire.HandshakeSize {
		return wire.HandshakeSize
	}
	std, stdDone := r.fit(p[wire.HandshakeSize:])
	alt, altDone := r.fit(p[shortHandshake:])
	switch {
	case stdDone:
		if altDone && alt > std {
			return shortHandshake
		}
		return wire.HandshakeSize
	case altDone && alt == fitExact && r.ends(p[shortHandshake:]):
		return shortHandshake // a message that ends where the bytes read do
	}
	return len(p) + 1 // wait for a byte more
}

// How well bytes read as the start of a message.
const (
	fitBad       = iota // a length no message has, or an id no peer sends
	fitPlausible        // a message of a variable size
	fitExact            // a fixed-size message of its size, or the bitfield's
)

// The ids real clients' extensions use (fast extension, extension
// protocol, BitTorrent v2): messages of a size the checker cannot judge.
const (
	firstExtensionID = 0x0d
	lastExtensionID  = 0x17
)

// fixedLength is the length prefix of each fixed-size message.
var fixedLength = map[wire.ID]uint32{wire.IDChoke: 1, wire.IDUnchoke: 1, wire.IDInterested: 1, wire.IDNotInterested: 1,
	wire.IDHave: 5, wire.IDRequest: 13, wire.IDCancel: 13, wire.IDPort: 3}

// fit says how well b reads as the start of a message, and whether enough
// of it is there to tell.
func (r *reader) fit(b []byte) (int, bool) {
	if len(b) < wire.LengthSize {
		return 0, false
	}
	n := binary.BigEndian.Uint32(b)
	switch {
	case n == 0:
		return fitExact, true // keep-alive
	case n > wire.MaxMessageLength:
		return fitBad, true
	case len(b) == wire.LengthSize:
		return 0, false
	}
	id := wire.ID(b[wire.LengthSize])
	switch {
	case id == wire.IDBitfield && n == uint32(1+bitfield.Bytes(r.pieces)):
		return fitExact, true
	case fixedLength[id] != 0 && fixedLength[id] == n:
		return fitExact, true
	case fixedLength[id] != 0:
		return fitBad, true
	case id == wire.IDBitfield, id == wire.IDPiece, id >= firstExtensionID && id <= lastExtensionID:
		return fitPlausible, true
	}
	return fitBad, true
}

// ends says whether b holds exactly one whole message.
func (r *reader) ends(b []byte) bool {
	return len(b) >= wire.LengthSize && len(b) == wire.LengthSize+int(binary.BigEndian.Uint32(b))
}

// theirHandshake is a handshake as the peer sent it.
type theirHandshake struct {
	Pstr     []byte
	Reserved wire.Reserved
	InfoHash wire.InfoHash
	PeerID   []byte // 20 bytes, or 19 for the short kind
}

// framing reads the peer's stream for a torrent of pieces pieces.
func framing(pieces int) check.Framing {
	return check.Framing{
		NewReader: func(r io.Reader) peer.FrameReader { return newReader(r, pieces) },
		Decode: func(b []byte, partial bool) (string, any, error) {
			cmd, msg, err := decode(b)
			if partial {
				return cmd, nil, fmt.Errorf("the connection closed in the middle of a %s (%d bytes came)", cmd, len(b))
			}
			return cmd, msg, err
		},
		ReadError: func(err error) string {
			if errors.Is(err, errTooLong) {
				return "it sent " + err.Error()
			}
			return ""
		},
	}
}

// decode names a frame and parses it: a theirHandshake or a
// wire.Message. A piece is read whatever its length (the oversize check
// must see one it should not have sent).
func decode(b []byte) (string, any, error) {
	if len(b) > 0 && b[0] != 0 {
		if len(b) < 1+int(b[0])+wire.ReservedSize+wire.HashSize {
			return wire.CmdHandshake, nil, fmt.Errorf("a handshake of %d bytes", len(b))
		}
		h := theirHandshake{Pstr: b[1 : 1+b[0]]}
		i := 1 + int(b[0])
		i += copy(h.Reserved[:], b[i:])
		i += copy(h.InfoHash[:], b[i:])
		h.PeerID = b[i:]
		if string(h.Pstr) != wire.Protocol {
			return wire.CmdHandshake, h, fmt.Errorf("a handshake of another protocol: pstr %q", h.Pstr)
		}
		return wire.CmdHandshake, h, nil
	}
	cmd := wire.CommandName(b)
	if len(b) >= wire.LengthSize+wire.PieceHeaderSize && wire.ID(b[wire.LengthSize]) == wire.IDPiece &&
		int(binary.BigEndian.Uint32(b)) == len(b)-wire.LengthSize {
		p := b[wire.LengthSize+1:]
		return wire.CmdPiece, wire.Message{ID: wire.IDPiece, Index: binary.BigEndian.Uint32(p), Begin: binary.BigEndian.Uint32(p[4:]), Payload: p[8:]}, nil
	}
	m, err := wire.Decode(b)
	if err != nil {
		return cmd, nil, err
	}
	return cmd, m, nil
}

// word shows one frame for the report: the log's words; a handshake with
// its info_hash and peer_id, escaped as the codec escapes them.
func word(b []byte) string {
	if _, msg, err := decode(b); err == nil {
		if h, ok := msg.(theirHandshake); ok {
			return "handshake " + h.InfoHash.String() + " " + peerIDText(h.PeerID)
		}
	} else if len(b) > 0 && b[0] != 0 {
		return "handshake (" + err.Error() + ")"
	}
	if _, msg, err := decode(b); err == nil {
		if m, ok := msg.(wire.Message); ok && m.ID == wire.IDPiece {
			return fmt.Sprintf("piece %d %d (%d bytes)", m.Index, m.Begin, len(m.Payload))
		}
	}
	return wire.Describe(b, wire.Context{})
}

// peerIDText is a peer_id as the codec shows one, for any length.
func peerIDText(id []byte) string {
	var p wire.PeerID
	copy(p[:], id)
	s := p.String()
	if len(id) < wire.PeerIDSize { // drop the padding's \x00s
		s = strings.TrimSuffix(s, strings.Repeat(`\x00`, wire.PeerIDSize-len(id)))
	}
	return s
}

// shown is frames in words, joined by " · ", clipped.
func shown(frames ...[]byte) string {
	out := make([]string, len(frames))
	for i, b := range frames {
		out[i] = word(b)
	}
	return check.Clip([]byte(strings.Join(out, " · ")))
}

// shownFrames is what the peer sent, in words, clipped.
func shownFrames(fs ...frame) string {
	raw := make([][]byte, len(fs))
	for i, f := range fs {
		raw[i] = f.Raw
	}
	return shown(raw...)
}
