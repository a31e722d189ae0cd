package toy

import (
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
)

// session is one remote address: its virtual connection's datagrams. A
// UDP peer has no handshake, so a session is established from the start.
type session struct {
	n      *Node
	conn   *peer.Conn
	remote netip.AddrPort

	pending []outgoing       // under the node's mutex until Serve sends them
	hello   atomic.Bool      // a valid message came
	relay   peer.TokenBucket // its searches we pass on (under the node's mutex)

	pingLast, pingMin atomic.Int64 // round trips of our pings (ns; 0: none yet)

	// What this peer sent and was given, for its row in the TUI.
	searches, results, chunksIn, chunksOut, bad atomic.Uint64
}

var _ peer.Session = (*session)(nil)

// flushPending sends what waited for the connection to open. Called with
// the node's mutex held, or before Serve.
func (s *session) flushPending() {
	for _, o := range s.pending {
		s.conn.Send(o.frame, o.cmd)
	}
	s.pending = nil
}

func (s *session) Serve() error {
	s.n.mu.Lock()
	s.flushPending()
	s.n.mu.Unlock()
	return s.conn.Serve(s.handle)
}

func (s *session) Established() bool { return true }

// GotHello is called with the host's lock held: an atomic, not mu.
func (s *session) GotHello() bool { return s.hello.Load() }

// Listen is the remote's address: over UDP, the one it listens at.
func (s *session) Listen() netip.AddrPort { return s.remote }

// SendUser sends what the user typed, byte for byte, and keeps track of
// what it asks: a typed search is ours (its results are shown), a typed
// getfile starts a fetch of the rest of the file.
func (s *session) SendUser(frame []byte) {
	s.n.noteUserFrame(s.remote, frame)
	s.conn.Send(frame, toy.CommandName(frame))
}

// noteUserFrame makes a request the user typed one of ours: its answers
// are expected, a search's results shown, a getfile's file fetched.
func (n *Node) noteUserFrame(a netip.AddrPort, frame []byte) {
	if m, err := toy.Decode(frame); err == nil && m.HasID {
		n.userSent(a, m)
	}
}

// SendUserTo is @HOST:PORT to a node we have no connection to: it becomes
// a known peer, as with :connect, and the frame goes out once its
// connection is open (opening one sends nothing).
func (n *Node) SendUserTo(a netip.AddrPort, frame []byte) error {
	if !peer.Dialable(a) || n.host.Ours(a) {
		return fmt.Errorf("%s is no peer to send to", a)
	}
	n.mu.Lock()
	n.host.LiftDropLocked(a)
	n.addKnownLocked(a, "cli", "", time.Now())
	n.mu.Unlock()
	n.noteUserFrame(a, frame)
	n.sendFrame(a, frame, toy.CommandName(frame))
	return nil
}

// Info adds the round trip of our pings.
func (s *session) Info(ci *peer.ConnInfo) {
	ci.PingLast, ci.PingMin = time.Duration(s.pingLast.Load()), time.Duration(s.pingMin.Load())
	ci.Fields = append(ci.Fields,
		peer.Field{Label: "searches", Value: fmt.Sprint(s.searches.Load())},
		peer.Field{Label: "results", Value: fmt.Sprint(s.results.Load())},
		peer.Field{Label: "chunks i/o", Value: fmt.Sprintf("%d/%d", s.chunksIn.Load(), s.chunksOut.Load())},
	)
	if bad := s.bad.Load(); bad > 0 {
		ci.Fields = append(ci.Fields, peer.Field{Label: "bad", Value: fmt.Sprint(bad)})
	}
}

// handle is one datagram. Nothing a peer sends closes its connection or
// touches another's: a bad datagram is counted and noted.
func (s *session) handle(frame []byte, at time.Time) error {
	n := s.n
	m, err := toy.Decode(frame)
	if err != nil {
		s.bad.Add(1)
		n.count(func(st *Stats) { st.Malformed++ })
		s.conn.Note(peer.KindWarn, fmt.Sprintf("malformed datagram (%d bytes) ignored: %v", len(frame), err))
		return nil
	}
	if !m.Known() {
		s.bad.Add(1)
		n.count(func(st *Stats) { st.UnknownTypes++ })
		s.conn.Note(peer.KindWarn, fmt.Sprintf("unknown msgtype %s ignored (the article's node would crash)", codec.Quote(m.Type)))
		return nil
	}
	s.hello.Store(true)
	n.mu.Lock()
	n.heardLocked(s.remote, at)
	n.mu.Unlock()
	switch m.Type {
	case toy.CmdPing:
		s.reply(toy.Pong(newID(), m.ID))
	case toy.CmdPong:
		s.answered(m, at)
	case toy.CmdGetPeerList:
		s.reply(toy.PeerList(newID(), m.ID, n.peerListFor(s.remote)))
	case toy.CmdPeerList:
		if s.answered(m, at) {
			n.learn(s.remote, m.Peers, at)
		}
	case toy.CmdSearch:
		s.searches.Add(1)
		n.searched(s, m, frame, at)
	case toy.CmdSearchResult:
		s.results.Add(1)
		n.result(s, m, frame, at)
	case toy.CmdGetFile:
		n.serveFile(s, m)
	case toy.CmdFileContents:
		s.chunksIn.Add(1)
		n.contents(s, m, at)
	}
	return nil
}

