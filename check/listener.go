package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// maxCallers bounds the connections to our listener held at once: the
// peer's, and those of classmates' peers it gave our address to.
const maxCallers = 16

// listener is the run's one address. A dialect names it as the sender, so
// the peer learns it, gossips it and dials it; whoever dials it while the
// run lasts gets a proper handshake (Suite.Answer) and a connection that
// answers (Suite.Hold), so nobody records it as dead. The first connection
// from the peer's IP is judged, with Options.Listen. A Listener shares one
// among many runs.
type listener struct {
	// home is the Env that Answer and Hold get, and whose end ends every
	// connection to us: the run's, or a shared Listener's own.
	home  *Env
	ln    net.Listener
	us    netip.AddrPort
	judge bool // judge the peer's first connection (Options.Listen is set)
	wg    sync.WaitGroup

	// perPeer, for a shared listener, keeps turns per peer (see peerTurns).
	perPeer *peerTurns

	mu      sync.Mutex
	conns   map[*Conn]bool
	held    map[*Conn]bool           // handshake done, answering (see Suite.Hold)
	claims  map[*Conn]netip.AddrPort // the listening address a connection claims (Env.Claim)
	closing bool
	claimed bool          // the peer's first connection is taken for judging
	judged  chan struct{} // closed once first is set
	first   DialIn
}

// DialIn is the judgement of the peer's first connection to us.
type DialIn struct {
	At     time.Time // when we accepted it
	Result Result
}

// listen opens e's listener at addr ("PORT" or "HOST:PORT") and makes it
// e's (e.ln, e.us) before the first connection can come; the host defaults
// to ours on the way to the peer, the port to a free one. judge judges the
// peer's first connection to it; shared takes turns per peer (Listener).
func (e *Env) listen(addr string, ours netip.Addr, judge, shared bool) error {
	host, port := "", addr
	if strings.Contains(port, ":") {
		var err error
		if host, port, err = net.SplitHostPort(port); err != nil {
			return fmt.Errorf("listen %q: %w", addr, err)
		}
	}
	if host == "" {
		host = ours.String()
	}
	if port == "" {
		port = "0"
	}
	ln, err := e.net.Listen(net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	us := addrPortOf(ln.Addr())
	if us.Addr().IsUnspecified() {
		us = netip.AddrPortFrom(ours, us.Port()) // bound to every interface: name the one the peer reaches
	}
	l := &listener{home: e, ln: ln, us: us, judge: judge, conns: map[*Conn]bool{}, held: map[*Conn]bool{},
		claims: map[*Conn]netip.AddrPort{}, judged: make(chan struct{})}
	if shared {
		l.perPeer = &peerTurns{}
	}
	e.ln, e.us = l, us
	l.wg.Go(l.serve)
	return nil
}

func (l *listener) serve() {
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			return
		}
		at := time.Now()
		l.mu.Lock()
		if l.closing || len(l.conns) >= maxCallers || l.home.suite.Answer == nil {
			l.mu.Unlock()
			nc.Close()
			continue
		}
		in := newConn(l.home.ctx, nc, &l.home.suite.Framing, l.home.o.Pace)
		l.conns[in] = true
		l.mu.Unlock()
		l.wg.Go(func() { l.handle(in, at) })
	}
}

// handle answers the handshake on one connection to us, judging it if it
// is the peer's first, and then holds it until the run ends.
func (l *listener) handle(in *Conn, at time.Time) {
	defer func() {
		l.mu.Lock()
		delete(l.conns, in)
		delete(l.held, in)
		delete(l.claims, in)
		l.mu.Unlock()
		in.Close()
	}()
	judge := l.judge && in.remote.Addr() == l.home.peerIP && l.claim()
	r := l.home.suite.Answer(l.home, in, judge, func() { l.markHeld(in) })
	if judge {
		l.mu.Lock()
		l.first = DialIn{At: at, Result: r}
		l.mu.Unlock()
		close(l.judged)
	}
	if r.Verdict != Fail {
		l.hold(in)
	}
}

