package bitclone

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/addrbook"
	"github.com/bitclone/bitclone/peer/fdreserve"
)

// Node is a BitClone peer. Create it with New, bind with Listen, serve with Run.
//
// Shared state (connections, address book, bans) lives in one mutex-guarded
// struct; the mutex is never held across I/O. Each connection's reader
// goroutine runs that connection's protocol logic (session) and touches the
// shared state only for what is shared: handshake completion, addresses.
type Node struct {
	cfg      Config
	bus      *peer.Bus
	recorder peer.Recorder
	dial     func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)
	nonce    uint64 // our version nonce, for the node's lifetime

	rngMu sync.Mutex
	rng   *mrand.Rand

	ln       net.Listener
	listen   netip.AddrPort // bound address
	localIPs map[netip.Addr]bool

	// ctx is the node's lifetime, from New until Run's context ends, so that
	// commands given before Run (a script piped to stdin) already work.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the node starts
	kick   chan struct{}  // wakes the maintainer to fill connections
	dirty  chan struct{}  // tells the maintainer the address book changed: save soon

	// saveMu serialises saves, and guards saveSpare: a descriptor kept
	// back so that the peers file can be written at the descriptor limit.
	saveMu    sync.Mutex
	saveSpare *fdreserve.Spare

	mu        sync.Mutex
	nextID    uint64
	sessions  map[uint64]*session
	byListen  map[netip.AddrPort]*session // established, by remote listening address
	dialing   map[netip.AddrPort]bool
	dials     tokenBucket // the dial budget of fillNow (DialsPerSecond)
	scans     int         // address book scans by fillNow (tests check they stay few)
	book      *addrbook.Book
	peersFile *addrbook.File // set once loadPeers has read it; nil before
	bans      map[netip.Addr]time.Time
	selfAddrs map[netip.AddrPort]time.Time // addresses a dial of ours found to be us, and when (see markSelf)
	relay     map[netip.AddrPort]relayItem
	external  map[netip.AddrPort]int // our address as peers report it, with counts
	extBest   netip.AddrPort
	refused   int // inbound connections refused since the last warning
	atLimit   int // inbound connections let in at the descriptor limit
	// heard notes, per inbound connection (by ID), whether its peer has
	// sent a byte yet: connections that sent nothing are evicted first.
	heard map[uint64]*heardConn
	// Peers the user dropped, until when: by listening address, and by IP
	// when not on loopback (so that their inbound connections are refused
	// before they say a word).
	dropped    map[netip.AddrPort]time.Time
	droppedIPs map[netip.Addr]time.Time
	// :connect targets the book did not know, with their failed tries; they
	// enter the book only once reached.
	manual   map[netip.AddrPort]*manualDial
	stopping bool
}

// Option changes how a Node is built.
type Option func(*Node)

// WithDialer replaces the TCP dialer (tests dial in-memory pipes).
func WithDialer(d func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)) Option {
	return func(n *Node) { n.dial = d }
}

// WithListener serves on l instead of binding cfg's address.
func WithListener(l net.Listener) Option {
	return func(n *Node) { n.ln = l }
}

// WithRecorder has every connection's traffic recorded, byte for byte.
func WithRecorder(r peer.Recorder) Option {
	return func(n *Node) { n.recorder = r }
}

