package pex

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/addrbook"
	"github.com/bitclone/bitclone/peer/swarm"
)

// Node is a PEX node: the protocol on a peer.Host. Create it with New
// (which indexes --share and finds pieces already fetched), bind with
// Listen, serve with Run. It implements peer.Node.
//
// The node's state (the address book, the wanted pieces, the pieces it can
// give) is guarded by the host's mutex (mu), never held across I/O; each
// session guards its own fields with a lock taken after mu, never before.
type Node struct {
	swarm.Hosted

	cfg      Config
	opts     pex.Options
	host     *peer.Host
	mu       *sync.Mutex // the host's
	shared   []SharedPiece
	complete *swarm.Completion
	meter    swarm.Meter
	kick     chan struct{}
	writing  chan struct{}  // a slot per piece being written (MaxWriting)
	writers  sync.WaitGroup // the goroutines writing pieces

	// Under mu.
	listen  netip.AddrPort
	have    map[pex.Hash]location // pieces we can give: shared and fetched
	want    []pex.Hash            // in the order asked for
	wanted  map[pex.Hash]*wanted
	nGot    int
	known   map[netip.AddrPort]*known
	order   []netip.AddrPort // the address book, in the order learnt
	shunned map[netip.AddrPort]time.Time
	full    int // peers not recorded: the address book was full
	given   int // pieces given, all connections
	corrupt int // corrupt gives received, all connections
}

// Reasons a connection closes.
var (
	errBadPieces = errors.New("gave too many pieces that failed their SHA-256")
)

// New indexes the shared files, finds the wanted pieces already in Dest
// and makes the node; nothing runs until Run.
func New(cfg Config, opts ...Option) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Options.Check(); err != nil {
		return nil, err
	}
	if len(cfg.Want) > MaxWant {
		return nil, fmt.Errorf("%d pieces wanted: at most %d", len(cfg.Want), MaxWant)
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	size := cfg.Options.Piece()
	have, shared, err := indexShare(cfg.Share, size)
	if err != nil {
		return nil, fmt.Errorf("--share: %w", err)
	}
	n := &Node{
		cfg: cfg, opts: cfg.Options, shared: shared, have: have,
		complete: swarm.NewCompletion(),
		kick:     make(chan struct{}, 1),
		writing:  make(chan struct{}, MaxWriting),
		wanted:   map[pex.Hash]*wanted{},
		known:    map[netip.AddrPort]*known{},
		shunned:  map[netip.AddrPort]time.Time{},
	}
	for _, h := range cfg.Want {
		if n.wanted[h] != nil {
			continue
		}
		w := &wanted{}
		if l, ok := loadFetched(cfg.Dest, h, size); ok {
			w.got, w.from = true, "disk"
			n.have[h] = l
			n.nGot++
		} else if _, ok := have[h]; ok {
			w.got, w.from = true, "share"
			n.nGot++
		}
		n.wanted[h] = w
		n.want = append(n.want, h)
	}
	for _, a := range cfg.Bootstrap {
		if n.known[a] == nil {
			n.known[a] = &known{source: "bootstrap"}
			n.order = append(n.order, a)
		}
	}
	hc := o.host
	hc.ListenHost, hc.Port = cfg.ListenHost, cfg.Port
	hc.RetryBase, hc.RetryMax = cfg.RetryBase, cfg.RetryMax
	hc.BanFor = cfg.ShunFor
	hc.Pace = cfg.Pace
	hc.EventBacklog, hc.NoMessageEvents = cfg.EventBacklog, cfg.NoMessageEvents
	hc.HelloName = "peer message"
	n.host = peer.NewHost(hc, protocol{n})
	n.Hosted = swarm.Host(n.host)
	n.mu = n.host.Mutex()
	return n, nil
}

var (
	_ peer.Node          = (*Node)(nil)
	_ peer.EventReleaser = (*Node)(nil)
)

// Listen binds the listening socket, so that a busy port is reported
// before any front end starts.
func (n *Node) Listen() error {
	if err := n.host.Listen(); err != nil {
		return err
	}
	n.mu.Lock()
	n.listen = n.host.Addr()
	n.mu.Unlock()
	return nil
}

// Options are the wire's byte order and piece size.
func (n *Node) Options() pex.Options { return n.opts }

// Shared lists every piece of the shared files, in file order.
func (n *Node) Shared() []SharedPiece { return slices.Clone(n.shared) }

// Completed is closed once every wanted piece is fetched and verified (at
// once when nothing is wanted or all was found on disk).
func (n *Node) Completed() <-chan struct{} { return n.complete.Done() }

// Traffic is the payload moved so far: piece bytes received and given.
func (n *Node) Traffic() (down, up int64) { return n.meter.Traffic() }

