package nibble

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"
)

// The error frames we answer with: short ASCII reasons, the spec's own
// words where it has them.
const (
	reasonUnknownTorrent = "Unknown torrent"
	reasonOutOfRange     = "Piece index out of range"
	reasonNotAvailable   = "Piece not available"
	reasonBadHello       = "Malformed hello: the torrent id is 20 bytes"
	reasonBadIndex       = "Malformed piece request: the index is at most 4 bytes"
	reasonVersion        = "Unsupported version: only 0x01"
	reasonType           = "Unknown message type"
	reasonUnexpected     = "Unexpected message"
)

// Reasons a session closes its connection.
var (
	errBadPieces = errors.New("sent too many pieces that failed their SHA-1")
	errNoTorrent = errors.New("peer does not serve this torrent")
	errNoAnswer  = errors.New("no answer")
	errIdle      = errors.New("had no piece we lack")
)

// request is a piece request on the wire, waiting for its answer.
type request struct {
	index int
	at    time.Time
	user  bool // typed by the user: its answer earns no strike and no refusal
}

// session is the NibbleTorrent logic of one connection. Its handler runs
// on the connection's reader goroutine; the fields under mu are shared
// with the maintenance loop (timeouts, re-hellos, requests) and snapshots.
type session struct {
	n      *Node
	conn   *peer.Conn
	dialed netip.AddrPort // outbound: the address we dialled
	id     piece.PeerID

	// Reader goroutine only.
	scratch     []byte // a piece response is built here
	lenientSaid bool   // an off-spec bitfield was logged
	extraSaid   bool   // unsolicited piece responses were logged

	mu          sync.Mutex
	established bool
	inPicker    bool
	fifo        []request // requests in the order they went on the wire
	picks       []int
	helloWait   bool      // a hello request of ours is unanswered
	helloAt     time.Time // when we last sent one
	lastAnswer  time.Time // when the peer last answered a request
	usefulAt    time.Time // when it last had something for us: its hello, a new claim, a good piece
	claims      bitfield.Bitfield
	refused     bitfield.Bitfield // pieces it claimed but refused: never re-added
	nRefused    int
	got, served int // pieces verified from it, pieces sent to it
	down, up    peer.Rate
}

func newSession(n *Node, c *peer.Conn, dialed netip.AddrPort) *session {
	return &session{n: n, conn: c, dialed: dialed, id: piece.PeerID(c.ID())}
}

func (s *session) outbound() bool { return s.conn.Dir() == peer.Outbound }

// Serve says hello on a connection we dialled, then reads frames until the
// connection ends.
func (s *session) Serve() error {
	if s.outbound() {
		s.sendHello(time.Now())
	}
	return s.conn.Serve(s.handle)
}

func (s *session) Established() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.established
}

func (s *session) GotHello() bool { return s.Established() }

// Listen is the address we dialled; an inbound peer's listening address is
// not on the wire.
func (s *session) Listen() netip.AddrPort { return s.dialed }

// SendUser sends a frame the user typed. A piece request (even a broken
// one: the peer answers it too) takes its place among ours, so that its
// answer settles it and not one of ours; a hello expects its response.
func (s *session) SendUser(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, err := nibble.Decode(frame); err == nil {
		switch f.Type {
		case nibble.TypePieceRequest:
			i, err := nibble.PieceIndex(f.Data)
			if err != nil || i >= uint32(s.n.t.NumPieces()) {
				i = ^uint32(0) // no piece: its answer is an error frame
			}
			s.fifo = append(s.fifo, request{index: int(i), at: time.Now(), user: true})
		case nibble.TypeHelloRequest:
			s.helloWait = true
		}
	}
	s.conn.Send(frame, nibble.CommandName(frame))
}

// sendHello asks the peer for its bitfield.
func (s *session) sendHello(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendHelloLocked(now)
}

func (s *session) sendHelloLocked(now time.Time) {
	s.helloWait, s.helloAt = true, now
	s.conn.Send(nibble.HelloRequest(s.n.t.ID), nibble.CmdHelloRequest)
}

// note tells the log about this connection, in order with its frames: only
// the frame handler calls it.
func (s *session) note(kind peer.Kind, text string) { s.conn.Note(kind, text) }

// reply answers the peer, in order with the other answers.
func (s *session) reply(frame []byte, cmd string) { s.conn.Reply(frame, cmd) }

func (s *session) replyError(reason string) {
	s.reply(nibble.ErrorFrame(reason), nibble.CmdError)
}