// WithSeed makes nonces reproducible (tests); by default they come from crypto/rand.
func WithSeed(seed uint64) Option {
	return func(n *Node) { n.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// New makes a node; nothing runs until Run.
func New(cfg Config, opts ...Option) *Node {
	n := &Node{
		cfg:       cfg.withDefaults(),
		kick:      make(chan struct{}, 1),
		dirty:     make(chan struct{}, 1),
		sessions:  make(map[uint64]*session),
		byListen:  make(map[netip.AddrPort]*session),
		dialing:   make(map[netip.AddrPort]bool),
		heard:     make(map[uint64]*heardConn),
		dials:     tokenBucket{rate: DialsPerSecond, burst: DialBurst},
		bans:      make(map[netip.Addr]time.Time),
		selfAddrs: make(map[netip.AddrPort]time.Time),
		relay:     make(map[netip.AddrPort]relayItem),
		external:  make(map[netip.AddrPort]int),

		dropped:    make(map[netip.AddrPort]time.Time),
		droppedIPs: make(map[netip.Addr]time.Time),
		manual:     make(map[netip.AddrPort]*manualDial),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.book = addrbook.New(n.cfg.MaxAddrs)
	n.bus = peer.NewBus(n.cfg.EventBacklog)
	n.bus.SetQuiet(n.cfg.NoMessageEvents)
	n.dial = n.dialTCP
	for _, o := range opts {
		o(n)
	}
	if n.rng == nil {
		var seed [16]byte
		rand.Read(seed[:])
		n.rng = mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	n.nonce = n.randNonce()
	return n
}

// randNonce returns a random non-zero number.
func (n *Node) randNonce() uint64 {
	n.rngMu.Lock()
	defer n.rngMu.Unlock()
	for {
		if v := n.rng.Uint64(); v != 0 {
			return v
		}
	}
}

func (n *Node) dialTCP(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{Timeout: n.cfg.HandshakeTimeout}
	return d.DialContext(ctx, "tcp", addr.String())
}

// Listen binds the listening socket, so that a busy port is reported before
// any front end starts. Run calls it if it has not been called.
func (n *Node) Listen() error {
	if n.ln == nil {
		ln, err := net.Listen("tcp", net.JoinHostPort(n.cfg.ListenHost, strconv.Itoa(n.cfg.Port)))
		if err != nil {
			return err
		}
		n.ln = ln
	}
	if ta, ok := n.ln.Addr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		n.listen = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	n.localIPs = localIPs()
	return nil
}

// localIPs lists this machine's addresses, so we never dial ourselves.
func localIPs() map[netip.Addr]bool {
	ips := map[netip.Addr]bool{}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			ips[p.Addr().Unmap()] = true
		}
	}
	return ips
}

// Addr is the listening address (valid after Listen).
func (n *Node) Addr() netip.AddrPort { return n.listen }

// Events delivers what happens; it is closed when Run has returned.
func (n *Node) Events() <-chan []peer.Event { return n.bus.Events() }

// ReleaseEvents takes back a batch from Events that the front end is done
// with, for reuse (see peer.Bus.Release).
func (n *Node) ReleaseEvents(batch []peer.Event) { n.bus.Release(batch) }

// Validate judges line by the spec; see the package function.
func (n *Node) Validate(line string) peer.Verdict { return Validate(line) }

// Validate judges a typed BitClone line by the spec: wire.Strict's
// deviations make it Lenient, a parse error Invalid.
func Validate(line string) peer.Verdict {
	devs, err := wire.Strict([]byte(line))
	switch {
	case err != nil:
		return peer.Verdict{Level: peer.Invalid, Text: err.Error()}
	case len(devs) > 0:
		text := devs[0].String()
		for _, d := range devs[1:] {
			text += "; " + d.String()
		}
		return peer.Verdict{Level: peer.Lenient, Text: text}
	}
	return peer.Verdict{Level: peer.Valid}
}

// Run serves until ctx ends, then closes every connection, saves the peers
// file and closes the event channel.
func (n *Node) Run(ctx context.Context) error {
	defer n.bus.Close()
	if n.ln == nil {
		if err := n.Listen(); err != nil {
			return err
		}
	}
	n.loadPeers()
	n.saveMu.Lock()
	n.saveSpare = fdreserve.New()
	n.saveMu.Unlock()
	n.info(fmt.Sprintf("listening on %s as %q, nonce %d", n.ln.Addr(), n.cfg.UserAgent, n.nonce))

	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.acceptLoop() }()
	go func() { defer n.wg.Done(); n.maintain(n.ctx) }()

	<-ctx.Done()
	n.cancel()
	n.mu.Lock()
	n.stopping = true
	for _, s := range n.sessions {
		s.conn.Close(errShutdown)
	}
	n.mu.Unlock()
	n.ln.Close()
	n.wg.Wait()
	if n.cfg.PeersFile != "" && n.savePeers() == nil {
		n.info("saved the address book to " + n.cfg.PeersFile)
	}
	n.saveMu.Lock()
	n.saveSpare.Close()
	n.saveSpare = nil
	n.saveMu.Unlock()
	return nil
}

var errShutdown = errors.New("shutting down")

func (n *Node) acceptLoop() {
	// spare is a descriptor kept back for when the table is full: see
	// acceptAtLimit.
	spare := fdreserve.New()
	defer spare.Close()
	for {
		nc, err := n.ln.Accept()
		if err != nil && fdreserve.Exhausted(err) && spare.Held() && n.ctx.Err() == nil {
			nc, err = n.acceptAtLimit(spare)
			if err == nil && nc == nil {
				continue // no room was made: the newcomer was closed
			}
		}
		if err != nil {
			if n.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.publish(peer.KindError, nil, "accept: "+err.Error())
			// A persistent accept error (out of descriptors) must not spin.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-n.ctx.Done():
				return
			}
			spare.Reacquire() // if it was lost, and a descriptor is free again
			continue
		}
		n.accept(nc)
	}
}

