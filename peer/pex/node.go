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
	"github.com/bitclone/bitclone/durable"
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

// wanted is where one wanted piece stands.
type wanted struct {
	got     bool
	writing bool   // a give is being written
	from    string // who gave it ("disk" when found in Dest)
	asks    int    // asks sent for it
}

// known is one entry of the address book.
type known struct {
	source   string // "bootstrap", "peer" (a peer message), "inbound"
	from     string // who told us
	failures int    // failed dials in a row, and connections closed before a message
	// notBefore is when it may be dialled again after a connection we
	// dialled ended: a peer that closes at once is not dialled in a loop.
	notBefore time.Time
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

// Known lists the address book: the peers this node knows, in the order
// it learnt them.
func (n *Node) Known() []netip.AddrPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.order)
}

func (n *Node) knownCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.order)
}

// wants reports whether h is one of the wanted pieces.
func (n *Node) wants(h pex.Hash) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.wanted[h] != nil
}

// Got reports whether the wanted piece h is fetched and verified.
func (n *Node) Got(h pex.Hash) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	w := n.wanted[h]
	return w != nil && w.got
}

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

// missing lists the wanted pieces not yet fetched, in the order wanted.
func (n *Node) missing() []pex.Hash {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []pex.Hash
	for _, h := range n.want {
		if w := n.wanted[h]; !w.got && !w.writing {
			out = append(out, h)
		}
	}
	return out
}

// peerList is the peer message for the connection c: ourselves first (c's
// local address and our listening port), then the peers we know, never
// the remote itself (by its listening address or its remote address).
func (n *Node) peerList(c *peer.Conn, remoteListen netip.AddrPort) []byte {
	n.mu.Lock()
	max := n.opts.MaxPeers()
	list := make([]netip.AddrPort, 0, min(max, len(n.order)+1))
	if self := netip.AddrPortFrom(c.Local().Addr(), n.listen.Port()); self.Addr().IsValid() && self.Port() != 0 {
		list = append(list, self)
	}
	for _, a := range n.order {
		if len(list) >= max {
			break
		}
		if a == remoteListen || a == c.Remote() || n.host.Ours(a) {
			continue
		}
		list = append(list, a)
	}
	n.mu.Unlock()
	b, err := pex.AppendPeers(nil, list, n.opts)
	if err != nil { // a zone or an invalid address: send the list without us
		b, _ = pex.AppendPeers(nil, list[1:], n.opts)
	}
	return b
}

// learn records the peers of a peer message that came on c; entries at a
// loopback or unspecified address on a connection from elsewhere are read
// at the remote's IP (the course's node advertises every peer as ::1).
func (n *Node) learn(c *peer.Conn, m pex.Message) (added int) {
	remote := c.Remote().Addr()
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range m.NumPeers() {
		a := fromPeer(m.Peer(i), remote)
		if !peer.Dialable(a) || n.host.Ours(a) {
			continue
		}
		if n.knownLocked(a) {
			continue
		}
		if len(n.order) >= n.cfg.MaxKnown {
			n.full++
			continue
		}
		n.known[a] = &known{source: "peer", from: c.RemoteString()}
		n.order = append(n.order, a)
		added++
	}
	return added
}

// knownLocked says whether the address book holds a, or the same node
// under another loopback address: a node on this machine is listed at
// 127.0.0.1 by the peers that reach it over IPv4 and at ::1 by the others,
// and one connection to it is enough.
func (n *Node) knownLocked(a netip.AddrPort) bool {
	if n.known[a] != nil {
		return true
	}
	if !a.Addr().IsLoopback() {
		return false
	}
	for _, b := range n.order {
		if sameNode(a, b) {
			return true
		}
	}
	return false
}

// sameNode says whether a and b name one listener: equal, or one port on
// loopback.
func sameNode(a, b netip.AddrPort) bool {
	return a == b || a.Port() == b.Port() && a.Addr().IsLoopback() && b.Addr().IsLoopback()
}

// connectedLocked says whether a connection to a (or to the same node at
// another loopback address) is open or being dialled, either way round.
func (n *Node) connectedLocked(a netip.AddrPort) bool {
	if n.host.DialingLocked(a) || n.host.DialedLocked(a) || n.host.ConnectedLocked(a) {
		return true
	}
	found := false
	n.host.EachLocked(func(_ *peer.Conn, dialed netip.AddrPort, s peer.Session) {
		found = found || sameNode(a, dialed) || sameNode(a, s.Listen())
	})
	return found
}

