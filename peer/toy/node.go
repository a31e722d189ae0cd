// Package toy is the msgpack toy node (specs/toy-msgpack-node.md) as a
// protocol on the neutral peer.Host, over UDP: one peer/udp socket, one
// virtual connection per remote address, one datagram per frame.
//
// A node answers ping, getpeerlist (the peers it has heard from, never the
// asker), search and getfile for the files in its share directory; it
// learns peers from its seeds and their peer lists, pings the silent and
// forgets those silent too long.
//
// # What bitclone adds to the article's protocol
//
// The article broadcasts a search to every peer and every peer broadcasts
// it again, forever. Here, as in Gnutella 0.4:
//
//   - a search carries ttl, the hops it may still travel (DefaultTTL for
//     ours; capped at MaxHops when passed on). A search without ttl, an old
//     node's, counts as ttl 1: it is answered and never passed on.
//   - a node keeps a seen-set of recent search msgids (MaxSeen, SeenFor):
//     a search it has seen is dropped, so each reaches each node once.
//     The msgid of a search is random 63 bits and kept unchanged as it is
//     passed on, so it names the search network-wide; every other message
//     gets the next of a counter (short in the log), and a reply names its
//     request in replyto, matched with the peer we asked.
//   - each node remembers who sent it each search (the reverse path) and
//     passes the searchresults for it, unchanged, back to that hop: the
//     searcher gets every result without anyone learning its address.
//   - getfile and filecontents carry chunk, chunks and size: a file larger
//     than a datagram comes in numbered chunks, Window of them in flight,
//     each retried with a doubling timeout. A getfile without chunk gets
//     chunk 0, and a filecontents without chunks is a whole file, so the
//     article's node and ours still fetch from each other.
package toy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/swarm"
	"github.com/bitclone/bitclone/peer/udp"
)

// Name is the dialect's name on the command line and in transcripts.
const Name = "toy"

// Node is a toy node: the protocol on a peer.Host over a UDP socket.
// Create it with New (which binds the socket), serve with Run (which
// closes it at the end). It implements peer.Node.
//
// Its state is guarded by the host's mutex (mu), never held across I/O:
// datagrams are queued after it is released.
type Node struct {
	swarm.Hosted // Addr, Run, Events, ReleaseEvents, Do, Snapshot

	cfg  Config
	host *peer.Host
	sock *udp.Socket
	mu   *sync.Mutex // the host's

	complete     chan struct{}
	completeOnce sync.Once

	// Under mu.
	listen   netip.AddrPort
	known    map[netip.AddrPort]*known
	sessions map[netip.AddrPort]*session // by remote address
	pending  map[netip.AddrPort][]outgoing
	seen     *recent[netip.AddrPort] // search msgid -> previous hop (invalid: ours)
	asked    *recent[asked]          // our requests awaiting an answer
	searches map[int64]*search       // ours, newest last in order
	order    []int64                 // searches' msgids, oldest first
	wants    []*want                 // --get
	fetches  []*fetch                // every fetch, newest last (the pane's)
	chunkReq map[int64]chunkRef      // getfile msgid -> fetch and chunk
	stats    Stats
	lastAsk  time.Time // when every peer was last asked for peers
}

// Stats are a node's counters since it started.
type Stats struct {
	Searches        uint64 // searches seen the first time (ours excluded)
	RepeatSearches  uint64 // searches dropped: seen before
	Answered        uint64 // searchresults we sent for our own files
	Forwarded       uint64 // search datagrams passed on
	ResultsRouted   uint64 // searchresults passed back along a reverse path
	Results         uint64 // searchresults received for our own searches
	ChunksServed    uint64
	ChunksRetried   uint64
	Malformed       uint64 // datagrams that are no toy message
	UnknownTypes    uint64 // datagrams with a msgtype we do not know
	Unsolicited     uint64 // replies to nothing we asked or passed on
	PeersForgotten  uint64
	NotRelayed      uint64 // searches answered but not passed on: their peer sent too many
	FilesNotShared  uint64 // getfiles for files we do not share
	FilesFetched    uint64
	FetchesFailed   uint64 // sources given up
	SearchesStarted uint64
}