// How long acceptAtLimit tries to take its spare back: the descriptor the
// eviction freed may be in use for a moment by another open in the process
// (a dial that fails at once).
const (
	spareTries = 100
	spareWait  = time.Millisecond
)

// acceptAtLimit is called when Accept failed for lack of descriptors, so
// that silent connections cannot lock every newcomer out until their
// handshake timeout: it releases the spare descriptor, accepts the waiting
// connection with it, and makes room by closing the inbound connection
// least worth keeping that has not sent a valid version (see
// leastWorthLocked), or else the newcomer; then it takes the spare back. It
// returns the newcomer to admit, or nil when it was closed.
func (n *Node) acceptAtLimit(spare *fdreserve.Spare) (net.Conn, error) {
	spare.Release()
	nc, err := n.ln.Accept()
	if err != nil {
		spare.Reacquire()
		return nil, err
	}
	n.mu.Lock()
	victim, rank := n.leastWorthLocked()
	if victim != nil && rank < sentVersion {
		victim.conn.Close(errEvictedAtLimit)
	} else {
		victim = nil
	}
	n.atLimit++
	count := n.atLimit
	n.mu.Unlock()
	newcomer := peer.AddrPortOf(nc.RemoteAddr())
	if victim == nil {
		nc.Close()
		nc = nil
	}
	for i := 0; spare.Reacquire() != nil && i < spareTries; i++ {
		time.Sleep(spareWait)
	}
	if bits.OnesCount(uint(count)) == 1 {
		what := "closed " + newcomer.String() + ": every inbound connection has sent a version"
		if victim != nil {
			what = fmt.Sprintf("closed %s (%s) to let %s in", victim.conn.Remote(), rank, newcomer)
		}
		n.publish(peer.KindWarn, nil, fmt.Sprintf("out of file descriptors: %s (%d at the limit so far)", what, count))
	}
	return nc, nil
}

// accept admits an inbound connection, or refuses it when a limit says so.
func (n *Node) accept(nc net.Conn) {
	remote := peer.AddrPortOf(nc.RemoteAddr())
	now := time.Now()
	n.mu.Lock()
	reason := n.refuseReason(remote.Addr(), now)
	if reason != "" {
		n.refused++
		count := n.refused
		n.mu.Unlock()
		nc.Close()
		// One warning per power of two refusals: visible, never a flood.
		if bits.OnesCount(uint(count)) == 1 {
			n.publish(peer.KindWarn, nil, fmt.Sprintf("refused inbound %s: %s (%d refused so far)", remote, reason, count))
		}
		return
	}
	n.mu.Unlock()
	n.startConn(nc, peer.Inbound, netip.AddrPort{})
}

