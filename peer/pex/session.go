package pex

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// session is the PEX logic of one connection. Its handler runs on the
// connection's reader goroutine; the fields under mu are shared with the
// maintenance loop and snapshots. mu is taken after the node's lock, never
// before it.
type session struct {
	n      *Node
	conn   *peer.Conn
	dialed netip.AddrPort
	heard  atomic.Bool // the peer has sent a message

	// Reader goroutine only.
	scratch     []byte // a give is read into it: one piece per connection
	typeSaid    bool   // a message of an unknown type was logged
	unaskedSaid bool   // a give of a piece we do not want was logged

	mu      sync.Mutex
	listen  netip.AddrPort         // an inbound peer's listening address, once its peer message says
	asked   map[pex.Hash]time.Time // asks waiting for a give, and when sent
	cursor  int                    // where the next asks start in the missing list
	peersAt time.Time              // when our peer list last went out
	got     int                    // verified pieces received
	given   int                    // pieces given
	lacked  int                    // asks for pieces we do not have (not answered)
	strikes int                    // corrupt gives
	peersIn int                    // peer messages received
	learnt  int                    // peers learnt from them
}

func newSession(n *Node, c *peer.Conn, dialed netip.AddrPort) *session {
	// peersAt starts now: Serve sends the first list, and a tick that
	// comes before it must not send a second.
	return &session{n: n, conn: c, dialed: dialed, asked: map[pex.Hash]time.Time{}, peersAt: time.Now()}
}

// Serve sends our peer list and the first asks, then reads messages until
// the connection ends. PEX has no handshake.
func (s *session) Serve() error {
	now := time.Now()
	s.sendPeers(now)
	s.refill(now, s.n.missing())
	return s.conn.Serve(s.handle)
}

// Established is true from the start: a PEX connection has no handshake.
func (s *session) Established() bool { return true }

func (s *session) GotHello() bool { return s.heard.Load() }