// Validate judges a typed line against the course's node.
func (n *Node) Validate(line string) peer.Verdict {
	v := pex.Validate(line, n.context())
	return peer.Verdict{Level: peer.Level(v.Level), Text: v.Text}
}

// piece reads a piece we can give, into a new buffer.
func (n *Node) piece(h pex.Hash) ([]byte, bool) {
	n.mu.Lock()
	l, ok := n.have[h]
	n.mu.Unlock()
	if !ok {
		return nil, false
	}
	p, err := readPiece(l, make([]byte, n.opts.Piece()))
	return p, err == nil
}

// context is the human form's context: our wire, and the pieces we give.
func (n *Node) context() pex.Context {
	ctx := pex.Context{Options: n.opts, Piece: n.piece}
	if len(n.shared) > 0 {
		ctx.Shared = n.shared[0].Hash
	}
	return ctx
}

// start says what the node shares and wants once the listener is bound.
func (n *Node) start() {
	n.mu.Lock()
	n.listen = n.host.Addr()
	got, want := n.nGot, len(n.want)
	n.mu.Unlock()
	n.host.Info(fmt.Sprintf("listening on %s (%s-endian, %d-byte pieces); sharing %s; %d/%d wanted pieces already here",
		n.host.ListenerAddr(), n.opts.Order, n.opts.Piece(), humanize.Count(len(n.shared), "piece"), got, want))
	for _, p := range n.shared {
		n.host.Info(fmt.Sprintf("share %s  %s piece %d", p.Hash, p.File, p.Index))
	}
	if want > 0 && got == want {
		n.markComplete(nil)
	}
}

// wake asks the maintenance loop to dial; it never blocks.
func (n *Node) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// maintain is the node's periodic work: dialling, peer lists, asks.
func (n *Node) maintain(ctx context.Context) {
	tick := time.NewTicker(n.cfg.Tick)
	defer tick.Stop()
	n.fill(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
			n.fill(time.Now())
		case now := <-tick.C:
			n.prune(now)
			n.fill(now)
			n.tickSessions(now)
		}
	}
}

// prune forgets shuns that ended.
func (n *Node) prune(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for a, until := range n.shunned {
		if now.After(until) {
			delete(n.shunned, a)
		}
	}
}

// fill dials peers we know until MaxConns connections we dialled are up
// or on their way: the bootstrap nodes first, then in the order learnt.
func (n *Node) fill(now time.Time) {
	n.mu.Lock()
	out := 0
	n.host.EachLocked(func(c *peer.Conn, _ netip.AddrPort, _ peer.Session) {
		if c.Dir() == peer.Outbound {
			out++
		}
	})
	var dial []netip.AddrPort
	for _, a := range n.order {
		if out+len(dial) >= n.cfg.MaxConns {
			break
		}
		if n.host.Ours(a) || n.connectedLocked(a) {
			continue
		}
		if until, ok := n.shunned[a]; ok && now.Before(until) {
			continue
		}
		if k := n.known[a]; k != nil && now.Before(k.notBefore) {
			continue
		}
		dial = append(dial, a)
	}
	n.mu.Unlock()
	for _, a := range dial {
		n.host.Dial(a) // a backoff or the budget says no: the next tick tries again
	}
}

// sessions are the sessions of every connection.
func (n *Node) sessions() []*session {
	var ss []*session
	n.mu.Lock()
	n.host.EachLocked(func(_ *peer.Conn, _ netip.AddrPort, s peer.Session) { ss = append(ss, s.(*session)) })
	n.mu.Unlock()
	return ss
}

// tickSessions sends peer lists that are due and asks for missing pieces.
func (n *Node) tickSessions(now time.Time) {
	missing := n.missing()
	for _, s := range n.sessions() {
		s.tick(now, missing)
	}
}

// closedLocked is the node's part of a connection's end: a peer dropped for
// corrupt gives is shunned.
func (n *Node) closedLocked(s *session, err error) (misbehaved bool) {
	if k := n.known[s.dialed]; k != nil && !errors.Is(err, peer.ErrShutdown) && !errors.Is(err, peer.ErrDroppedByUser) {
		// A connection we dialled ended: wait before dialling it again,
		// longer each time it ends before the peer has said a word.
		if s.heard.Load() {
			k.failures = 0
		}
		k.failures++
		k.notBefore = time.Now().Add(addrbook.Backoff(k.failures, n.cfg.RetryBase, n.cfg.RetryMax))
	}
	if !errors.Is(err, errBadPieces) {
		return false
	}
	until := time.Now().Add(n.cfg.ShunFor)
	for _, a := range []netip.AddrPort{s.dialed, s.Listen()} {
		if a.IsValid() {
			n.shunned[a] = until
		}
	}
	return true
}
