package bitclone

import (
	"errors"
	"fmt"
	"io"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// The BitClone probes call a frame a line, and a connection a conn.
type (
	line = check.Frame
	conn = check.Conn
)

// framing reads BitClone lines: the codec's Reader (CRLF or bare LF, at
// most wire.MaxLine), commands as wire.CommandOf names them.
var framing = check.Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return wire.NewReader(r, 0) },
	Decode: func(text []byte, partial bool) (string, any, error) {
		cmd := wire.CommandOf(text)
		if partial {
			return cmd, nil, errors.New("no line ending before the connection closed")
		}
		m, err := wire.Parse(text)
		if err != nil {
			return cmd, nil, err
		}
		return cmd, m, nil
	},
	ReadError: func(err error) string {
		if errors.Is(err, wire.ErrLineTooLong) {
			return "the peer sent a line longer than " + fmt.Sprint(wire.MaxLine) + " bytes"
		}
		return ""
	},
}