// Listen is the address we dialled, or the listening address an inbound
// peer's peer message gave.
func (s *session) Listen() netip.AddrPort {
	if s.dialed.IsValid() {
		return s.dialed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listen
}

// SendUser sends what the user typed; an ask adds its piece to the wanted
// ones, so that its give is verified and saved.
func (s *session) SendUser(frame []byte) {
	if m, err := pex.Decode(frame, s.n.opts); err == nil && m.Type == pex.TypeAsk {
		s.n.addWant(m.Hash)
		s.n.countAsk(m.Hash)
		s.mu.Lock()
		s.asked[m.Hash] = time.Now()
		s.mu.Unlock()
	}
	s.conn.Send(frame, pex.CommandName(frame))
}

// sendPeers sends our peer list.
func (s *session) sendPeers(now time.Time) {
	s.mu.Lock()
	s.peersAt = now
	s.mu.Unlock()
	s.conn.Send(s.n.peerList(s.conn, s.Listen()), pex.CmdPeer)
}

// handle is one message from the peer. The Reader delimits messages by
// their size prefix whatever their type, so a message we cannot read is
// logged and the stream goes on.
func (s *session) handle(frame []byte, at time.Time) error {
	s.heard.Store(true)
	m, err := pex.Decode(frame, s.n.opts)
	if err != nil {
		if errors.Is(err, pex.ErrType) {
			if !s.typeSaid {
				s.typeSaid = true
				s.conn.Note(peer.KindWarn, fmt.Sprintf("message of type %d: not a PEX message, skipped (the course's node would read it as a peer list)", m.Type))
			}
			return nil
		}
		s.conn.Note(peer.KindWarn, "malformed message: "+err.Error()+": skipped")
		return nil
	}
	switch m.Type {
	case pex.TypeAsk:
		s.onAsk(m.Hash, at)
	case pex.TypeGive:
		return s.onGive(m.Hash, m.Piece, at)
	case pex.TypePeer:
		s.onPeers(m)
	}
	return nil
}

// onAsk gives the piece if we have it; a node that lacks a piece answers
// nothing (as the course's node does).
func (s *session) onAsk(h pex.Hash, at time.Time) {
	s.n.mu.Lock()
	l, ok := s.n.have[h]
	s.n.mu.Unlock()
	if !ok {
		s.mu.Lock()
		s.lacked++
		s.mu.Unlock()
		return
	}
	size := s.n.opts.Piece()
	if cap(s.scratch) < pex.PrefixSize+pex.GiveHeader+size {
		s.scratch = make([]byte, 0, pex.PrefixSize+pex.GiveHeader+size)
	}
	// Read the piece into the tail of scratch, then build the give in
	// place in front of it: one buffer, no copy of the piece.
	piece, err := readPiece(l, s.scratch[pex.PrefixSize+pex.GiveHeader:pex.PrefixSize+pex.GiveHeader+size])
	if err != nil {
		s.conn.Note(peer.KindError, "cannot give "+h.Short()+": "+err.Error())
		return
	}
	give, err := pex.AppendGive(s.scratch[:0], h, piece, s.n.opts)
	if err != nil {
		s.conn.Note(peer.KindError, "cannot give "+h.Short()+": "+err.Error())
		return
	}
	// Counted before it goes: a give is big enough to be on the wire before
	// Reply returns, and whoever got it may read our counters.
	s.mu.Lock()
	s.given++
	s.mu.Unlock()
	s.n.countGiven(len(piece), at)
	s.conn.Reply(give, pex.CmdGive)
}

// onGive verifies a give and saves a wanted piece; a corrupt one is
// discarded and counted against the peer, which is dropped after
// MaxStrikes of them.
func (s *session) onGive(h pex.Hash, piece []byte, at time.Time) error {
	s.mu.Lock()
	delete(s.asked, h)
	s.mu.Unlock()
	if !pex.CheckGive(h, piece) {
		s.n.countCorrupt()
		s.mu.Lock()
		s.strikes++
		strikes := s.strikes
		s.mu.Unlock()
		max := s.n.cfg.MaxStrikes
		s.conn.Note(peer.KindWarn, fmt.Sprintf("give of %s from %s failed its SHA-256: discarded (strike %d of %d)",
			h.Short(), s.conn.RemoteString(), strikes, max))
		if strikes >= max {
			return fmt.Errorf("%w (%d): dropped and shunned for %s", errBadPieces, strikes, s.n.cfg.ShunFor)
		}
		return nil
	}
	if s.n.received(s, h, piece, at) {
		s.refill(at, s.n.missing()) // the asks' pipe stays full while it is written
	} else if !s.n.wants(h) && !s.unaskedSaid {
		s.unaskedSaid = true
		s.conn.Note(peer.KindInfo, "give of "+h.Short()+", which we do not want: verified, not saved (further ones are not logged)")
	}
	return nil
}

// gotOne counts a piece from this peer, written, and asks for more.
func (s *session) gotOne(at time.Time) {
	s.mu.Lock()
	s.got++
	s.mu.Unlock()
	s.refill(at, s.n.missing())
}

// onPeers learns the peers of a peer message. On an accepted connection
// the first entry at the remote's IP is the remote's listening address
// (a bitclone node lists itself first); it goes into the address book.
func (s *session) onPeers(m pex.Message) {
	if s.conn.Dir() == peer.Inbound && m.NumPeers() > 0 {
		first := fromPeer(m.Peer(0), s.conn.Remote().Addr())
		if sameHost(first.Addr(), s.conn.Remote().Addr()) {
			s.n.mu.Lock()
			s.mu.Lock()
			known := s.listen.IsValid()
			if !known {
				s.listen = first
			}
			s.mu.Unlock()
			if !known {
				s.n.recordLocked(first, s.conn.RemoteString())
			}
			s.n.mu.Unlock()
			if !known {
				s.conn.Note(peer.KindInfo, "listens at "+first.String()+" (the first entry of its peer message): recorded")
			}
		}
	}
	added := s.n.learn(s.conn, m)
	s.mu.Lock()
	s.peersIn++
	s.learnt += added
	s.mu.Unlock()
	if added > 0 {
		s.conn.Note(peer.KindInfo, fmt.Sprintf("learnt %s from its peer message (%d known)", humanize.Count(added, "peer"), s.n.knownCount()))
		s.n.wake()
	}
}

// sameHost says whether a and b are one machine as far as a peer list can
// tell: equal, or both loopback.
func sameHost(a, b netip.Addr) bool {
	a, b = a.Unmap(), b.Unmap()
	return a == b || a.IsLoopback() && b.IsLoopback()
}

// tick sends our peer list when due and asks for missing pieces.
func (s *session) tick(now time.Time, missing []pex.Hash) {
	s.mu.Lock()
	due := now.Sub(s.peersAt) >= s.n.cfg.PeerEvery
	s.mu.Unlock()
	if due {
		s.sendPeers(now)
	}
	s.refill(now, missing)
}

// refill asks for missing pieces until MaxAsks wait on the connection. An
// ask unanswered for AskEvery (a peer that lacks the piece says nothing)
// stops counting, and the next asks start further down the list, so that
// every missing piece is asked of every peer in turn.
func (s *session) refill(now time.Time, missing []pex.Hash) {
	if len(missing) == 0 {
		return
	}
	var send []pex.Hash
	s.mu.Lock()
	for h, at := range s.asked {
		if now.Sub(at) >= s.n.cfg.AskEvery {
			delete(s.asked, h)
		}
	}
	free := s.n.cfg.MaxAsks - len(s.asked)
	for i := 0; i < len(missing) && len(send) < free; i++ {
		h := missing[(s.cursor+i)%len(missing)]
		if _, waiting := s.asked[h]; waiting {
			continue
		}
		s.asked[h] = now
		send = append(send, h)
	}
	s.cursor = (s.cursor + len(send)) % len(missing)
	s.mu.Unlock()
	for _, h := range send {
		s.n.countAsk(h)
		if !s.conn.Send(pex.AppendAsk(nil, h, s.n.opts), pex.CmdAsk) {
			return
		}
	}
}

// askedInto marks the pieces with an ask waiting on this connection.
func (s *session) askedInto(m map[pex.Hash]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h := range s.asked {
		m[h] = true
	}
}

// Info adds the connection's PEX counts to its row.
func (s *session) Info(ci *peer.ConnInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ci.Fields = append(ci.Fields,
		peer.Field{Label: "asked", Value: fmt.Sprint(len(s.asked))},
		peer.Field{Label: "got", Value: fmt.Sprint(s.got)},
		peer.Field{Label: "given", Value: fmt.Sprint(s.given)},
		peer.Field{Label: "peer msgs", Value: fmt.Sprintf("%d (%d new)", s.peersIn, s.learnt)},
	)
	if s.lacked > 0 {
		ci.Fields = append(ci.Fields, peer.Field{Label: "asks we lacked", Value: fmt.Sprint(s.lacked)})
	}
	if s.strikes > 0 {
		ci.Fields = append(ci.Fields, peer.Field{Label: "corrupt", Value: fmt.Sprint(s.strikes)})
	}
}