// handle is one frame from the peer. The Reader delimits frames by their
// length field whatever their version or type, so a frame we cannot read
// is answered and the connection goes on.
func (s *session) handle(frame []byte, at time.Time) error {
	f, err := nibble.Decode(frame)
	if err != nil {
		if len(frame) >= 2 && nibble.Type(frame[1]) == nibble.TypeError {
			// An error frame of another version: never answer an error
			// with an error (two such peers would loop).
			s.note(peer.KindWarn, "error frame with "+err.Error()+": not answered")
			return nil
		}
		reason := reasonType
		if errors.Is(err, nibble.ErrVersion) {
			reason = reasonVersion
		}
		s.note(peer.KindWarn, fmt.Sprintf("malformed frame (%s): answered %q", err, reason))
		s.replyError(reason)
		return nil
	}
	switch f.Type {
	case nibble.TypeHelloRequest:
		s.onHello(f.Data)
	case nibble.TypeHelloResponse:
		s.onHelloResponse(f.Data)
	case nibble.TypePieceRequest:
		s.onRequest(f.Data, at)
	case nibble.TypePieceResponse:
		return s.onPiece(f.Data, at)
	case nibble.TypeError:
		return s.onError(f.Data, at)
	}
	return nil
}

// onHello answers a hello with our verified bitfield, or an error frame
// for another torrent.
func (s *session) onHello(data []byte) {
	id, err := nibble.HelloID(data)
	if err != nil {
		s.note(peer.KindWarn, "malformed hello request: "+err.Error())
		s.replyError(reasonBadHello)
		return
	}
	if id != s.n.t.ID {
		s.note(peer.KindWarn, "hello for torrent "+id.String()+", not ours: answered "+reasonUnknownTorrent)
		s.replyError(reasonUnknownTorrent)
		return
	}
	have := s.n.store.Have()
	b, _ := nibble.HelloResponse(have) // the torrent's bitfield fits a frame (LoadTorrent checks)
	if s.outbound() {
		s.reply(b, nibble.CmdHelloResponse)
		return
	}
	// Established before the answer goes: the peer may look at our state
	// as soon as it has it.
	s.mu.Lock()
	first := !s.established
	s.established = true
	s.mu.Unlock()
	s.reply(b, nibble.CmdHelloResponse)
	if first {
		s.note(peer.KindEstablished, fmt.Sprintf("hello for our torrent: we have %d/%d pieces", have.Count(), have.Len()))
	}
}

// onHelloResponse takes the peer's bitfield: the first makes the peer one
// to download from, a later one (a re-hello) adds the pieces it gained.
func (s *session) onHelloResponse(data []byte) {
	pieces := s.n.t.NumPieces()
	if _, err := nibble.HelloBitfield(data, pieces); err != nil && !s.lenientSaid {
		s.lenientSaid = true
		s.note(peer.KindWarn, "hello response off the spec ("+err.Error()+"): read leniently")
	}
	claims := nibble.HelloBitfieldLenient(data, pieces)
	s.mu.Lock()
	if !s.helloWait {
		s.mu.Unlock()
		s.note(peer.KindWarn, "hello response we did not ask for: ignored")
		return
	}
	s.helloWait = false
	first := !s.established
	if first {
		s.established, s.usefulAt = true, time.Now()
		s.refused = bitfield.New(pieces)
		s.claims = claims
		if err := s.n.picker.AddPeer(s.id, claims); err == nil {
			s.inPicker = true
		}
	} else {
		for i := range pieces {
			if claims.Has(i) && !s.claims.Has(i) && !s.refused.Has(i) {
				s.claims.Set(i)
				s.n.picker.PeerHave(s.id, i)
				s.usefulAt = time.Now()
			}
		}
	}
	s.mu.Unlock()
	if first {
		s.note(peer.KindEstablished, fmt.Sprintf("hello response: the peer has %d/%d pieces", claims.Count(), pieces))
	}
	s.refill(time.Now())
}

// onRequest serves a verified piece, or answers an error frame.
func (s *session) onRequest(data []byte, at time.Time) {
	index, err := nibble.PieceIndex(data)
	switch {
	case err != nil:
		s.note(peer.KindWarn, "malformed piece request: "+err.Error())
		s.replyError(reasonBadIndex)
		return
	case index >= uint32(s.n.t.NumPieces()):
		s.replyError(reasonOutOfRange)
		return
	}
	i := int(index)
	size := s.n.t.PieceLen(i)
	if cap(s.scratch) < nibble.HeaderSize+size {
		s.scratch = make([]byte, nibble.HeaderSize+s.n.t.PieceSize)
	}
	buf := s.scratch[:nibble.HeaderSize+size]
	if _, err := s.n.store.ReadPiece(i, buf[nibble.HeaderSize:]); err != nil {
		if !errors.Is(err, piece.ErrMissing) {
			s.note(peer.KindError, err.Error())
		}
		s.replyError(reasonNotAvailable)
		return
	}
	buf[0], buf[1], buf[2], buf[3] = nibble.ProtocolVersion, byte(nibble.TypePieceResponse), byte(size>>8), byte(size)
	// The state first: a big reply goes out from inside reply, and whoever
	// got it may look at this session's state before reply returns.
	s.mu.Lock()
	if !s.outbound() {
		// A peer that asks without a hello is served all the same, and
		// not timed out as one still handshaking.
		s.established = true
	}
	s.served++
	s.up.Add(int64(size), at)
	s.mu.Unlock()
	s.n.meter.AddUp(size, at)
	s.reply(buf, nibble.CmdPieceResponse)
}