// known is a peer we know of.
type known struct {
	addr      netip.AddrPort
	source    string // seed, cli, peerlist, inbound
	from      string // for peerlist: who told us
	added     time.Time
	lastHeard time.Time // zero: never
	lastPing  time.Time
	// Until a peer first answers, its greeting is sent again at
	// nextGreet, greetWait after the last (doubling): a seed started
	// after us, or a datagram lost, must not leave us alone for a
	// whole PingInterval.
	nextGreet time.Time
	greetWait time.Duration
}

// firstGreetRetry is how long an unanswered greeting waits before it is
// sent again; the wait doubles up to the ping interval.
const firstGreetRetry = time.Second

// asked is a request of ours awaiting its answers: one msgid may go to
// several peers (a line typed for every peer).
type asked struct {
	to   []netip.AddrPort
	cmd  string
	sent time.Time
}

// askedLocked remembers that request m went to a.
func (n *Node) askedLocked(a netip.AddrPort, m toy.Message, now time.Time) {
	// A msgid asked again (a line typed twice, or one typed with a msgid
	// of ours) times its round trip from the latest send.
	if !n.asked.update(m.ID, now, func(q *asked) { q.to, q.sent = append(q.to, a), now }) {
		n.asked.add(m.ID, asked{to: []netip.AddrPort{a}, cmd: m.Type, sent: now}, now)
	}
}

// outgoing is a datagram for a peer.
type outgoing struct {
	frame []byte
	cmd   string
}

// New makes the node and binds its UDP socket (so that a busy port is
// reported before any front end starts); nothing runs until Run.
func New(cfg Config, opts ...Option) (*Node, error) {
	cfg = cfg.withDefaults()
	if cfg.Share != "" {
		fi, err := os.Stat(cfg.Share)
		if err == nil && !fi.IsDir() {
			err = errors.New("not a directory")
		}
		if err != nil {
			return nil, fmt.Errorf("share %s: %w", cfg.Share, err)
		}
	}
	for _, name := range cfg.Get {
		if err := CheckName(name); err != nil {
			return nil, fmt.Errorf("get %s: %w", codec.Quote(name), err)
		}
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	sock, err := udp.Listen(net.JoinHostPort(cfg.ListenHost, fmt.Sprint(cfg.Port)), udp.Config{ReceiveBuffer: ReceiveBuffer})
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg:      cfg,
		sock:     sock,
		complete: make(chan struct{}),
		known:    make(map[netip.AddrPort]*known),
		sessions: make(map[netip.AddrPort]*session),
		pending:  make(map[netip.AddrPort][]outgoing),
		seen:     newRecent[netip.AddrPort](MaxSeen, cfg.SeenFor),
		asked:    newRecent[asked](MaxAsked, cfg.SeenFor),
		searches: make(map[int64]*search),
		chunkReq: make(map[int64]chunkRef),
	}
	for _, name := range cfg.Get {
		if !slices.ContainsFunc(n.wants, func(w *want) bool { return w.name == name }) {
			n.wants = append(n.wants, &want{name: name})
		}
	}
	hc := o.host
	hc.Listener, hc.Dial = sock.Listener(), sock.DialContext
	// A virtual connection that hears nothing for ForgetAfter closes; the
	// next datagram opens a new one.
	hc.IdleTimeout = cfg.ForgetAfter
	hc.MaxInbound = udp.DefaultMaxConns
	hc.EventBacklog, hc.NoMessageEvents = cfg.EventBacklog, cfg.NoMessageEvents
	hc.HelloName = "datagram"
	n.host = peer.NewHost(hc, protocol{n})
	n.Hosted = swarm.Host(n.host)
	n.mu = n.host.Mutex()
	n.listen = sock.AddrPort()
	if err := n.host.Listen(); err != nil { // the socket's address: cannot fail
		sock.Close()
		return nil, err
	}
	return n, nil
}

// Listen is there for the harness: New has bound the socket already.
func (n *Node) Listen() error { return nil }

