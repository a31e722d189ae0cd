package toy

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/udp"
)

// The probes call a frame a frame, and a socket a conn.
type (
	frame = check.Frame
	conn  = check.Conn
)

// framing reads one datagram per frame, each decoded to a wire.Message
// (an unknown msgtype is a Message, not an error). Cmd is the codec's
// CommandName: one of the eight or "unknown", never the peer's text.
var framing = check.Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return udp.NewFrameReader(r, wire.MaxDatagram) },
	Decode: func(b []byte, _ bool) (string, any, error) {
		m, err := wire.Decode(b)
		if err != nil {
			return wire.CommandName(b), nil, err
		}
		return wire.CommandName(b), m, nil
	},
	ReadError: func(err error) string {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return "ICMP port unreachable: nothing listens on that UDP port"
		}
		return ""
	},
}

// network is UDP: Dial gives a connected socket, one per probe, which
// receives only what the target sends and, on Linux, reads an ICMP port
// unreachable as a refused read. The run's own address (check.Env's
// listener) is a UDP socket too; the toy node never learns it, for no
// message names a sender.
type network struct{}

func (network) Dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(ctx, "udp", addr)
}

func (network) Listen(addr string) (net.Listener, error) {
	s, err := udp.Listen(addr, udp.Config{})
	if err != nil {
		return nil, err
	}
	return s.Listener(), nil
}

// words shows datagrams as the log does (codec/toy's Describe: the
// relaxed map, text escaped), joined by " · ".
func words(datagrams ...[]byte) string {
	out := make([]string, len(datagrams))
	for i, b := range datagrams {
		out[i] = wire.Describe(b)
	}
	return strings.Join(out, " · ")
}

// shown is datagrams in words, clipped for the report.
func shown(datagrams ...[]byte) string { return check.Clip([]byte(words(datagrams...))) }

// shownFrames is what the peer sent, in words, clipped.
func shownFrames(fs ...frame) string {
	raw := make([][]byte, len(fs))
	for i, f := range fs {
		raw[i] = f.Raw
	}
	return shown(raw...)
}