// waiting is the piece the oldest request waiting asks for.
func (s *session) waiting() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fifo) == 0 {
		return 0, false
	}
	return s.fifo[0].index, true
}

// onPiece settles the oldest request with the piece: verified and written,
// or discarded with a strike for the peer.
func (s *session) onPiece(data []byte, at time.Time) error {
	s.mu.Lock()
	if len(s.fifo) == 0 {
		s.mu.Unlock()
		if !s.extraSaid {
			s.extraSaid = true
			s.note(peer.KindWarn, fmt.Sprintf("piece response of %d bytes with no request waiting: ignored", len(data)))
		}
		return nil
	}
	req := s.fifo[0]
	s.fifo = s.fifo[1:]
	s.lastAnswer = at
	s.down.Add(int64(len(data)), at)
	s.mu.Unlock()
	s.n.meter.AddDown(len(data), at)

	i := req.index
	err := s.n.store.WritePiece(i, data)
	if req.user {
		s.userPiece(i, err)
		s.refill(at)
		return nil
	}
	switch {
	case i >= s.n.t.NumPieces():
		s.note(peer.KindWarn, "a piece response to a broken request typed by hand: ignored")
	case err == nil || errors.Is(err, piece.ErrSave):
		s.n.picker.Done(s.id, i) // endgame copies elsewhere come back as ErrDuplicate
		s.mu.Lock()
		s.got++
		s.usefulAt = at
		s.mu.Unlock()
		if err != nil {
			s.note(peer.KindError, err.Error())
		}
		if s.n.store.Complete() {
			s.n.markComplete("every piece verified and saved", s.conn)
		}
	case errors.Is(err, piece.ErrDuplicate):
		// A late endgame copy, or one another connection is writing.
	case errors.Is(err, piece.ErrHash) || errors.Is(err, piece.ErrRange):
		drop := s.n.picker.Failed(s.id, i)
		st, _ := s.n.picker.Peer(s.id)
		what := "failed its SHA-1"
		if errors.Is(err, piece.ErrRange) {
			what = fmt.Sprintf("has %d bytes, not %d", len(data), s.n.t.PieceLen(i))
		}
		s.note(peer.KindWarn, fmt.Sprintf("piece %d from %s %s: discarded, asked of another peer (strike %d of %d)",
			i, s.conn.RemoteString(), what, st.Strikes, s.maxStrikes()))
		if drop {
			return fmt.Errorf("%w (%d)", errBadPieces, st.Strikes)
		}
	default:
		s.n.picker.Release(s.id, i)
		s.note(peer.KindError, err.Error())
	}
	s.refill(at)
	return nil
}

// userPiece takes the answer to a request the user typed: a piece we
// lacked counts, a bad one is only reported (the user may have asked for
// anything).
func (s *session) userPiece(i int, err error) {
	switch {
	case i >= s.n.t.NumPieces():
		s.note(peer.KindWarn, "a piece response to a broken request typed by hand: ignored")
	case err == nil || errors.Is(err, piece.ErrSave):
		s.n.picker.Done(s.id, i)
		if s.n.store.Complete() {
			s.n.markComplete("every piece verified and saved", s.conn)
		}
	case errors.Is(err, piece.ErrHash) || errors.Is(err, piece.ErrRange):
		s.note(peer.KindWarn, fmt.Sprintf("the answer to the piece request typed by hand is not piece %d: %v", i, err))
	}
}

func (s *session) maxStrikes() int {
	if s.n.cfg.MaxStrikes > 0 {
		return s.n.cfg.MaxStrikes
	}
	return piece.DefaultMaxStrikes
}