var (
	_ peer.Node          = (*Node)(nil)
	_ peer.EventReleaser = (*Node)(nil)
)

// Validate judges a typed line against the article's protocol.
func (n *Node) Validate(line string) peer.Verdict {
	v := toy.Validate(line, toy.Context{TTL: n.cfg.TTL})
	return peer.Verdict{Level: peer.Level(v.Level), Text: v.Text}
}

// Completed is closed once every --get file is saved (never when there
// is none).
func (n *Node) Completed() <-chan struct{} { return n.complete }

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// Dialect is the node's dialect: typed searches travel our --ttl.
func (n *Node) Dialect() peer.Dialect { return NewDialect(n.cfg.TTL) }

// lastID is the last msgid given to a message other than a search.
var lastID atomic.Int64

// newID is a fresh msgid for a message other than a search: a counter
// (short in the log), as a reply names the request it answers and we
// match it with the peer we asked.
func newID() int64 { return lastID.Add(1) }

// newSearchID is a fresh msgid for a search of ours: random 63 bits, as
// it names the search network-wide (the seen-set, the reverse path).
func newSearchID() int64 { return rand.Int64() }

// start says where we listen and greets the seeds.
func (n *Node) start() {
	now := time.Now()
	share := "sharing nothing"
	if n.cfg.Share != "" {
		files := n.sharedFiles()
		share = fmt.Sprintf("sharing %s from %s", humanize.Count(len(files), "file"), codec.Quote(n.cfg.Share))
	}
	n.host.Info(fmt.Sprintf("listening on UDP %s; %s; %s", n.listen, share, humanize.Count(len(n.cfg.Seeds), "seed")))
	n.mu.Lock()
	n.lastAsk = now // the greeting asks
	for _, a := range n.cfg.Seeds {
		n.addKnownLocked(a, "seed", "", now)
	}
	n.mu.Unlock()
	for _, a := range n.cfg.Seeds {
		n.greet(a)
	}
}

// greet pings a and, unless peer exchange is off, asks it for its peers.
func (n *Node) greet(a netip.AddrPort) {
	n.request(a, toy.Ping(newID()))
	if !n.cfg.NoPeerExchange {
		n.request(a, toy.GetPeerList(newID()))
	}
}

// Connect is :connect: a becomes a known peer, pinged and asked for peers.
func (n *Node) Connect(a netip.AddrPort) error {
	if !peer.Dialable(a) || n.host.Ours(a) {
		return fmt.Errorf("%s is no peer to connect to", a)
	}
	n.mu.Lock()
	n.host.LiftDropLocked(a)
	n.addKnownLocked(a, "cli", "", time.Now())
	n.mu.Unlock()
	n.greet(a)
	return nil
}

// Forget is :forget: a leaves the known peers.
func (n *Node) Forget(a netip.AddrPort) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.known[a]; !ok {
		return fmt.Errorf("%s is not a known peer", a)
	}
	delete(n.known, a)
	return nil
}

// addKnownLocked adds a to the known peers unless it is there, ourselves,
// no peer at all, or the list is full; it reports whether a is new.
func (n *Node) addKnownLocked(a netip.AddrPort, source, from string, now time.Time) bool {
	if _, ok := n.known[a]; ok || !peer.Dialable(a) || n.host.Ours(a) || len(n.known) >= n.cfg.MaxKnown {
		return false
	}
	n.known[a] = &known{addr: a, source: source, from: from, added: now, nextGreet: now.Add(firstGreetRetry), greetWait: firstGreetRetry}
	return true
}

// heardLocked notes that a sent a message we know: a peer we did not know
// becomes known (source inbound).
func (n *Node) heardLocked(a netip.AddrPort, now time.Time) {
	k := n.known[a]
	if k == nil {
		if !n.addKnownLocked(a, "inbound", "", now) {
			return
		}
		k = n.known[a]
	}
	k.lastHeard = now
}

// peersLocked are the known peers but one (except), in address order.
func (n *Node) peersLocked(except netip.AddrPort) []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(n.known))
	for a := range n.known {
		if a != except {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y netip.AddrPort) int { return x.Compare(y) })
	return out
}