// claim takes the peer's first connection for judging.
func (l *listener) claim() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claimed {
		return false
	}
	l.claimed = true
	return true
}

// hold keeps a connection whose handshake is done, served by the dialect
// (or silent), until the caller or the run ends it, or yield closes it.
func (l *listener) hold(in *Conn) {
	if l.home.suite.Hold != nil {
		l.home.suite.Hold(l.home, in)
		return
	}
	for {
		if _, err := in.Recv(); err != nil {
			return
		}
	}
}

// markHeld makes a connection whose handshake is done one that yield hangs up.
func (l *listener) markHeld(in *Conn) {
	l.mu.Lock()
	l.held[in] = true
	l.mu.Unlock()
}

// yield hangs up the held connections to us from the peer's IP (peerIP)
// before a connection of ours to it opens; those that claim another
// listening address than the peer's (when it is known) stay. Ours claims the same address with a new nonce, and a peer
// that keeps an established connection while it answers pings (bitclone
// does) would refuse ours; hung up, the old one is what a new run of ours
// replaces.
func (l *listener) yield(peerIP netip.Addr, peer netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for in := range l.held {
		claim, claimed := l.claims[in]
		if in.remote.Addr() == peerIP && (!claimed || !peer.IsValid() || claim == peer) {
			in.hangUp() // hold and handle close the rest
		}
	}
}

// claimFor notes the listening address a connection to us claims.
func (l *listener) claimFor(in *Conn, peer netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[in] {
		l.claims[in] = peer
	}
}

// firstDial waits up to d for the judgement of the peer's first connection
// to us; d = 0 only looks.
func (l *listener) firstDial(d time.Duration) (DialIn, bool) {
	select {
	case <-l.judged:
	default:
		if d <= 0 {
			return DialIn{}, false
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-l.judged:
		case <-t.C:
			return DialIn{}, false
		case <-l.home.ctx.Done():
			return DialIn{}, false
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first, true
}

// close stops the listener and ends every connection to it. The run's
// context must be done first, so that no handshake waits for a turn.
func (l *listener) close() {
	l.mu.Lock()
	l.closing = true
	for in := range l.conns {
		in.hangUp() // the handler closes the rest
	}
	l.mu.Unlock()
	l.ln.Close()
	l.wg.Wait()
}

// Listener is one address of ours that many runs share, for as long as it
// is open: bitclone crawl claims one address for a whole crawl, and checks
// every peer it finds from there (Options.Shared). Whoever dials it gets a
// handshake and a connection that answers, as a run's own listener gives.
// The runs on it take turns per peer: a handshake with us that claims a
// peer's address (Env.Claim) never completes while a connection of ours to
// that peer is open, and a connection of ours hangs up the held ones that
// claim its peer's address (or none, from its IP); other peers' go on.
// Its runs do not judge the peer's first dial: it cannot be told apart
// from the others'.
type Listener struct{ l *listener }

// Listen opens a shared listener at addr ("HOST:PORT", port 0 for a free
// one) that answers with suite s and options o; Close ends it.
func Listen(ctx context.Context, addr string, s *Suite, o Options, nw Network) (*Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("listen %q: want an IP address: %w", addr, err)
	}
	home := &Env{o: o.WithDefaults(), net: nw, suite: s}
	home.ctx, home.cancel = context.WithCancel(ctx)
	if err := home.listen(addr, ip, false, true); err != nil {
		home.cancel()
		return nil, err
	}
	return &Listener{home.ln}, nil
}

// Addr is the address the listener claims.
func (l *Listener) Addr() netip.AddrPort { return l.l.us }

// Close stops the listener and ends every connection to it; the runs on it
// must have ended.
func (l *Listener) Close() {
	l.l.home.cancel()
	l.l.close()
}
