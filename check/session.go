package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// env is what every probe gets: where the peer is, how to talk to it, and
// the run's one address of ours.
type env struct {
	ctx    context.Context
	cancel context.CancelFunc
	target string
	o      Options
	net    network

	// peerIP is the peer's address as we reach it, so that we know its
	// connections to us from a classmate's.
	peerIP netip.Addr
	// us is where our listener takes connections: every version of ours
	// names it as the sender, so the peer learns (and gossips) one address
	// of ours, and one that answers while the run lasts.
	us    netip.AddrPort
	ln    *listener
	turns turns

	greetedOnce atomic.Bool // the peer has answered a greeting in full
	failMu      sync.Mutex
	noHandshake error // the first handshake that failed
}

// newEnv reaches the peer once, to learn our IP on the way to it, and opens
// the run's listener there (or at Options.Listen). close ends it all.
func newEnv(ctx context.Context, target string, o Options, nw network) (*env, error) {
	e := &env{target: target, o: o.withDefaults(), net: nw}
	e.ctx, e.cancel = context.WithCancel(ctx)
	nc, err := nw.dial(e.ctx, target, e.o.Timeout)
	if err != nil {
		e.cancel()
		return nil, fmt.Errorf("cannot reach %s: %w", target, err)
	}
	local := addrPortOf(nc.LocalAddr())
	e.peerIP = addrPortOf(nc.RemoteAddr()).Addr()
	nc.Close()
	if e.ln, err = e.listen(local.Addr()); err != nil {
		e.cancel()
		return nil, err
	}
	e.us = e.ln.us
	return e, nil
}

// close ends the run: every wait, our listener and the connections to it.
func (e *env) close() {
	e.cancel()
	e.ln.close()
}

// dial opens a probe connection, once it is our turn (see turns).
func (e *env) dial() (*conn, error) { return e.dialPaced(e.o.Pace) }

func (e *env) dialPaced(pace time.Duration) (*conn, error) {
	release, err := e.turns.ours(e.ctx)
	if err != nil {
		return nil, err
	}
	e.ln.yield()
	nc, err := e.net.dial(e.ctx, e.target, e.o.Timeout)
	if err != nil {
		release()
		return nil, err
	}
	c := newConn(e.ctx, nc, pace)
	c.release = release
	return c, nil
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
// the run's listener the sender. Each version has a nonce of its own, so a
// peer that keeps one connection per address takes each probe for a new run
// of ours and lets it replace the last, once that one is closed or stops
// answering pings (rather than refusing it as a duplicate).
func (e *env) version(c *conn, nonce uint64) []byte {
	return wire.Version{
		Version:   wire.ProtocolVersion,
		Services:  wire.ServiceP2P,
		Time:      time.Now().Unix(),
		Recipient: c.remote,
		Sender:    e.us,
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

// greet sends our version and waits for the peer's version and, if
// wantVerack, its verack; our verack is left unsent. A greeting that fails
// is a handshakeError, and the run's first one is the root cause that the
// report states once.
func (e *env) greet(c *conn, wantVerack bool) (*greeting, error) {
	g := &greeting{nonce: newNonce()}
	g.sent = e.version(c, g.nonce)
	if err := c.send(g.sent); err != nil {
		return g, e.failedHandshake(&handshakeError{"sending our version", err})
	}
	deadline := time.Now().Add(e.o.Timeout)
	for g.version.raw == nil || (wantVerack && g.verack.raw == nil) {
		l, err := c.next(time.Until(deadline))
		if errors.As(err, new(noAnswer)) {
			err = noAnswer{e.o.Timeout, g.got()}
		}
		if err != nil {
			return g, e.failedHandshake(&handshakeError{"waiting for its " + g.missing(wantVerack), err})
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
	if wantVerack {
		e.greetedOnce.Store(true)
	}
	return g, nil
}

func (g *greeting) missing(wantVerack bool) string {
	switch {
	case g.version.raw == nil && wantVerack && g.verack.raw == nil:
		return "version and verack"
	case g.version.raw == nil:
		return "version"
	}
	return "verack"
}

// handshakeError is a handshake of ours that failed: the peer did not send
// its part, or we could not send ours.
type handshakeError struct {
	doing string // "waiting for its verack"
	err   error
}

func (e *handshakeError) Error() string { return "handshake: " + e.doing + ": " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// failedHandshake notes err as the root cause if it is the run's first
// failed handshake, and returns it.
func (e *env) failedHandshake(err *handshakeError) error {
	if e.ctx.Err() != nil {
		return err // the run is ending, the peer is not to blame
	}
	e.failMu.Lock()
	defer e.failMu.Unlock()
	if e.noHandshake == nil {
		e.noHandshake = err
	}
	return err
}

// handshakeFailed returns the run's first failed handshake, if any.
func (e *env) handshakeFailed() error {
	e.failMu.Lock()
	defer e.failMu.Unlock()
	return e.noHandshake
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
	if err := c.send(wire.Verack{Nonce: g.theirNonce()}.AppendWire(nil)); err != nil {
		return e.failedHandshake(&handshakeError{"sending our verack", err})
	}
	return nil
}

// established opens a connection and completes a handshake, for the probes
// about what comes after it.
func (e *env) established() (*conn, *greeting, error) {
	c, err := e.dial()
	if err != nil {
		return nil, nil, err
	}
	g, err := e.greet(c, true)
	if err == nil {
		err = e.finish(c, g)
	}
	if err != nil {
		c.close()
		return nil, nil, err
	}
	return c, g, nil
}

// alive tells whether the peer still takes connections: a fresh connection
// and a version must get some answer.
func (e *env) alive() error {
	c, err := e.dialPaced(0)
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

// awaitReply waits up to the timeout for the peer's reply to what we last
// sent on c: a line that reply matches. A reject does not end the wait at
// once, for the peer may have sent it about something else: one read
// before we began sending is passed over, and one read after is taken for
// the reply only if nothing that reply matches follows within settle. So
// an unsolicited reject is not blamed on the probe that happens to run.
// skipped holds the lines passed over, rejects included.
func (e *env) awaitReply(c *conn, reply func(line) bool) (got line, skipped []line, err error) {
	asked := c.sending
	deadline := time.Now().Add(e.o.Timeout)
	var reject *line
	for {
		wait := time.Until(deadline)
		if reject != nil {
			wait = min(wait, time.Until(reject.at.Add(e.o.settle())))
		}
		l, err := c.next(wait)
		switch {
		case err != nil && reject != nil && e.ctx.Err() == nil:
			return *reject, skipped, nil
		case errors.As(err, new(noAnswer)):
			return line{}, skipped, noAnswer{e.o.Timeout, skipped}
		case err != nil:
			return line{}, skipped, err
		case reply(l):
			if reject != nil {
				skipped = append(skipped, *reject)
			}
			return l, skipped, nil
		case l.cmd == wire.CmdReject && reject == nil && !l.at.Before(asked):
			reject = &l
		default:
			skipped = append(skipped, l)
		}
	}
}

// answers matches the lines that answer what we last sent on c: lines read
// before we began sending it do not.
func answers(c *conn, match func(line) bool) func(line) bool {
	asked := c.sending
	return func(l line) bool { return !l.at.Before(asked) && match(l) }
}

// unsolicited is the detail to add when a reject came that we did not take
// for the reply.
func unsolicited(skipped []line) string {
	for _, l := range skipped {
		if l.cmd == wire.CmdReject {
			return "; a reject came as well, not taken for the answer"
		}
	}
	return ""
}
