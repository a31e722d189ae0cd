package bt

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/bitfield"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/metainfo"
)

// env is what every BitTorrent probe gets: the run's check.Env, the
// options (defaults filled in), the torrent, and what the run learnt.
type env struct {
	*check.Env
	o   Options
	t   *metainfo.Torrent
	run *runState
}

// runState is what one probe learns for the ones after it.
type runState struct {
	mu sync.Mutex
	// noUnchoke is set once the choking check saw no unchoke after our
	// interested: the checks that need one are then not run.
	noUnchoke bool
}

func (s *runState) neverUnchoked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.noUnchoke
}

func (s *runState) setNoUnchoke() {
	s.mu.Lock()
	s.noUnchoke = true
	s.mu.Unlock()
}

// wrap gives a probe of the run e its env.
func wrap(e *check.Env, o Options, rs *runState) *env {
	o = o.withDefaults()
	o.Options = e.Options()
	return &env{Env: e, o: o, t: o.Torrent, run: rs}
}

// newEnv opens a run's env to try probes one by one (tests).
func newEnv(ctx context.Context, target string, o Options, nw check.Network) (*env, error) {
	rs := &runState{}
	e, err := check.NewEnv(ctx, target, suite(o, rs), o.Options, nw)
	if err != nil {
		return nil, err
	}
	return wrap(e, o, rs), nil
}

// peerIDPrefix opens our peer_ids (Azureus style: client BC, version).
const peerIDPrefix = "-BC0001-"

// ourHandshake is a handshake for info_hash ih with a fresh peer_id, so
// that a peer which refuses a second connection from one peer_id does not
// take two probes for one peer.
func ourHandshake(ih wire.InfoHash) []byte {
	h := wire.Handshake{InfoHash: ih}
	copy(h.PeerID[:], peerIDPrefix)
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	rand.Read(h.PeerID[len(peerIDPrefix):])
	for i := len(peerIDPrefix); i < wire.PeerIDSize; i++ {
		h.PeerID[i] = digits[int(h.PeerID[i])%len(digits)]
	}
	return h.Bytes()
}

func (e *env) infoHash() wire.InfoHash { return wire.InfoHash(e.t.InfoHash) }

// session is one connection's handshake and what the peer said after it.
type session struct {
	c      *conn
	sent   []byte
	hs     frame // its handshake
	their  theirHandshake
	after  []frame // every message since, in order
	claims bitfield.Bitfield
	// bitfield is its bitfield message's payload (nil: none yet), and
	// firstMsg whether it came first after the handshake, as the spec asks.
	bitfield    []byte
	sawBitfield bool
	firstMsg    bool
	haves       int  // pieces claimed by have, beyond the bitfield
	unchoked    bool // the peer's choke state towards us
	unchokedAt  time.Time
}

// observe folds a message the peer sent into s.
func (s *session) observe(f frame) {
	s.after = append(s.after, f)
	m, ok := f.Msg.(wire.Message)
	if !ok {
		return
	}
	switch {
	case m.KeepAlive:
	case m.ID == wire.IDBitfield && !s.sawBitfield:
		s.sawBitfield, s.firstMsg = true, len(s.after) == 1
		s.bitfield = m.Payload
		lenient := bitfield.Lenient(m.Payload, s.claims.Len())
		for i := range lenient.Len() {
			if lenient.Has(i) {
				s.claims.Set(i)
			}
		}
	case m.ID == wire.IDHave && int(m.Index) < s.claims.Len():
		if !s.claims.Has(int(m.Index)) {
			s.claims.Set(int(m.Index))
			s.haves++
		}
	case m.ID == wire.IDUnchoke:
		if !s.unchoked {
			s.unchokedAt = f.At
		}
		s.unchoked = true
	case m.ID == wire.IDChoke:
		s.unchoked = false
	}
}

func (s *session) observeAll(fs []frame) {
	for _, f := range fs {
		s.observe(f)
	}
}

// greet sends our handshake on c and reads the peer's, then watches for
// what comes right after it (the bitfield, haves) until a quiet Settle.
// A handshake that fails is a check.HandshakeError, and the run's first
// one is the root cause that the report states once. A peer_id of 19
// bytes or another info_hash are not failures here: the handshake check
// judges them, and the rest go on.
func (e *env) greet(c *conn) (*session, error) {
	s := &session{c: c, sent: ourHandshake(e.infoHash()), claims: bitfield.New(e.t.Info.NumPieces())}
	if err := c.Send(s.sent); err != nil {
		return s, e.FailedHandshake("sending our handshake", err)
	}
	f, err := c.Next(e.o.Timeout)
	if err != nil {
		return s, e.FailedHandshake("waiting for its handshake", err)
	}
	s.hs = f
	if err := notHandshake(f); err != nil {
		return s, e.FailedHandshake("waiting for its handshake", err)
	}
	e.Greeted()
	s.their = f.Msg.(theirHandshake)
	e.settle(s)
	return s, nil
}

// settle reads what the peer sends until it is quiet for a Settle (at
// most a Timeout in all).
func (e *env) settle(s *session) {
	deadline := time.Now().Add(e.o.Timeout)
	for time.Now().Before(deadline) {
		f, err := s.c.Next(min(e.o.Settle(), time.Until(deadline)))
		if err != nil {
			return
		}
		s.observe(f)
	}
}

// notHandshake says why f is not a BitTorrent handshake (nil if it is).
func notHandshake(f frame) error {
	switch {
	case f.Cmd == wire.CmdHandshake && f.Err == nil:
		return nil
	case f.Cmd == wire.CmdHandshake:
		return f.Err
	case f.Err != nil:
		return fmt.Errorf("it answered a message that does not decode (%v), not a handshake", f.Err)
	}
	return fmt.Errorf("it answered %s, not a handshake", word(f.Raw))
}