// onError settles the oldest request with a refusal, or is the answer to
// our hello. It is never answered.
func (s *session) onError(data []byte, at time.Time) error {
	text := codec.Printable(data)
	s.mu.Lock()
	if len(s.fifo) > 0 && s.fifo[0].user {
		s.fifo = s.fifo[1:]
		s.lastAnswer = at
		s.mu.Unlock()
		return nil // the log shows the error frame; the user asked
	}
	if len(s.fifo) > 0 {
		req := s.fifo[0]
		s.fifo = s.fifo[1:]
		s.lastAnswer = at
		s.nRefused++
		n := s.nRefused
		claimed := s.claims.Has(req.index)
		s.refused.Set(req.index)
		s.claims.Clear(req.index)
		s.mu.Unlock()
		s.n.picker.Refused(s.id, req.index)
		if n == 1 {
			what := "piece"
			if claimed {
				what = "piece its hello claimed"
			}
			s.note(peer.KindWarn, fmt.Sprintf("refused %s %d: %q; asking another peer (further refusals are counted, not logged)", what, req.index, text))
		}
		s.refill(at)
		return nil
	}
	if s.helloWait {
		s.helloWait = false
		first := !s.established
		s.mu.Unlock()
		if first {
			return fmt.Errorf("%w: it answered our hello with %q", errNoTorrent, text)
		}
		s.note(peer.KindWarn, fmt.Sprintf("answered our re-hello with %q", text))
		return nil
	}
	s.mu.Unlock()
	s.note(peer.KindWarn, fmt.Sprintf("error frame: %q (not answered)", text))
	return nil
}

// refill requests pieces until Pipeline requests wait on the connection.
// Requests go out with Send under mu, so the FIFO's order is the wire's.
func (s *session) refill(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	free := s.n.cfg.Pipeline - len(s.fifo)
	if !s.inPicker || free <= 0 || s.helloWait {
		return
	}
	s.picks = s.n.picker.AppendNext(s.picks[:0], s.id, free)
	for _, i := range s.picks {
		s.fifo = append(s.fifo, request{index: i, at: now})
		if !s.conn.Send(nibble.PieceRequest(uint32(i)), nibble.CmdPieceRequest) {
			return // closing: the picker gets its requests back from RemovePeer
		}
	}
}

// tick is the session's periodic work: close a connection whose oldest
// request (or hello) has gone unanswered for RequestTimeout, ask a peer
// with nothing for us for its bitfield again, and request pieces that came
// free (another peer left).
func (s *session) tick(now time.Time) {
	s.refill(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	timeout := s.n.cfg.RequestTimeout
	if len(s.fifo) > 0 {
		since := s.fifo[0].at
		if s.lastAnswer.After(since) {
			since = s.lastAnswer
		}
		if now.Sub(since) > timeout {
			s.conn.Close(fmt.Errorf("%w to piece request %d for %s (%d requests waiting)", errNoAnswer, s.fifo[0].index, timeout, len(s.fifo)))
		}
		return
	}
	if s.helloWait {
		if now.Sub(s.helloAt) > timeout {
			s.conn.Close(fmt.Errorf("%w to our hello for %s", errNoAnswer, timeout))
		}
		return
	}
	if s.inPicker && now.Sub(s.helloAt) >= s.n.cfg.RehelloInterval && !s.n.store.Complete() {
		s.sendHelloLocked(now)
	}
}

// idleSince says whether the peer has had nothing for us since before t:
// no request waiting, nothing it has that we lack.
func (s *session) idleSince(t time.Time) bool {
	s.mu.Lock()
	idle := s.inPicker && len(s.fifo) == 0 && s.usefulAt.Before(t)
	s.mu.Unlock()
	return idle && !s.n.picker.Wants(s.id)
}

// Info adds the peer's pieces, rates and requests in flight to its row.
func (s *session) Info(ci *peer.ConnInfo) {
	now := time.Now()
	st, known := s.n.picker.Peer(s.id)
	s.mu.Lock()
	defer s.mu.Unlock()
	pieces := "-"
	if known {
		pieces = fmt.Sprintf("%d/%d", st.Pieces, s.n.t.NumPieces())
	}
	ci.Fields = append(ci.Fields,
		peer.Field{Label: "pieces", Value: pieces},
		peer.Field{Label: "down", Value: humanize.Bytes(uint64(s.down.PerSecond(now))) + "/s"},
		peer.Field{Label: "up", Value: humanize.Bytes(uint64(s.up.PerSecond(now))) + "/s"},
		peer.Field{Label: "in flight", Value: fmt.Sprint(len(s.fifo))},
		peer.Field{Label: "got", Value: fmt.Sprint(s.got)},
		peer.Field{Label: "sent", Value: fmt.Sprint(s.served)},
	)
	if s.nRefused > 0 {
		ci.Fields = append(ci.Fields, peer.Field{Label: "refused", Value: fmt.Sprint(s.nRefused)})
	}
	if known && st.Strikes > 0 {
		ci.Fields = append(ci.Fields, peer.Field{Label: "strikes", Value: fmt.Sprint(st.Strikes)})
	}
}