// request sends m to a and remembers it awaits an answer.
func (n *Node) request(a netip.AddrPort, m toy.Message) {
	n.mu.Lock()
	n.askedLocked(a, m, time.Now())
	n.mu.Unlock()
	n.send(a, m)
}

// send encodes m and sends it to a.
func (n *Node) send(a netip.AddrPort, m toy.Message) {
	frame, err := toy.Encode(m)
	if err != nil {
		n.host.Note(peer.KindError, nil, fmt.Sprintf("encoding %s for %s: %v", m.Type, a, err))
		return
	}
	n.sendFrame(a, frame, m.Type)
}

// sendFrame sends a datagram to a: on a's virtual connection, or once
// one is open (it is dialled, which sends nothing).
func (n *Node) sendFrame(a netip.AddrPort, frame []byte, cmd string) {
	n.mu.Lock()
	s := n.sessions[a]
	if s == nil {
		n.queueLocked(a, frame, cmd)
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	s.conn.Send(frame, cmd)
}

// queueLocked keeps a datagram for a until its virtual connection opens,
// and dials it.
func (n *Node) queueLocked(a netip.AddrPort, frame []byte, cmd string) {
	if n.host.StoppingLocked() || !peer.Dialable(a) || n.host.DroppedLocked(a, time.Now()) {
		return
	}
	q := n.pending[a]
	if len(q) >= MaxPending {
		return // it is not reading them: a datagram lost, as UDP loses them
	}
	n.pending[a] = append(q, outgoing{append([]byte(nil), frame...), cmd})
	if !n.host.DialingLocked(a) {
		n.host.DialLocked(a, false)
	}
}

// dialFailedLocked hands the datagrams waiting for a to a's connection
// if one was opened meanwhile (a datagram from a raced our dial), else
// drops them.
func (n *Node) dialFailedLocked(a netip.AddrPort, why string) []peer.Event {
	if s := n.sessions[a]; s != nil {
		s.pending = append(s.pending, n.pending[a]...)
		s.flushPending()
	}
	delete(n.pending, a)
	return nil
}

// newSessionLocked makes a's session and gives it what waits for a.
func (n *Node) newSessionLocked(c *peer.Conn) *session {
	s := &session{n: n, conn: c, remote: c.Remote()}
	s.relay = peer.TokenBucket{Rate: n.cfg.RelayRate, Burst: float64(n.cfg.RelayBurst)}
	s.pending = n.pending[s.remote]
	delete(n.pending, s.remote)
	n.sessions[s.remote] = s
	return s
}

func (n *Node) closedLocked(s *session) {
	if n.sessions[s.remote] == s {
		delete(n.sessions, s.remote)
	}
}

// reachable is our address as a peer at remote can reach it, for the
// atpeer of a searchresult: the bound address, or when bound to every
// interface, the loopback address for a peer on loopback, else the
// source address the system would use towards remote (a route lookup: a
// UDP "dial" sends nothing).
func (n *Node) reachable(remote netip.AddrPort) netip.AddrPort {
	l := n.listen
	if !l.Addr().IsUnspecified() {
		return l
	}
	port := l.Port()
	if ip := remote.Addr(); ip.IsLoopback() {
		if ip.Is4() {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
		}
		return netip.AddrPortFrom(netip.IPv6Loopback(), port)
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote))
	if err != nil {
		return l
	}
	defer c.Close()
	return netip.AddrPortFrom(peer.AddrPortOf(c.LocalAddr()).Addr().Unmap(), port)
}

// maintain is the node's periodic work, on a goroutine the host owns.
func (n *Node) maintain(ctx context.Context) {
	tick := time.NewTicker(n.cfg.Tick)
	defer tick.Stop()
	n.tick(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			n.tick(now)
		}
	}
}