// established opens a connection (paced as asked) and shakes hands.
func (e *env) established(pace time.Duration) (*session, error) {
	c, err := e.DialPaced(pace)
	if err != nil {
		return nil, err
	}
	s, err := e.greet(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// errNoUnchoke is a peer that did not unchoke us after our interested.
var errNoUnchoke = errors.New("no unchoke")

// unchoke sends interested (unless the peer unchoked us already) and
// waits for its unchoke.
func (e *env) unchoke(s *session) error {
	if s.unchoked {
		return nil
	}
	if err := s.c.Send(wire.AppendSimple(nil, wire.IDInterested)); err != nil {
		return err
	}
	f, skipped, err := s.c.Await(e.o.Timeout, check.Is(wire.CmdUnchoke))
	s.observeAll(skipped)
	if err != nil {
		if check.IsNoAnswer(err) {
			return fmt.Errorf("%w within %s of our interested", errNoUnchoke, check.Dur(e.o.Timeout))
		}
		return err
	}
	s.observe(f)
	return nil
}

// ready opens a connection, shakes hands and gets unchoked: where a probe
// about requests starts. A result is set when it cannot: a Skip if the
// choking check found that the peer never unchokes.
func (e *env) ready(pace time.Duration) (*session, *check.Result) {
	if e.run.neverUnchoked() {
		return nil, &check.Result{Verdict: check.Skip, Detail: "not run: it did not unchoke us after interested (see choking)"}
	}
	s, err := e.established(pace)
	if err != nil {
		r := check.Failed(err)
		return nil, &r
	}
	if err := e.unchoke(s); err != nil {
		s.c.Close()
		r := check.Result{Verdict: check.Fail, Sent: "interested", Got: shownFrames(s.after...), Detail: err.Error()}
		return nil, &r
	}
	return s, nil
}

// claimed lists the pieces the session's peer claims, in order; if none,
// why a probe is not run.
func (s *session) claimed() ([]int, string) {
	var out []int
	for i := range s.claims.Len() {
		if s.claims.Has(i) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, "not run: the peer claims no piece of the torrent (see bitfield)"
	}
	return out, ""
}

// block is a request's index, begin and length.
type block struct{ index, begin, length uint32 }

func (b block) request() []byte { return wire.AppendRequest(nil, b.index, b.begin, b.length) }

func (b block) String() string { return fmt.Sprintf("request %d %d %d", b.index, b.begin, b.length) }

// answers says whether f is a piece message for b.
func (b block) answers(f frame) bool {
	m, ok := f.Msg.(wire.Message)
	return ok && m.ID == wire.IDPiece && m.Index == b.index && m.Begin == b.begin && len(m.Payload) == int(b.length)
}

// touches says whether f is a piece message at b's index and begin, of
// any length: a peer serving b, whole or cut.
func (b block) touches(f frame) bool {
	m, ok := f.Msg.(wire.Message)
	return ok && m.ID == wire.IDPiece && m.Index == b.index && m.Begin == b.begin
}

// firstBlock is the first block of piece i.
func (e *env) firstBlock(i int) block {
	return block{uint32(i), 0, uint32(min(wire.BlockSize, e.t.Info.PieceLen(i)))}
}

// fetch requests b and waits for it; a choke on the way is waited out
// once (the request is then asked again, for a choke discards it).
func (e *env) fetch(s *session, b block) ([]byte, error) {
	for try := 0; ; try++ {
		if err := s.c.Send(b.request()); err != nil {
			return nil, err
		}
		f, skipped, err := s.c.Await(e.o.Timeout, func(f frame) bool { return b.answers(f) || f.Cmd == wire.CmdChoke })
		s.observeAll(skipped)
		if err != nil {
			return nil, err
		}
		s.observe(f)
		if f.Cmd != wire.CmdChoke {
			return f.Msg.(wire.Message).Payload, nil
		}
		if try > 0 {
			return nil, errors.New("it choked us again")
		}
		if _, skipped, err = s.c.Await(e.o.Timeout, check.Is(wire.CmdUnchoke)); err != nil {
			return nil, fmt.Errorf("it choked us, then: %w", err)
		}
		s.observeAll(skipped)
	}
}

// fetchPiece fetches piece i block by block and says what is wrong with
// it ("" if its SHA-1 matches).
func (e *env) fetchPiece(s *session, i int) (string, error) {
	n := e.t.Info.PieceLen(i)
	data := make([]byte, 0, n)
	for begin := 0; begin < n; begin += wire.BlockSize {
		b := block{uint32(i), uint32(begin), uint32(min(wire.BlockSize, n-begin))}
		got, err := e.fetch(s, b)
		if err != nil {
			return "", fmt.Errorf("%s: %w", b, err)
		}
		data = append(data, got...)
	}
	if metainfo.Hash(sha1.Sum(data)) != e.t.Info.Pieces[i] {
		return "its SHA-1 does not match", nil
	}
	return "", nil
}

// stillServes asks for b after something bad was sent: "" if it came;
// else why not, and whether the peer closed. A piece for bad on the way
// is reported as served.
func (e *env) stillServes(s *session, b, bad block, badServed func(frame) bool) (why string, closed, served bool) {
	if err := s.c.Send(b.request()); err != nil {
		return "our " + b.String() + " after it: " + err.Error(), check.IsClosed(err), false
	}
	f, skipped, err := s.c.Await(e.o.Timeout, func(f frame) bool { return b.answers(f) || badServed(f) })
	s.observeAll(skipped)
	switch {
	case err != nil:
		return "our " + b.String() + " after it: " + err.Error(), check.IsClosed(err), false
	case badServed(f) && !b.answers(f):
		return "", false, true
	}
	return "", false, false
}
