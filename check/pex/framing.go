package pex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
)

// The probes call a frame a frame, and a connection a conn.
type (
	frame = check.Frame
	conn  = check.Conn
)

// msg is a message the node sent, decoded in the byte order it came in.
type msg struct {
	wire.Message
	order wire.ByteOrder
}

// framing reads PEX messages in whichever byte order the node writes them:
// the first size prefix on a connection picks it (first the one the run
// tries first, else the other if only it is within the limit), and the
// codec's Reader does the rest, refusing a prefix over the limit before
// the body. A node that dials us tells its order so, and an answer in the
// order we did not speak is seen for what it is.
func framing(o wire.Options) check.Framing {
	return check.Framing{
		NewReader: func(r io.Reader) peer.FrameReader { return &sniffReader{r: r, o: o} },
		Decode: func(b []byte, partial bool) (string, any, error) {
			cmd := wire.CommandName(b)
			if partial {
				return cmd, nil, fmt.Errorf("the connection closed in the middle of a message (%s)", partialSize(b, o))
			}
			order, ok := orderOf(b, o)
			if !ok {
				return cmd, nil, wire.ErrPrefix
			}
			m, err := wire.Decode(b, wire.Options{Order: order, PieceSize: o.PieceSize})
			if err != nil {
				return cmd, nil, err
			}
			return cmd, msg{m, order}, nil
		},
		ReadError: func(err error) string {
			if errors.Is(err, wire.ErrTooLong) {
				return "it sent " + err.Error() + " (another --piece-size?)"
			}
			return ""
		},
	}
}

// sniffReader is a wire.Reader whose byte order the first size prefix picks.
type sniffReader struct {
	r  io.Reader
	o  wire.Options
	rd *wire.Reader
}

func (s *sniffReader) Next() ([]byte, error) {
	if s.rd == nil {
		var p [wire.PrefixSize]byte
		n, err := io.ReadFull(s.r, p[:])
		switch {
		case n == 0:
			return nil, err
		case err != nil:
			return p[:n], io.ErrUnexpectedEOF
		}
		o := s.o
		if !fits(p[:], o) && fits(p[:], other(o)) {
			o = other(o)
		}
		s.rd = wire.NewReader(io.MultiReader(bytes.NewReader(p[:]), s.r), o)
	}
	return s.rd.Next()
}

// Raw is the message Next last returned, as it came.
func (s *sniffReader) Raw() []byte {
	if s.rd == nil {
		return nil
	}
	return s.rd.Raw()
}

// other is o in the other byte order.
func other(o wire.Options) wire.Options {
	o.Order ^= 1
	return o
}

// prefix reads a size prefix in o's byte order.
func prefix(b []byte, o wire.Options) uint32 {
	if o.Order == wire.Big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// fits says whether the size prefix at the start of b is within the limit
// in o's byte order.
func fits(b []byte, o wire.Options) bool { return uint64(prefix(b, o)) <= uint64(o.MaxBody()) }

// orderOf is the byte order in which b's size prefix counts the bytes
// after it (o's first, if both do).
func orderOf(b []byte, o wire.Options) (wire.ByteOrder, bool) {
	if len(b) < wire.PrefixSize {
		return o.Order, false
	}
	body := uint64(len(b) - wire.PrefixSize)
	for _, try := range []wire.Options{o, other(o)} {
		if uint64(prefix(b, try)) == body {
			return try.Order, true
		}
	}
	return o.Order, false
}

// partialSize says how much of a message came: "15 of 37 bytes".
func partialSize(b []byte, o wire.Options) string {
	if len(b) < wire.PrefixSize {
		return fmt.Sprintf("%d bytes of a size prefix", len(b))
	}
	if !fits(b, o) && fits(b, other(o)) {
		o = other(o)
	}
	return fmt.Sprintf("%d of %d bytes", len(b), wire.PrefixSize+uint64(prefix(b, o)))
}

// word is one message in the codec's words, in the byte order its size
// prefix is right in ("ask 3fa2c1d4…", "peer [::1]:8100", "peer (no
// peers)"); a message it is right in neither (one we cut short) is hex.
func word(b []byte, o wire.Options) string {
	if order, ok := orderOf(b, o); ok {
		o.Order = order
	}
	if m, err := wire.Decode(b, o); err == nil && m.Type == wire.TypePeer && m.NumPeers() == 0 {
		return wire.Summary(b, o) + " (no peers)"
	}
	return wire.Summary(b, o)
}

// shown is messages in words, joined by " · " and clipped for the report.
func shown(o wire.Options, ms ...[]byte) string {
	out := make([]string, len(ms))
	for i, b := range ms {
		out[i] = word(b, o)
	}
	return check.Clip([]byte(strings.Join(out, " · ")))
}

// shownFrames is what the node sent, in words, clipped.
func shownFrames(o wire.Options, fs ...frame) string {
	raw := make([][]byte, len(fs))
	for i, f := range fs {
		raw[i] = f.Raw
	}
	return shown(o, raw...)
}
