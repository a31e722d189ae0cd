package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Env is what every probe gets: where the peer is, how to reach it, the
// run's one address of ours, and the root cause of a failed handshake.
type Env struct {
	ctx    context.Context
	cancel context.CancelFunc
	target string
	o      Options
	net    Network
	suite  *Suite

	// peerIP is the peer's address as we reach it, so that we know its
	// connections to us from a classmate's; on a shared listener, peer is
	// the whole target, which its handshakes with us claim (Claim).
	peerIP netip.Addr
	peer   netip.AddrPort
	// us is where our listener takes connections: a dialect names it as
	// the sender where its protocol has one, so the peer learns (and
	// gossips) one address of ours, and one that answers while the run
	// lasts.
	us    netip.AddrPort
	ln    *listener
	owned bool // ln is the run's own, not Options.Shared
	turns *turns

	greetedOnce atomic.Bool // the peer has answered a greeting in full
	failMu      sync.Mutex
	noHandshake error // the first handshake that failed
}

// NewEnv reaches the peer once, to learn our IP on the way to it, and opens
// the run's listener there (or at Options.Listen). With Options.Shared it
// does neither: the run uses that listener, and target must be IP:PORT.
// Close ends it all. Run makes one; a test of one probe can too.
func NewEnv(ctx context.Context, target string, s *Suite, o Options, nw Network) (*Env, error) {
	e := &Env{target: target, o: o.WithDefaults(), net: nw, suite: s}
	if sh := e.o.Shared; sh != nil {
		ap, err := netip.ParseAddrPort(target)
		if err != nil {
			return nil, fmt.Errorf("check: a run on a shared listener wants IP:PORT: %w", err)
		}
		e.peer = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		e.peerIP, e.ln, e.us = e.peer.Addr(), sh.l, sh.l.us
		e.ctx, e.cancel = context.WithCancel(ctx)
		return e, nil
	}
	e.ctx, e.cancel = context.WithCancel(ctx)
	e.turns, e.owned = new(turns), true
	nc, err := nw.Dial(e.ctx, target, e.o.Timeout)
	if err != nil {
		e.cancel()
		return nil, fmt.Errorf("cannot reach %s: %w", target, err)
	}
	local := addrPortOf(nc.LocalAddr())
	e.peerIP = addrPortOf(nc.RemoteAddr()).Addr()
	nc.Close()
	if err := e.listen(e.o.Listen, local.Addr(), e.o.Listen != "", false); err != nil {
		e.cancel()
		return nil, err
	}
	return e, nil
}

// Close ends the run: every wait, our listener and the connections to it
// (a shared listener stays open).
func (e *Env) Close() {
	e.cancel()
	if e.owned {
		e.ln.close()
	}
}

// Ctx ends with the run.
func (e *Env) Ctx() context.Context { return e.ctx }

// Options are the run's, defaults filled in.
func (e *Env) Options() Options { return e.o }

// Us is where the run listens: the address to name as ours.
func (e *Env) Us() netip.AddrPort { return e.us }

// Dial opens a probe connection, once it is our turn (see turns).
func (e *Env) Dial() (*Conn, error) { return e.DialPaced(e.o.Pace) }

// DialPaced is Dial with another gap between writes.
func (e *Env) DialPaced(pace time.Duration) (*Conn, error) {
	release, err := e.turn(e.peer, true)
	if err != nil {
		return nil, err
	}
	e.ln.yield(e.peerIP, e.peer)
	nc, err := e.net.Dial(e.ctx, e.target, e.o.Timeout)
	if err != nil {
		release()
		return nil, err
	}
	c := newConn(e.ctx, nc, &e.suite.Framing, pace)
	c.release = release
	return c, nil
}

// TheirTurnFor waits for a turn to complete a handshake the peer opened
// with us, claiming the listening address peer, so that it never completes
// in the middle of a probe (see turns); release ends it. On a shared
// listener it waits only for our connections to that peer: call Claim
// first.
func (e *Env) TheirTurnFor(peer netip.AddrPort) (release func(), err error) {
	return e.turn(peer, false)
}