// reply answers the datagram being handled.
func (s *session) reply(m toy.Message) {
	frame, err := toy.Encode(m)
	if err != nil {
		s.conn.Note(peer.KindError, fmt.Sprintf("encoding %s: %v", m.Type, err))
		return
	}
	s.conn.Reply(frame, m.Type)
}

// answered matches a reply (pong, peerlist) with our request; one that
// answers nothing we asked this peer is noted and ignored.
func (s *session) answered(m toy.Message, at time.Time) bool {
	n := s.n
	var a asked
	ok := false
	n.mu.Lock()
	n.asked.update(m.ReplyTo, at, func(q *asked) {
		if i := slices.Index(q.to, s.remote); i >= 0 && q.cmd == requestOf[m.Type] {
			a, ok = *q, true
			q.to = slices.Delete(q.to, i, i+1)
		}
	})
	if !ok {
		n.stats.Unsolicited++
	}
	n.mu.Unlock()
	if !ok {
		s.conn.Note(peer.KindWarn, fmt.Sprintf("%s answers nothing we asked (replyto %d): ignored", m.Type, m.ReplyTo))
		return false
	}
	if m.Type == toy.CmdPong {
		rtt := max(at.Sub(a.sent), time.Nanosecond)
		s.pingLast.Store(int64(rtt))
		if low := s.pingMin.Load(); low == 0 || int64(rtt) < low {
			s.pingMin.Store(int64(rtt))
		}
	}
	return true
}

// requestOf is the request each reply we track answers.
var requestOf = map[string]string{toy.CmdPong: toy.CmdPing, toy.CmdPeerList: toy.CmdGetPeerList}

// count changes the counters.
func (n *Node) count(f func(*Stats)) {
	n.mu.Lock()
	f(&n.stats)
	n.mu.Unlock()
}

// peerListFor is the peers we have heard from, asker and ourselves left
// out, at most MaxPeerListAnswer of them (the most recently heard).
func (n *Node) peerListFor(asker netip.AddrPort) []toy.Addr {
	// The entries change under the mutex (lastHeard): choose under it too.
	n.mu.Lock()
	var heard []*known
	for _, k := range n.peersSorted() {
		if k.addr != asker && !k.lastHeard.IsZero() {
			heard = append(heard, k)
		}
	}
	if len(heard) > MaxPeerListAnswer {
		slicesSortByHeard(heard)
		heard = heard[:MaxPeerListAnswer]
	}
	addrs := make([]netip.AddrPort, len(heard))
	for i, k := range heard {
		addrs[i] = k.addr
	}
	n.mu.Unlock()
	out := make([]toy.Addr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, toy.Addr{Host: a.Addr().String(), Port: a.Port()})
	}
	return out
}

// learn adds the peers of a peerlist from a; the new ones are greeted.
func (n *Node) learn(from netip.AddrPort, peers []toy.Addr, now time.Time) {
	var fresh []netip.AddrPort
	n.mu.Lock()
	for _, p := range peers {
		ip, err := netip.ParseAddr(p.Host)
		if err != nil {
			continue // a name: the article's peers are addresses
		}
		a := netip.AddrPortFrom(ip.Unmap(), p.Port)
		if n.addKnownLocked(a, "peerlist", from.String(), now) {
			fresh = append(fresh, a)
		}
	}
	n.mu.Unlock()
	for _, a := range fresh {
		n.greet(a)
	}
}

// slicesSortByHeard puts the most recently heard peers first.
func slicesSortByHeard(ks []*known) {
	slices.SortFunc(ks, func(x, y *known) int { return y.lastHeard.Compare(x.lastHeard) })
}
