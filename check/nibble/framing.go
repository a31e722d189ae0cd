package nibble

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
)

// The probes call a frame a frame, and a connection a conn.
type (
	frame = check.Frame
	conn  = check.Conn
)

// framing reads NibbleTorrent frames: the codec's Reader (delimited by the
// length field whatever the version or type, at most wire.MaxFrame), each
// frame decoded to a wire.Frame.
var framing = check.Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return wire.NewReader(r) },
	Decode: func(b []byte, partial bool) (string, any, error) {
		cmd := wire.CommandName(b)
		if partial {
			return cmd, nil, fmt.Errorf("the connection closed in the middle of a frame (%s)", partialSize(b))
		}
		f, err := wire.Decode(b)
		if err != nil {
			return cmd, nil, err
		}
		return cmd, f, nil
	},
}

// partialSize says how much of a frame came: "2050 of 4100 bytes".
func partialSize(b []byte) string {
	if len(b) < wire.HeaderSize {
		return fmt.Sprintf("%d bytes of a header", len(b))
	}
	return fmt.Sprintf("%d of %d bytes", len(b), wire.HeaderSize+int(binary.BigEndian.Uint16(b[2:])))
}

// maxHexShown is how many bytes of a bitfield the report spells out.
const maxHexShown = 16

// words shows frames for the report, joined by " · ": the log's words, a
// hello response's bitfield as hex bytes (so that a wrong one is seen),
// error text as it came (the text report escapes it, once).
func words(frames ...[]byte) string {
	out := make([]string, len(frames))
	for i, b := range frames {
		out[i] = word(b)
	}
	return strings.Join(out, " · ")
}

func word(b []byte) string {
	f, err := wire.Decode(b)
	switch {
	case err != nil:
		return wire.Describe(b, wire.Context{}) // raw hex
	case f.Type == wire.TypeError:
		return wire.CmdError + " " + string(f.Data)
	case f.Type == wire.TypeHelloResponse:
		return wire.CmdHelloResponse + " " + hexBytes(f.Data)
	}
	return wire.Describe(b, wire.Context{})
}

// hexBytes is "ff f0", cut after maxHexShown bytes.
func hexBytes(b []byte) string {
	shown := b[:min(len(b), maxHexShown)]
	parts := make([]string, len(shown))
	for i, c := range shown {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	s := strings.Join(parts, " ")
	if len(shown) < len(b) {
		s += fmt.Sprintf(" … (%d bytes)", len(b))
	}
	if len(b) == 0 {
		s = "(no bytes)"
	}
	return s
}

// shown is frames in words, clipped for the report.
func shown(frames ...[]byte) string { return check.Clip([]byte(words(frames...))) }

// shownFrames is what the peer sent, in words, clipped.
func shownFrames(fs ...frame) string {
	raw := make([][]byte, len(fs))
	for i, f := range fs {
		raw[i] = f.Raw
	}
	return shown(raw...)
}