// Claim notes the listening address peer a connection to us claims in its
// handshake (BitClone: the peer's IP and its version's sender port), so
// that on a shared listener only a connection of ours to that address
// hangs it up. Unclaimed ones are hung up by any connection of ours to
// their IP.
func (e *Env) Claim(in *Conn, peer netip.AddrPort) { e.ln.claimFor(in, peer) }

// turn takes a turn: ours to dial e's peer, or theirs to complete a
// handshake with us. A run's own listener has one set of turns; a shared
// one, a set per peer.
func (e *Env) turn(peer netip.AddrPort, ours bool) (func(), error) {
	if e.ln.perPeer != nil {
		return e.ln.perPeer.take(e.ctx, peer, ours)
	}
	if ours {
		return e.turns.ours(e.ctx)
	}
	return e.turns.theirs(e.ctx)
}

// FirstDial waits up to d for the judgement of the peer's first
// connection to us (with Options.Listen); d = 0 only looks.
func (e *Env) FirstDial(d time.Duration) (DialIn, bool) {
	if !e.owned {
		return DialIn{}, false // a shared listener judges no first dial
	}
	return e.ln.firstDial(d)
}

// HandshakeError is a handshake of ours that failed: the peer did not send
// its part, or we could not send ours.
type HandshakeError struct {
	Doing string // "waiting for its verack"
	Err   error
}

func (e *HandshakeError) Error() string { return "handshake: " + e.Doing + ": " + e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

// FailedHandshake notes a failed handshake (doing says at what step) as
// the root cause if it is the run's first, and returns it: once the probe
// that met it ends, the rest are not run, for they all need one.
func (e *Env) FailedHandshake(doing string, err error) error {
	herr := &HandshakeError{doing, err}
	if e.ctx.Err() != nil {
		return herr // the run is ending, the peer is not to blame
	}
	e.failMu.Lock()
	defer e.failMu.Unlock()
	if e.noHandshake == nil {
		e.noHandshake = herr
	}
	return herr
}

// Greeted notes that the peer answered a greeting in full: a later failed
// handshake is then checked against a fresh connection before the run
// stops.
func (e *Env) Greeted() { e.greetedOnce.Store(true) }

// handshakeFailed returns the run's first failed handshake, if any.
func (e *Env) handshakeFailed() error {
	e.failMu.Lock()
	defer e.failMu.Unlock()
	return e.noHandshake
}

// alive tells whether the peer still takes connections: a fresh connection
// and the dialect's hello must get some answer.
func (e *Env) alive() error {
	c, err := e.DialPaced(0)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err // "connect: connection refused", without the address again
		}
		return fmt.Errorf("a new connection fails: %w", err)
	}
	defer c.Close()
	err = c.Send(e.suite.Hello(e, c))
	switch {
	case err != nil:
	case e.suite.Answered != nil:
		err = e.suite.Answered(e, c)
	default:
		_, err = c.Next(e.o.Timeout)
	}
	switch {
	case err != nil && c.datagrams():
		// No connection to refuse: silence, or a closed port (ICMP port
		// unreachable, read as a refused socket), is the peer down.
		return fmt.Errorf("our %s from a fresh socket: %w", e.suite.HelloName, err)
	case IsClosed(err):
		return &refusedError{e.suite.HelloName}
	case err != nil:
		return fmt.Errorf("it accepts connections, but after our %s: %w", e.suite.HelloName, err)
	}
	return nil
}

// refusedError is a peer that takes a connection and closes it at once:
// alive, but refusing us, as a peer that has banned our IP does.
type refusedError struct{ hello string }

func (e *refusedError) Error() string {
	return "it accepts connections, but closes them without answering our " + e.hello + " (a ban?)"
}

// Failed is the result of a probe that could not get as far as its
// question.
func Failed(err error) Result {
	return Result{Verdict: Fail, Detail: err.Error()}
}
