package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// env is what every probe gets: where the peer is and how to talk to it.
type env struct {
	ctx    context.Context
	target string
	o      Options
}

func (e *env) dial() (*conn, error) {
	return dial(e.ctx, e.target, e.o.Timeout, e.o.Pace)
}

// newNonce returns a random non-zero nonce.
func newNonce() uint64 {
	for {
		if n := rand.Uint64(); n != 0 {
			return n
		}
	}
}

// version is our version on c: the peer as we reach it is the recipient,
// our end of the connection the sender. Each connection has its own sender
// port, so a peer that keeps one connection per sender address does not
// mistake our probes for duplicates of each other.
func (e *env) version(c *conn, nonce uint64) []byte {
	return wire.Version{
		Version:   wire.ProtocolVersion,
		Services:  wire.ServiceP2P,
		Time:      time.Now().Unix(),
		Recipient: c.remote,
		Sender:    c.local,
		Nonce:     nonce,
		UserAgent: e.o.Agent,
	}.AppendWire(nil)
}

// greeting is a handshake we opened, as far as it got.
type greeting struct {
	nonce   uint64 // our version's
	sent    []byte // our version
	version line   // the peer's version, parsed or not
	verack  line
	early   []line // anything else the peer sent before the handshake completed
}

// greet sends our version and waits for the peer's verack and version,
// leaving our verack unsent.
func (e *env) greet(c *conn) (*greeting, error) {
	g := &greeting{nonce: newNonce()}
	g.sent = e.version(c, g.nonce)
	if err := c.send(g.sent); err != nil {
		return g, err
	}
	deadline := time.Now().Add(e.o.Timeout)
	for g.version.raw == nil || g.verack.raw == nil {
		l, err := c.next(time.Until(deadline))
		if errors.As(err, new(noAnswer)) {
			err = noAnswer{e.o.Timeout}
		}
		if err != nil {
			return g, fmt.Errorf("waiting for %s: %w", g.missing(), err)
		}
		switch {
		case l.cmd == wire.CmdVersion && g.version.raw == nil:
			g.version = l
		case l.cmd == wire.CmdVerack && g.verack.raw == nil:
			g.verack = l
		default:
			g.early = append(g.early, l)
		}
	}
	return g, nil
}

func (g *greeting) missing() string {
	switch {
	case g.version.raw == nil && g.verack.raw == nil:
		return "version and verack"
	case g.version.raw == nil:
		return "version"
	}
	return "verack"
}

// got is everything the peer sent during the greeting, in order.
func (g *greeting) got() []line {
	all := append([]line(nil), g.early...)
	for _, l := range []line{g.version, g.verack} {
		if l.raw != nil {
			all = append(all, l)
		}
	}
	return all
}

// theirNonce is the nonce of the peer's version, read leniently when the
// version does not parse, so the handshake can go on and later probes can
// still judge what they are about.
func (g *greeting) theirNonce() uint64 {
	if v, ok := g.version.msg.(wire.Version); ok {
		return v.Nonce
	}
	fields := bytes.Split(g.version.text, []byte("|"))
	if len(fields) > 6 {
		if n, err := strconv.ParseUint(string(fields[6]), 10, 64); err == nil {
			return n
		}
	}
	return 0
}

// finish sends our verack, completing the handshake.
func (e *env) finish(c *conn, g *greeting) error {
	return c.send(wire.Verack{Nonce: g.theirNonce()}.AppendWire(nil))
}

// established opens a connection and completes a handshake, for the probes
// about what comes after it.
func (e *env) established() (*conn, *greeting, error) {
	c, err := e.dial()
	if err != nil {
		return nil, nil, err
	}
	g, err := e.greet(c)
	if err == nil {
		err = e.finish(c, g)
	}
	if err != nil {
		c.close()
		return nil, nil, fmt.Errorf("handshake: %w", err)
	}
	return c, g, nil
}

// alive tells whether the peer still takes connections: a fresh connection
// and a version must get some answer.
func (e *env) alive() error {
	c, err := dial(e.ctx, e.target, e.o.Timeout, 0)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err // "connect: connection refused", without the address again
		}
		return fmt.Errorf("a new connection fails: %w", err)
	}
	defer c.close()
	err = c.send(e.version(c, newNonce()))
	if err == nil {
		_, err = c.next(e.o.Timeout)
	}
	switch {
	case isClosed(err):
		return &refusedError{err}
	case err != nil:
		return fmt.Errorf("it accepts connections, but after our version: %w", err)
	}
	return nil
}

// refusedError is a peer that takes a connection and closes it at once:
// alive, but refusing us, as a peer that has banned our IP does.
type refusedError struct{ err error }

func (e *refusedError) Error() string {
	return "it accepts connections, but closes them without answering our version (a ban?)"
}

// failed is the result of a probe that could not get as far as its question.
func failed(err error) Result {
	return Result{Verdict: Fail, Detail: err.Error()}
}

// isClosed tells whether err is the peer ending the connection.
func isClosed(err error) bool {
	var ce *closedError
	return errors.As(err, &ce)
}