// fromPeer is the address a peer entry names, seen from a connection to
// remote: a loopback or unspecified address, said by a peer that is not on
// loopback, means the peer's own IP.
func fromPeer(a netip.AddrPort, remote netip.Addr) netip.AddrPort {
	ip := a.Addr().Unmap()
	if (ip.IsLoopback() || ip.IsUnspecified()) && remote.IsValid() && !remote.IsLoopback() {
		ip = remote.Unmap()
	}
	return netip.AddrPortFrom(ip, a.Port())
}

// record adds an inbound peer's listening address to the address book.
func (n *Node) recordLocked(a netip.AddrPort, from string) {
	if n.knownLocked(a) || !peer.Dialable(a) || n.host.Ours(a) {
		return
	}
	if len(n.order) >= n.cfg.MaxKnown {
		n.full++
		return
	}
	n.known[a] = &known{source: "inbound", from: from}
	n.order = append(n.order, a)
}

// received takes a verified give of h: it claims the piece and has it
// written to Dest, atomically, off the connection's reader goroutine (an
// fsync takes a millisecond, and the reader moves on to the next give), at
// most MaxWriting at once: past that, the reader waits, and TCP holds the
// peer back. It says whether the piece was wanted and new.
func (n *Node) received(s *session, h pex.Hash, data []byte, at time.Time) bool {
	n.mu.Lock()
	w := n.wanted[h]
	if w == nil || w.got || w.writing {
		n.mu.Unlock()
		return false
	}
	w.writing = true
	n.mu.Unlock()
	select {
	case n.writing <- struct{}{}:
	case <-s.conn.Done():
		n.mu.Lock()
		w.writing = false
		n.mu.Unlock()
		return false
	}
	piece := append([]byte(nil), data...) // the frame is the reader's until its next message
	n.writers.Add(1)
	go func() {
		defer n.writers.Done()
		defer func() { <-n.writing }()
		n.write(s, h, w, piece, at)
	}()
	return true
}

// write writes a verified piece to Dest and counts it.
func (n *Node) write(s *session, h pex.Hash, w *wanted, piece []byte, at time.Time) {
	path := fetchedPath(n.cfg.Dest, h)
	err := durable.WriteFile(path, piece, 0o644)
	n.mu.Lock()
	w.writing = false
	if err == nil {
		w.got, w.from = true, s.conn.RemoteString()
		n.have[h] = location{path: path, n: len(piece)}
		n.nGot++
	}
	done := n.nGot == len(n.want)
	n.mu.Unlock()
	if err != nil {
		n.host.Note(peer.KindError, s.conn, "cannot save "+h.Short()+": "+err.Error())
		return
	}
	n.meter.AddDown(len(piece), at)
	s.gotOne(at)
	if done {
		n.markComplete(nil)
	}
}

// addWant adds h to the wanted pieces (an ask the user typed), unless it
// is wanted already or the list is full.
func (n *Node) addWant(h pex.Hash) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.wanted[h] != nil || len(n.want) >= MaxWant {
		return false
	}
	n.wanted[h] = &wanted{}
	n.want = append(n.want, h)
	return true
}

func (n *Node) markComplete(by *peer.Conn) {
	n.mu.Lock()
	pieces := len(n.want)
	n.mu.Unlock()
	n.complete.Mark(n.host, by, "every wanted piece verified and saved", pieces, int64(pieces)*int64(n.opts.Piece()), n.cfg.Dest)
}

// dialFailedLocked counts a failed dial against a known peer, and forgets
// it after ForgetAfter in a row (never a bootstrap node).
func (n *Node) dialFailedLocked(a netip.AddrPort) []peer.Event {
	k := n.known[a]
	if k == nil {
		return nil
	}
	k.failures++
	if k.failures < n.cfg.ForgetAfter || k.source == "bootstrap" {
		return nil
	}
	n.forgetLocked(a)
	return []peer.Event{{At: time.Now(), Kind: peer.KindInfo, Text: fmt.Sprintf("forgot %s: %d failed dials in a row", a, k.failures)}}
}

