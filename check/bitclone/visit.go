package bitclone

import (
	"context"
	"fmt"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// Visit is what one short call on a peer learns, for a crawler: the
// handshake a probe makes, a ping, and the peer's answer to getaddr.
type Visit struct {
	// Version is the peer's version, if it parses; VersionLine is the line
	// as it came (peer text: escape it before showing it).
	Version     *wire.Version
	VersionLine string
	// Handshake is the time from our version to the peer's verack.
	Handshake time.Duration
	// Got is what the peer sent during the handshake, in order, version
	// and verack included: a crawler tells from it whether the peer speaks
	// BitClone at all. Set whether the handshake completed or not.
	Got []check.Frame
	// RTT is the round trip of one ping (0 with PingErr set).
	RTT     time.Duration
	PingErr error
	// Addrs is the peer's answer to getaddr (nil with AddrErr set).
	Addrs   []wire.AddrEntry
	AddrErr error
	// Us is the address of ours our version named (Options.Shared's).
	Us string
}

// VisitPeer calls on the BitClone peer at target (IP:PORT) once, on one
// connection: the handshake as every probe makes it, then a ping and a
// getaddr, each answer awaited for at most the timeout; then it hangs up.
// nw is the network (check.TCP{} for the real one).
// It returns an error, with what the peer sent in Got, when the
// connection or the handshake fails: a dial error, or a
// *check.HandshakeError. Set o.Shared, so the visit names the address
// that answers for the whole crawl.
func VisitPeer(ctx context.Context, target string, o Options, nw check.Network) (Visit, error) {
	ce, err := check.NewEnv(ctx, target, suite(o), o.Options, nw)
	if err != nil {
		return Visit{}, err
	}
	defer ce.Close()
	e := wrap(ce, o)
	v := Visit{Us: e.Us().String()}
	c, err := e.Dial()
	if err != nil {
		return v, err
	}
	defer c.Close()
	start := time.Now()
	g, err := e.greet(c, true)
	v.Got = g.got()
	if err == nil {
		err = e.finish(c, g)
	}
	if err != nil {
		return v, err
	}
	done := g.verack.At
	if g.version.At.After(done) {
		done = g.version.At
	}
	v.Handshake = done.Sub(start)
	v.VersionLine = string(g.version.Text)
	if pv, ok := g.version.Msg.(wire.Version); ok {
		v.Version = &pv
	}

	// The ping first: a peer that hangs up on getaddr still gets timed.
	nonce := newNonce()
	if v.PingErr = c.Send(wire.Ping{Nonce: nonce}.AppendWire(nil)); v.PingErr == nil {
		var pong line
		pong, _, v.PingErr = e.awaitReply(c, func(l line) bool {
			p, ok := l.Msg.(wire.Pong)
			return ok && p.Nonce == nonce
		})
		switch {
		case v.PingErr != nil:
		case pong.Cmd == wire.CmdReject:
			v.PingErr = rejected(pong)
		default:
			v.RTT = pong.At.Sub(c.Sending())
		}
	}
	if v.AddrErr = c.Send(wire.GetAddr{}.AppendWire(nil)); v.AddrErr == nil {
		var addr line
		addr, _, v.AddrErr = e.awaitReply(c, check.Is(wire.CmdAddr))
		if v.AddrErr == nil {
			switch a, ok := addr.Msg.(wire.Addr); {
			case addr.Cmd == wire.CmdReject:
				v.AddrErr = rejected(addr)
			case !ok:
				v.AddrErr = fmt.Errorf("its addr does not parse: %w", addr.Err)
			default:
				v.Addrs = a.Entries
			}
		}
	}
	return v, nil
}

// rejected is a reject that came instead of an answer.
func rejected(l line) error {
	return fmt.Errorf("rejected it: %s", check.Clip(l.Text))
}

// Listen opens a listener that many runs and visits share (check.Listener)
// at addr ("IP:PORT") on nw, answering as the suite with options o does.
func Listen(ctx context.Context, addr string, o Options, nw check.Network) (*check.Listener, error) {
	return check.Listen(ctx, addr, suite(o), o.Options, nw)
}
