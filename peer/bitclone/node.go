package bitclone

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/addrbook"
)

// Node is a BitClone peer: the first protocol on a peer.Host. Create it
// with New, bind with Listen, serve with Run.
//
// The host owns the listener, the connection table, bans, drops and the
// dial budget; the node owns the BitClone policy: the address book and the
// peers file, gossip, self-detection, the simultaneous-dial tie-break and
// keeping Target connections. Its shared state is guarded by the host's
// mutex (mu), so that a decision spanning both (dial this address unless it
// is connected or in flight) is atomic; the mutex is never held across I/O.
// Each connection's reader goroutine runs that connection's protocol logic
// (session) and touches the shared state only for what is shared:
// handshake completion, addresses.
type Node struct {
	cfg     Config
	hostCfg peer.HostConfig // gathered by New's options
	host    *peer.Host
	nonce   uint64 // our version nonce, for the node's lifetime

	rngMu sync.Mutex
	rng   *mrand.Rand

	listen   netip.AddrPort // bound address
	localIPs map[netip.Addr]bool

	kick  chan struct{} // wakes the maintainer to fill connections
	dirty chan struct{} // tells the maintainer the address book changed: save soon

	mu        *sync.Mutex // the host's
	scans     int         // address book scans by fillNow (tests check they stay few)
	book      *addrbook.Book
	peersFile *addrbook.File               // set once loadPeers has read it; nil before
	byListen  map[netip.AddrPort]*session  // established, by remote listening address
	selfAddrs map[netip.AddrPort]time.Time // addresses a dial of ours found to be us, and when (see markSelf)
	relay     map[netip.AddrPort]relayItem
	external  map[netip.AddrPort]int // our address as peers report it, with counts
	extBest   netip.AddrPort
	// :connect targets the book did not know, with their failed tries; they
	// enter the book only once reached.
	manual map[netip.AddrPort]*manualDial
}

// Option changes how a Node is built.
type Option func(*Node)

// WithDialer replaces the TCP dialer (tests dial in-memory pipes).
func WithDialer(d func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)) Option {
	return func(n *Node) { n.hostCfg.Dial = d }
}

// WithListener serves on l instead of binding cfg's address.
func WithListener(l net.Listener) Option {
	return func(n *Node) { n.hostCfg.Listener = l }
}

// WithRecorder has every connection's traffic recorded, byte for byte.
func WithRecorder(r peer.Recorder) Option {
	return func(n *Node) { n.hostCfg.Recorder = r }
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
		byListen:  make(map[netip.AddrPort]*session),
		selfAddrs: make(map[netip.AddrPort]time.Time),
		relay:     make(map[netip.AddrPort]relayItem),
		external:  make(map[netip.AddrPort]int),
		manual:    make(map[netip.AddrPort]*manualDial),
	}
	n.book = addrbook.New(n.cfg.MaxAddrs)
	n.hostCfg = n.cfg.hostConfig()
	for _, o := range opts {
		o(n)
	}
	n.host = peer.NewHost(n.hostCfg, protocol{n})
	n.mu = n.host.Mutex()
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

// Listen binds the listening socket, so that a busy port is reported before
// any front end starts. Run calls it if it has not been called.
func (n *Node) Listen() error {
	if err := n.host.Listen(); err != nil {
		return err
	}
	n.bound()
	return nil
}

// bound notes the listening address and this machine's addresses, which
// self-detection needs.
func (n *Node) bound() {
	n.listen = n.host.Addr()
	n.localIPs = peer.LocalIPs()
}

// Addr is the listening address (valid after Listen).
func (n *Node) Addr() netip.AddrPort { return n.listen }

// Events delivers what happens; it is closed when Run has returned.
func (n *Node) Events() <-chan []peer.Event { return n.host.Events() }

// ReleaseEvents takes back a batch from Events that the front end is done
// with, for reuse (see peer.Bus.Release).
func (n *Node) ReleaseEvents(batch []peer.Event) { n.host.ReleaseEvents(batch) }

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
func (n *Node) Run(ctx context.Context) error { return n.host.Run(ctx) }

// Do executes a command from a front end. It never blocks on the network.
func (n *Node) Do(c peer.Command) error { return n.host.Do(c) }

// Snapshot returns a copy of the node's state for display.
func (n *Node) Snapshot() peer.Snapshot { return n.host.Snapshot() }

// Conn returns what Snapshot would say of connection id, and false when
// there is no such connection. It copies neither the address book nor the
// other connections, so a caller watching one connection (the stress
// tool's honest peer) costs the node almost nothing.
func (n *Node) Conn(id uint64) (peer.ConnInfo, bool) { return n.host.Conn(id) }

// start loads the peers file, before the first connection is accepted.
func (n *Node) start() {
	if n.localIPs == nil { // Run bound the listener, not Listen
		n.bound()
	}
	n.loadPeers()
	n.info(fmt.Sprintf("listening on %s as %q, nonce %d", n.host.ListenerAddr(), n.cfg.UserAgent, n.nonce))
}

// stop saves the peers file, once every connection has ended.
func (n *Node) stop() {
	if n.cfg.PeersFile != "" && n.savePeers() == nil {
		n.info("saved the address book to " + n.cfg.PeersFile)
	}
}

// closedLocked is the BitClone part of a connection's end: the address
// book's view of the peer, and whether it misbehaved.
func (n *Node) closedLocked(s *session, err error) (misbehaved bool, notes []peer.Event) {
	reason := "closed"
	if err != nil {
		reason = err.Error()
	}
	if cur, ok := n.byListen[s.listenAddr()]; ok && cur == s {
		delete(n.byListen, s.listenAddr())
	}
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
	var m *misbehaviour
	return errors.As(err, &m) || errors.Is(err, wire.ErrLineTooLong), notes
}

// isFailure reports whether a connection we dialled that ended before its
// handshake counts against the address: not when we closed it ourselves.
func isFailure(err error) bool {
	for _, ours := range []error{errDuplicate, errSelf, peer.ErrShutdown, peer.ErrDroppedByUser} {
		if errors.Is(err, ours) {
			return false
		}
	}
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
	var c *peer.Conn
	if s != nil {
		c = s.conn
	}
	n.host.Note(kind, c, text)
}

func (n *Node) info(text string) { n.host.Info(text) }