func (n *Node) forgetLocked(a netip.AddrPort) {
	delete(n.known, a)
	n.order = slices.DeleteFunc(n.order, func(b netip.AddrPort) bool { return b == a })
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

// snapshotLocked adds the pieces and the address book to a snapshot.
func (n *Node) snapshotLocked(s *peer.Snapshot, now time.Time) {
	s.Agent = "bitclone pex"
	s.Target = n.cfg.MaxConns
	asked := 0
	inFlight := map[pex.Hash]bool{}
	n.host.EachLocked(func(_ *peer.Conn, _ netip.AddrPort, ps peer.Session) {
		ps.(*session).askedInto(inFlight)
	})
	states := make([]peer.PieceState, len(n.want))
	for i, h := range n.want {
		switch {
		case n.wanted[h].got:
			states[i] = peer.PieceHave
		case inFlight[h]:
			states[i] = peer.PieceRequested
			asked++
		}
	}
	down, up := n.meter.Traffic()
	s.Fields = append(s.Fields,
		peer.Field{Label: "wire", Value: fmt.Sprintf("%s-endian, %d-byte pieces", n.opts.Order, n.opts.Piece())},
		peer.Field{Label: "shared", Value: fmt.Sprint(len(n.shared))},
		peer.Field{Label: "wanted", Value: fmt.Sprint(len(n.want))},
		peer.Field{Label: "asked", Value: fmt.Sprint(asked)},
		peer.Field{Label: "received", Value: fmt.Sprintf("%d (%s)", n.nGot, humanize.Bytes(uint64(down)))},
		peer.Field{Label: "given", Value: fmt.Sprintf("%d (%s)", n.given, humanize.Bytes(uint64(up)))},
		peer.Field{Label: "known", Value: fmt.Sprint(len(n.order))},
	)
	if n.corrupt > 0 {
		s.Fields = append(s.Fields, peer.Field{Label: "corrupt gives", Value: fmt.Sprint(n.corrupt)})
	}
	if n.full > 0 {
		s.Fields = append(s.Fields, peer.Field{Label: "not recorded (book full)", Value: fmt.Sprint(n.full)})
	}
	if len(n.want) > 0 {
		s.Progress = &peer.Progress{Pieces: states, BytesDone: int64(n.nGot) * int64(n.opts.Piece()),
			BytesTotal: int64(len(n.want)) * int64(n.opts.Piece())}
	}
	// A known peer was last active when one of its connections last
	// brought a message: an outbound one is named by the address we
	// dialled, an inbound one by where it says it listens.
	lastRecv := make(map[string]time.Time, len(s.Conns))
	for _, c := range s.Conns {
		name := c.Listen
		if name == "" {
			name = c.Remote
		}
		if c.LastRecv.After(lastRecv[name]) {
			lastRecv[name] = c.LastRecv
		}
	}
	for _, a := range n.order {
		k := n.known[a]
		ai := peer.AddrInfo{Addr: a.String(), LastActive: lastRecv[a.String()], Live: true, Source: k.source, From: k.from, Attempts: k.failures,
			Connected: n.connectedLocked(a) && !n.host.DialingLocked(a)}
		if until, ok := n.shunned[a]; ok && now.Before(until) {
			ai.Banned = true
		}
		s.Addrs = append(s.Addrs, ai)
	}
}

// PieceRows are the wanted pieces, one line each (hash, state, who gave
// it), then the shared ones: the TUI's Pieces pane.
func (n *Node) PieceRows() []string {
	inFlight := map[pex.Hash]bool{}
	n.mu.Lock()
	n.host.EachLocked(func(_ *peer.Conn, _ netip.AddrPort, ps peer.Session) {
		ps.(*session).askedInto(inFlight)
	})
	rows := make([]string, 0, len(n.want)+len(n.shared))
	for _, h := range n.want {
		w := n.wanted[h]
		state := "wanted"
		switch {
		case w.got:
			state = "received from " + w.from
		case w.writing:
			state = "writing"
		case inFlight[h]:
			state = fmt.Sprintf("asked (%d asks)", w.asks)
		case w.asks > 0:
			state = fmt.Sprintf("wanted (%d asks, no give yet)", w.asks)
		}
		rows = append(rows, "want  "+h.String()+"  "+state)
	}
	n.mu.Unlock()
	for _, p := range n.shared {
		rows = append(rows, fmt.Sprintf("share %s  %s #%d", p.Hash, p.File, p.Index))
	}
	return rows
}

// countAsk counts an ask sent for h.
func (n *Node) countAsk(h pex.Hash) {
	n.mu.Lock()
	if w := n.wanted[h]; w != nil {
		w.asks++
	}
	n.mu.Unlock()
}

// countGiven counts a piece given.
func (n *Node) countGiven(size int, at time.Time) {
	n.mu.Lock()
	n.given++
	n.mu.Unlock()
	n.meter.AddUp(size, at)
}

// countCorrupt counts a corrupt give.
func (n *Node) countCorrupt() {
	n.mu.Lock()
	n.corrupt++
	n.mu.Unlock()
}
