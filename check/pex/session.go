package pex

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/pex"
)

// env is what every PEX probe gets: the run's check.Env, the options
// (defaults filled in) and what the run learnt.
type env struct {
	*check.Env
	o   Options
	run *runState
}

// wrap gives a probe of the run e its env.
func wrap(e *check.Env, o Options, rs *runState) *env {
	o.Options = e.Options()
	return &env{Env: e, o: o, run: rs}
}

// How a node showed it understood a peer message of ours.
const (
	viaNone     = iota
	viaSameConn // a peer list back on our connection
	viaDialBack // it dialled the listener our peer message named
	viaRecorded // a peer list it sent a later connection of ours lists us
)

// attempt is a peer message of ours in one byte order and what came of it.
type attempt struct {
	tried    bool
	sent     []byte
	greeting []frame // what came on connect, before ours
	via      int
	got      []frame // what came on our connection
	dial     *dial   // its dial back, if that is how it answered
	list     frame   // the peer list that answered, on our connection or a second one
	err      error   // why it was not understood
}

// dial is a connection the node opened to our listener.
type dial struct {
	at     time.Time
	remote netip.AddrPort
	frames []frame // the first few it sent
	ended  bool
}

// maxDialFrames is how many messages of a dial back we keep for the report.
const maxDialFrames = 8

// runState is what the probes learn for each other, and what the node's
// dials to our listener bring: guarded by mu, and changed is closed and
// replaced on every change, for waiters.
type runState struct {
	mu      sync.Mutex
	changed chan struct{}
	wire    wire.Options // the order the node speaks, once known
	known   bool
	peerIP  netip.Addr // the node's address as we reach it
	tries   [2]attempt // by byte order
	dials   []*dial
	lists   []peerList
	piece   *wire.Hash // a piece it gave right: the liveness ask
}

// peerList is a peer list that came to us, and where.
type peerList struct {
	where string
	peers []netip.AddrPort
	raw   []byte
}

func newRunState(o wire.Options) *runState {
	return &runState{changed: make(chan struct{}), wire: o}
}

// signal wakes every waiter. Called with s.mu held.
func (s *runState) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// order is the wire the checks speak: the node's, once known.
func (s *runState) order() wire.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wire
}

// learn notes the node's byte order and how it answered.
func (s *runState) learn(order wire.ByteOrder, a attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries[order] = a
	if a.via != viaNone && !s.known {
		s.known, s.wire.Order = true, order
	}
}

// attempts returns what peer messages in each order got.
func (s *runState) attempts() [2]attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// answered is how the node answered a peer message in its order.
func (s *runState) answered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known {
		return viaNone
	}
	return s.tries[s.wire.Order].via
}

func (s *runState) setPeerIP(ip netip.Addr) {
	s.mu.Lock()
	s.peerIP = ip
	s.mu.Unlock()
}

func (s *runState) setPiece(h wire.Hash) {
	s.mu.Lock()
	if s.piece == nil {
		s.piece = &h
	}
	s.mu.Unlock()
}

// livenessPiece is a piece the node gave right, if any.
func (s *runState) livenessPiece() (wire.Hash, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.piece == nil {
		return wire.Hash{}, false
	}
	return *s.piece, true
}

// addList keeps a peer list that came to us.
func (s *runState) addList(where string, f frame) {
	m, ok := f.Msg.(msg)
	if !ok || m.Type != wire.TypePeer {
		return
	}
	s.mu.Lock()
	s.lists = append(s.lists, peerList{where: where, peers: m.AppendPeers(nil), raw: f.Raw})
	s.mu.Unlock()
}

func (s *runState) peerLists() []peerList {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]peerList(nil), s.lists...)
}

// fromPeer says whether a connection to us comes from the node (any
// address, until we know the node's).
func (s *runState) fromPeer(d *dial) bool {
	return !s.peerIP.IsValid() || d.remote.Addr() == s.peerIP
}

// waitDial waits until deadline for a dial from the node that began at or
// after since.
func (s *runState) waitDial(ctx context.Context, since, deadline time.Time) (*dial, bool) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		s.mu.Lock()
		for _, d := range s.dials {
			if !d.at.Before(since) && s.fromPeer(d) {
				s.mu.Unlock()
				return d, true
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-t.C:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}
}