// refuseReason applies the inbound limits; "" admits. Called with n.mu held.
func (n *Node) refuseReason(ip netip.Addr, now time.Time) string {
	if n.stopping {
		return "shutting down"
	}
	if until, ok := n.bans[ip]; ok && now.Before(until) {
		return "banned until " + until.Format("15:04:05")
	}
	if until, ok := n.droppedIPs[ip]; ok && now.Before(until) {
		return "dropped by the user until " + until.Format("15:04:05")
	}
	inbound, handshaking := 0, 0
	for _, s := range n.sessions {
		if s.conn.Dir() != peer.Inbound || s.conn.Err() != nil {
			continue // outbound, or already closing
		}
		inbound++
		if !s.isEstablished() && s.conn.Remote().Addr() == ip {
			handshaking++
		}
	}
	if !ip.IsLoopback() && handshaking >= n.cfg.MaxHandshakingPerIP {
		return fmt.Sprintf("%d connections from %s still handshaking", handshaking, ip)
	}
	if inbound >= n.cfg.MaxInbound {
		victim, _ := n.leastWorthLocked()
		if victim == nil {
			return fmt.Sprintf("%d inbound connections already", inbound)
		}
		// Make room by evicting a connection still handshaking:
		// otherwise a few silent connections lock every honest newcomer
		// out until the handshake timeout. Established peers are never
		// evicted, and one that has sent a valid version only last.
		victim.conn.Close(errEvicted)
	}
	return ""
}

var (
	errEvicted        = errors.New("evicted: inbound connections full and this one still handshaking")
	errEvictedAtLimit = errors.New("evicted: out of file descriptors and this one had sent no version")
)

// progress is how far an inbound connection still handshaking has come;
// the lowest is evicted first.
type progress int

const (
	sentNothing progress = iota // not a byte: most likely a silent attacker
	sentBytes                   // something, but no valid version yet
	sentVersion                 // a valid version: most likely an honest newcomer
)

func (p progress) String() string {
	switch p {
	case sentNothing:
		return "it had sent nothing"
	case sentBytes:
		return "it had sent no valid version"
	}
	return "it was still handshaking"
}

// leastWorthLocked returns the inbound connection still handshaking that is
// least worth keeping, with its progress: the one that has sent the least,
// the oldest among equals; nil if there is none. Called with n.mu held.
func (n *Node) leastWorthLocked() (*session, progress) {
	var victim *session
	var least progress
	for _, s := range n.sessions {
		if s.conn.Dir() != peer.Inbound || s.conn.Err() != nil || s.isEstablished() {
			continue
		}
		p := n.progressLocked(s)
		if victim == nil || p < least || p == least && s.conn.Started().Before(victim.conn.Started()) {
			victim, least = s, p
		}
	}
	return victim, least
}

// progressLocked says how far an inbound connection's handshake has come.
// Called with n.mu held.
func (n *Node) progressLocked(s *session) progress {
	s.mu.Lock()
	gotVersion := s.remoteNonce != 0 // set only by a valid version
	s.mu.Unlock()
	switch {
	case gotVersion:
		return sentVersion
	case n.heard[s.conn.ID()].sentAny():
		return sentBytes
	}
	return sentNothing
}

// heardConn notes whether its peer has sent a byte yet.
type heardConn struct {
	net.Conn
	heard atomic.Bool
}

func (c *heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.heard.Load() {
		c.heard.Store(true)
	}
	return n, err
}

func (c *heardConn) sentAny() bool { return c != nil && c.heard.Load() }

// startConn registers a connection and runs it on a goroutine of its own.
// dialed is the address we dialled (outbound) and is the remote's listening
// address from the start.
func (n *Node) startConn(nc net.Conn, dir peer.Direction, dialed netip.AddrPort) {
	n.mu.Lock()
	if dir == peer.Outbound {
		// Out of flight and into the table under one lock: fillNow must
		// never see the peer in neither, or it dials it a second time.
		delete(n.dialing, dialed)
	}
	if n.stopping {
		n.mu.Unlock()
		nc.Close()
		return
	}
	n.nextID++
	if dir == peer.Inbound {
		h := &heardConn{Conn: nc}
		n.heard[n.nextID] = h
		nc = h
	}
	conn := peer.NewConn(nc, peer.ConnConfig{
		ID:          n.nextID,
		Dir:         dir,
		Framing:     framing,
		Bus:         n.bus,
		IdleTimeout: n.cfg.IdleTimeout,
		Pace:        n.cfg.Pace,
		Recorder:    n.recorder,
	})
	s := newSession(n, conn, dialed)
	n.sessions[conn.ID()] = s
	n.wg.Add(1)
	n.mu.Unlock()

	n.publishConn(peer.KindConnected, conn, "")
	go func() {
		defer n.wg.Done()
		s.run()
	}()
}