// tick pings the silent peers, forgets the long silent, asks for peer
// lists, retries chunks and searches.
func (n *Node) tick(now time.Time) {
	type todo struct {
		a netip.AddrPort
		m toy.Message
	}
	var out []todo
	var forgot []string
	n.mu.Lock()
	askPeers := !n.cfg.NoPeerExchange && now.Sub(n.lastAsk) >= n.cfg.PeerListInterval
	if askPeers {
		n.lastAsk = now
	}
	for a, k := range n.known {
		last := k.lastHeard
		if last.IsZero() {
			last = k.added
		}
		if k.source != "seed" && now.Sub(last) > n.cfg.ForgetAfter {
			delete(n.known, a)
			n.stats.PeersForgotten++
			forgot = append(forgot, a.String())
			continue
		}
		if k.lastHeard.IsZero() && !now.Before(k.nextGreet) {
			k.greetWait = min(2*k.greetWait, n.cfg.PingInterval)
			k.nextGreet = now.Add(k.greetWait)
			out = append(out, todo{a, toy.Ping(newID())})
			if !n.cfg.NoPeerExchange {
				out = append(out, todo{a, toy.GetPeerList(newID())})
			}
			continue
		}
		if now.Sub(last) >= n.cfg.PingInterval && now.Sub(k.lastPing) >= n.cfg.PingInterval {
			k.lastPing = now
			out = append(out, todo{a, toy.Ping(newID())})
		}
		if askPeers && !k.added.Equal(now) {
			out = append(out, todo{a, toy.GetPeerList(newID())})
		}
	}
	n.mu.Unlock()
	if len(forgot) > 0 {
		sort.Strings(forgot)
		n.host.Info(fmt.Sprintf("forgot %s silent for %s: %s", humanize.Count(len(forgot), "peer"), n.cfg.ForgetAfter, strings.Join(forgot, ", ")))
	}
	for _, t := range out {
		n.request(t.a, t.m)
	}
	n.tickFetches(now)
}

// snapshotLocked adds the known peers, the searches, the files and the
// counters to a snapshot.
func (n *Node) snapshotLocked(s *peer.Snapshot, now time.Time) {
	s.Agent = "bitclone toy"
	for _, k := range n.peersSorted() {
		s.Addrs = append(s.Addrs, peer.AddrInfo{
			Addr: k.addr.String(), LastActive: k.lastHeard, Source: k.source, From: k.from,
			Live:      !k.lastHeard.IsZero() && now.Sub(k.lastHeard) < n.cfg.ForgetAfter,
			Connected: n.sessions[k.addr] != nil,
		})
	}
	st := n.stats
	s.Fields = append(s.Fields,
		peer.Field{Label: "peers", Value: fmt.Sprint(len(n.known))},
		peer.Field{Label: "searches seen", Value: fmt.Sprintf("%d (%d repeats dropped, %d passed on, %d results routed back)", st.Searches, st.RepeatSearches, st.Forwarded, st.ResultsRouted)},
		peer.Field{Label: "bad datagrams", Value: fmt.Sprintf("%d malformed, %d unknown msgtype, %d unsolicited", st.Malformed, st.UnknownTypes, st.Unsolicited)},
	)
	n.searchFieldsLocked(s, now)
	n.fileFieldsLocked(s, now)
}

func (n *Node) peersSorted() []*known {
	out := make([]*known, 0, len(n.known))
	for _, k := range n.known {
		out = append(out, k)
	}
	slices.SortFunc(out, func(x, y *known) int { return x.addr.Compare(y.addr) })
	return out
}

// CheckName refuses a file name that is not a plain name in a directory.
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return errors.New("not a file name")
	case len(name) > toy.MaxFilename:
		return fmt.Errorf("longer than %d bytes", toy.MaxFilename)
	case strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0):
		return errors.New("a path, not a file name")
	case filepath.Base(name) != name || strings.HasPrefix(name, "."):
		return errors.New("not a plain file name")
	}
	return nil
}

// markComplete closes Completed once, saying so after what c's frame
// brought about.
func (n *Node) markComplete(c *peer.Conn) {
	n.completeOnce.Do(func() {
		c.NoteNode(peer.KindInfo, "complete: every --get file is saved")
		close(n.complete)
	})
}