// dialSnapshot is a copy of d, taken under the lock.
func (s *runState) dialSnapshot(d *dial) dial {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *d
	c.frames = append([]frame(nil), d.frames...)
	return c
}

// dialOpen says whether a connection the node opened to us is still open.
func (s *runState) dialOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dials {
		if s.fromPeer(d) && !d.ended {
			return true
		}
	}
	return false
}

// hold serves a connection the node (or anyone it told of us) opened to
// our listener: it notes the dial and what comes on it, answers nothing,
// and keeps it open until the run ends, for the course's node dies of
// SIGPIPE when the other side closes first.
func (s *runState) hold(in *conn) {
	d := &dial{at: time.Now(), remote: in.Remote()}
	s.mu.Lock()
	s.dials = append(s.dials, d)
	s.signal()
	s.mu.Unlock()
	for {
		f, err := in.Recv()
		s.mu.Lock()
		if err != nil {
			d.ended = true
			s.signal()
			s.mu.Unlock()
			return
		}
		if len(d.frames) < maxDialFrames {
			d.frames = append(d.frames, f)
		}
		s.signal()
		s.mu.Unlock()
		s.addList("on its connection to us", f)
	}
}

// peerMessage is a peer message naming our listener, in order.
func (e *env) peerMessage(o wire.Options) []byte {
	b, err := wire.AppendPeers(nil, []netip.AddrPort{e.Us()}, o)
	if err != nil { // our own address: cannot fail
		panic(err)
	}
	return b
}

// hello is what the liveness check sends: an ask for a piece the node gave
// right, else a peer message naming us, in its order.
func (e *env) hello() []byte {
	o := e.run.order()
	if h, ok := e.run.livenessPiece(); ok {
		return wire.AppendAsk(nil, h, o)
	}
	return e.peerMessage(o)
}

// answeredHello waits for the node's answer to hello on c: the give, or a
// peer list on c. A node that answers peer messages only by dialling the
// port in them (the course's node) dials it once: then a connection of
// ours that stays open, and its connection to us that does, are all there
// is to see.
func (e *env) answeredHello(c *conn) error {
	if h, ok := e.run.livenessPiece(); ok {
		_, _, err := c.Await(e.o.Timeout, isGiveOf(h))
		return err
	}
	if e.run.answered() != viaDialBack {
		_, _, err := c.Await(e.o.Timeout, isPeerList)
		return err
	}
	_, err := c.Next(e.o.Settle())
	switch {
	case err == nil:
		return nil
	case !check.IsNoAnswer(err):
		return err
	case !e.run.dialOpen():
		return errors.New("its connection to our listener is closed, and nothing came on ours")
	}
	return nil
}

// isGiveOf matches a give of the piece h.
func isGiveOf(h wire.Hash) func(frame) bool {
	return func(f frame) bool {
		m, ok := f.Msg.(msg)
		return ok && m.Type == wire.TypeGive && m.Hash == h
	}
}

// isGive matches any give, whole or not.
func isGive(f frame) bool { return f.Cmd == wire.CmdGive }

// ask sends an ask for h on c and waits for a give.
func (e *env) ask(c *conn, h wire.Hash) (frame, []frame, error) {
	if err := c.Send(wire.AppendAsk(nil, h, e.run.order())); err != nil {
		return frame{}, nil, err
	}
	return c.Await(e.o.Timeout, check.Answers(c, isGive))
}

// wrongGive says what is wrong with f as the give of h ("" if it is right)
// and whether it is only short, which the course's node would assert on.
func (e *env) wrongGive(f frame, h wire.Hash) (wrong string, short bool) {
	if f.Err != nil {
		return "a broken give: " + f.Err.Error(), false
	}
	m := f.Msg.(msg)
	switch {
	case m.Hash != h:
		return fmt.Sprintf("a give for %s, not the %s we asked for", m.Hash.Short(), h.Short()), false
	case !wire.CheckGive(h, m.Piece):
		return fmt.Sprintf("a give of %d bytes that hash to %s, not to the SHA-256 asked for", len(m.Piece), wire.HashOf(m.Piece).Short()), false
	case len(m.Piece) < e.o.Wire.Piece():
		return fmt.Sprintf("a short give: %d of %d bytes (the course's node asserts a full piece)", len(m.Piece), e.o.Wire.Piece()), true
	}
	return "", false
}