// closed is called once a session's connection has ended.
func (n *Node) closed(s *session, err error) {
	reason := "closed"
	if err != nil {
		reason = err.Error()
	}
	n.mu.Lock()
	delete(n.sessions, s.conn.ID())
	delete(n.heard, s.conn.ID())
	if cur, ok := n.byListen[s.listenAddr()]; ok && cur == s {
		delete(n.byListen, s.listenAddr())
	}
	var notes []peer.Event
	// The peer closing our connection while another one to it is up (the
	// loser of two dials at once) says nothing against its address.
	stillConnected := n.byListen[s.dialed] != nil
	if s.conn.Dir() == peer.Outbound && isFailure(err) && !stillConnected {
		switch {
		case !s.isEstablished():
			notes = n.dialFailedLocked(s.dialed, reason, time.Now())
		case time.Since(s.conn.Started()) < n.cfg.RetryBase:
			// Closed as soon as it was up: the losing end of two dials at
			// once, seen before the winner's version arrived, or a peer
			// that drops us. Redialling at once would only repeat it, so
			// the address backs off from now (MarkSuccess resets that).
			n.book.MarkAttempt(s.dialed, time.Now())
			n.book.MarkFailed(s.dialed)
		}
	}
	var misbehaved *misbehaviour
	banned := false
	if errors.As(err, &misbehaved) || errors.Is(err, wire.ErrLineTooLong) {
		banned = n.banLocked(s.conn.Remote().Addr(), time.Now())
	}
	n.mu.Unlock()
	if banned {
		reason += fmt.Sprintf("; %s banned for %s", s.conn.Remote().Addr(), n.cfg.BanFor)
	}
	n.publishConn(peer.KindClosed, s.conn, reason)
	for _, e := range notes {
		n.bus.Publish(e)
	}
	n.fill()
}

// isFailure reports whether a connection we dialled that ended before its
// handshake counts against the address: not when we closed it ourselves.
func isFailure(err error) bool {
	for _, ours := range []error{errDuplicate, errSelf, errShutdown, errDroppedByUser} {
		if errors.Is(err, ours) {
			return false
		}
	}
	return true
}

// banLocked bans ip unless it is on loopback (many local peers share it).
func (n *Node) banLocked(ip netip.Addr, now time.Time) bool {
	if !ip.IsValid() || ip.IsLoopback() {
		return false
	}
	n.bans[ip] = now.Add(n.cfg.BanFor)
	return true
}

// bookChanged asks the maintainer to save the peers file soon. It never
// blocks, so it may be called with n.mu held.
func (n *Node) bookChanged() {
	select {
	case n.dirty <- struct{}{}:
	default:
	}
}

// fill asks the maintainer to dial more peers if we are below the target.
func (n *Node) fill() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (n *Node) publish(kind peer.Kind, s *session, text string) {
	e := peer.Event{At: time.Now(), Kind: kind, Text: text}
	if s != nil {
		e.ConnID, e.Peer, e.Dir = s.conn.ID(), s.conn.RemoteString(), s.conn.Dir()
	}
	n.bus.Publish(e)
}

func (n *Node) publishConn(kind peer.Kind, c *peer.Conn, text string) {
	n.bus.Publish(peer.Event{At: time.Now(), Kind: kind, ConnID: c.ID(), Peer: c.RemoteString(), Dir: c.Dir(), Text: text})
}

func (n *Node) info(text string) { n.publish(peer.KindInfo, nil, text) }
