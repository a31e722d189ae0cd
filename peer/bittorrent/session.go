package bt

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"
)

// block is a request of ours on the wire, waiting for its piece message.
type block struct {
	index, begin, length int
	at                   time.Time
}

// session is the BitTorrent logic of one connection. Its handler runs on
// the connection's reader goroutine; the fields under mu are shared with
// the maintenance loop (choking, keep-alives, timeouts), with other
// sessions (have, cancel) and with snapshots. Lock order: the host's
// mutex, then mu.
type session struct {
	n      *Node
	conn   *peer.Conn
	dialed netip.AddrPort // outbound: the address we dialled
	id     piece.PeerID

	// Reader goroutine only.
	shaken      bool   // the peer's handshake came
	self        bool   // the peer is ourselves (an inbound connection)
	gotMessage  bool   // a message after the handshake came (a bitfield is late now)
	unknownSaid bool   // a message of an unknown id was logged
	chokedSaid  bool   // a request while choked was logged
	scratch     []byte // a piece message is built here

	mu             sync.Mutex
	established    bool
	remoteID       bittorrent.PeerID
	amChoking      bool
	amInterested   bool
	peerChoking    bool
	peerInterested bool
	has            bitfield.Bitfield
	inflight       []block
	pieces         []*assembly // pieces this connection fetches, in the order picked
	picks          []int
	lastSent       time.Time
	lastBlock      time.Time // the last block received, or when the peer unchoked us
	snubbed        bool      // sent no block for RequestTimeout: one request at a time
	got, served    int       // pieces verified from it, blocks sent to it
	down, up       peer.Rate
}

func newSession(n *Node, c *peer.Conn, dialed netip.AddrPort) *session {
	return &session{
		n: n, conn: c, dialed: dialed, id: piece.PeerID(c.ID()),
		amChoking: true, peerChoking: true, lastSent: time.Now(),
	}
}

// Serve sends our handshake on a connection we dialled, then reads frames
// until the connection ends.
func (s *session) Serve() error {
	if s.conn.Dir() == peer.Outbound {
		s.sendHandshake()
	}
	return s.conn.Serve(s.handle)
}

func (s *session) Established() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.established
}

func (s *session) GotHello() bool { return s.Established() }

// Listen is the address we dialled; an inbound peer's is not on the wire.
func (s *session) Listen() netip.AddrPort { return s.dialed }

// SendUser sends a frame the user typed. Choke and interest messages
// change our side's flags, so that they say what the peer was told.
func (s *session) SendUser(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, err := bittorrent.Decode(frame); err == nil && !m.KeepAlive && !bittorrent.IsHandshake(frame) {
		switch m.ID {
		case bittorrent.IDChoke:
			s.amChoking = true
		case bittorrent.IDUnchoke:
			s.amChoking = false
		case bittorrent.IDInterested:
			s.amInterested = true
		case bittorrent.IDNotInterested:
			s.amInterested = false
		}
	}
	s.sendLocked(frame, bittorrent.CommandName(frame))
}

// sendLocked queues a frame and remembers when, for the keep-alive.
func (s *session) sendLocked(frame []byte, cmd string) bool {
	s.lastSent = time.Now()
	return s.conn.Send(frame, cmd)
}

func (s *session) sendHandshake() {
	h := bittorrent.Handshake{InfoHash: s.n.ctx.InfoHash, PeerID: s.n.cfg.PeerID}
	s.mu.Lock()
	s.sendLocked(h.Bytes(), bittorrent.CmdHandshake)
	s.mu.Unlock()
}

// handle is one frame from the peer: the handshake, then messages. A
// message the codec refuses drops the connection; one of an unknown id is
// skipped.
func (s *session) handle(frame []byte, at time.Time) error {
	if !s.shaken {
		return s.onHandshake(frame)
	}
	if s.self {
		return nil
	}
	m, err := bittorrent.Decode(frame)
	if err != nil {
		return fmt.Errorf("%w: %v", errProtocol, err)
	}
	if m.KeepAlive {
		return nil
	}
	first := !s.gotMessage
	s.gotMessage = true
	switch m.ID {
	case bittorrent.IDChoke:
		s.onChoke()
	case bittorrent.IDUnchoke:
		s.onUnchoke(at)
	case bittorrent.IDInterested, bittorrent.IDNotInterested:
		s.onInterest(m.ID == bittorrent.IDInterested)
	case bittorrent.IDHave:
		return s.onHave(int64(m.Index))
	case bittorrent.IDBitfield:
		if !first {
			// Off the spec, but aria2 does it (no bitfield while it has
			// nothing, one later): its pieces count as haves. A bad one
			// still drops the connection.
			s.conn.Note(peer.KindWarn, "off the spec: a bitfield after other messages; its pieces are taken as haves")
		}
		return s.onBitfield(m.Payload)
	case bittorrent.IDRequest:
		return s.onRequest(m, at)
	case bittorrent.IDPiece:
		return s.onPiece(m, at)
	case bittorrent.IDCancel, bittorrent.IDPort:
		// Requests are answered as they come, so nothing waits to be
		// cancelled; we run no DHT.
	default:
		if !s.unknownSaid {
			s.unknownSaid = true
			s.conn.Note(peer.KindWarn, fmt.Sprintf("message of unknown id %d (%d bytes): skipped (further ones are not logged)", m.ID, len(m.Payload)))
		}
	}
	return nil
}

// onHandshake checks the peer's handshake: our torrent, not ourselves. An
// inbound peer gets our handshake then; both get our bitfield.
func (s *session) onHandshake(frame []byte) error {
	h, err := bittorrent.ParseHandshake(frame)
	if err != nil {
		return fmt.Errorf("%w: %v", errProtocol, err)
	}
	if h.InfoHash != s.n.ctx.InfoHash {
		return fmt.Errorf("%w: info_hash %s, ours is %s", errWrongTorrent, h.InfoHash, s.n.ctx.InfoHash)
	}
	inbound := s.conn.Dir() == peer.Inbound
	if inbound {
		s.sendHandshake()
	}
	if h.PeerID == s.n.cfg.PeerID {
		if !inbound {
			return fmt.Errorf("%w (peer_id %s)", errSelf, h.PeerID)
		}
		// Our dialling side reads our handshake and hangs up, and so
		// learns the address is ours; closing first could lose it.
		s.shaken, s.self = true, true
		s.conn.Note(peer.KindWarn, "handshake with our own peer_id: a connection from ourselves, left to our dialling side to close")
		return nil
	}
	s.shaken = true
	pieces := s.n.t.Info.NumPieces()
	// Under the node's lock, as verified takes the sessions to tell: a
	// piece verified from now on gets a have after this bitfield.
	s.n.mu.Lock()
	have := s.n.store.Have()
	s.mu.Lock()
	s.established, s.remoteID = true, h.PeerID
	s.has = bitfield.New(pieces)
	s.n.picker.AddPeer(s.id, s.has)
	if have.Count() > 0 {
		s.sendLocked(bittorrent.AppendBitfield(nil, have), bittorrent.CmdBitfield)
	}
	s.mu.Unlock()
	s.n.establishedLocked(s)
	s.n.mu.Unlock()
	text := fmt.Sprintf("handshake: peer_id %s; we have %d/%d pieces", h.PeerID, have.Count(), pieces)
	if ext := h.Reserved.Extensions(); len(ext) > 0 {
		text += fmt.Sprintf("; reserved bits %v ignored", ext)
	}
	s.conn.Note(peer.KindEstablished, text)
	return nil
}

// onBitfield takes the peer's pieces.
func (s *session) onBitfield(payload []byte) error {
	f, err := bittorrent.ParseBitfield(payload, s.n.t.Info.NumPieces())
	if err != nil {
		return fmt.Errorf("%w: %v", errProtocol, err)
	}
	s.mu.Lock()
	for i := range f.Len() {
		if f.Has(i) && !s.has.Has(i) {
			s.has.Set(i)
			s.n.picker.PeerHave(s.id, i)
		}
	}
	s.mu.Unlock()
	s.conn.Note(peer.KindInfo, fmt.Sprintf("bitfield: the peer has %d/%d pieces", f.Count(), f.Len()))
	s.updateInterest()
	return nil
}

// onHave adds a piece the peer has.
func (s *session) onHave(i int64) error {
	if i >= int64(s.n.t.Info.NumPieces()) {
		return fmt.Errorf("%w: have %d, the torrent has %d pieces", errProtocol, i, s.n.t.Info.NumPieces())
	}
	s.mu.Lock()
	fresh := !s.has.Has(int(i))
	if fresh {
		s.has.Set(int(i))
		s.n.picker.PeerHave(s.id, int(i))
	}
	s.mu.Unlock()
	if fresh {
		s.updateInterest()
	}
	return nil
}

// updateInterest tells the peer whether it has pieces we lack, when that
// changed, and requests blocks.
func (s *session) updateInterest() {
	want := s.n.picker.Wants(s.id)
	s.mu.Lock()
	if want != s.amInterested {
		s.amInterested = want
		if want {
			s.sendLocked(bittorrent.AppendSimple(nil, bittorrent.IDInterested), bittorrent.CmdInterested)
		} else {
			s.sendLocked(bittorrent.AppendSimple(nil, bittorrent.IDNotInterested), bittorrent.CmdNotInterested)
		}
	}
	s.mu.Unlock()
	s.refill(time.Now())
}

// onChoke: without the fast extension, the requests in flight are dropped
// by the peer; the pieces go back to the picker for others.
func (s *session) onChoke() {
	s.mu.Lock()
	s.peerChoking = true
	s.releaseLocked()
	s.mu.Unlock()
}

// releaseLocked gives every piece this connection fetches back to the
// picker and forgets its requests.
func (s *session) releaseLocked() {
	for _, a := range s.pieces {
		s.n.picker.Release(s.id, a.index)
	}
	s.pieces, s.inflight = s.pieces[:0], s.inflight[:0]
}

func (s *session) onUnchoke(at time.Time) {
	s.mu.Lock()
	s.peerChoking = false
	s.lastBlock = at
	s.mu.Unlock()
	s.refill(at)
}

func (s *session) onInterest(interested bool) {
	s.mu.Lock()
	changed := s.peerInterested != interested
	s.peerInterested = interested
	s.mu.Unlock()
	// A peer that loses interest keeps its slot until the next round of
	// the choker: choking at once makes a client whose interest flickers
	// lose its requests over and over.
	if changed && interested {
		s.n.slotFree(s)
	}
}

// setChoking chokes or unchokes the peer, when that changes.
func (s *session) setChoking(choke bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.amChoking == choke {
		return
	}
	s.amChoking = choke
	if choke {
		s.sendLocked(bittorrent.AppendSimple(nil, bittorrent.IDChoke), bittorrent.CmdChoke)
	} else {
		s.sendLocked(bittorrent.AppendSimple(nil, bittorrent.IDUnchoke), bittorrent.CmdUnchoke)
	}
}

// uploading says whether the peer is unchoked and interested: it holds an
// upload slot.
func (s *session) uploading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.amChoking && s.peerInterested
}

func (s *session) amChokingNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.amChoking
}

// chokeState is the session as the choker sees it.
func (s *session) chokeState(now time.Time, seeding bool) candidate {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := candidate{s: s, id: s.id, interested: s.peerInterested, rate: s.down.PerSecond(now)}
	if seeding {
		c.rate = s.up.PerSecond(now)
	}
	return c
}

// onRequest serves a block of a verified piece to an unchoked peer. A
// request while choked is not served (the peer was told); one outside
// the torrent or for a piece we lack drops the connection, as real
// clients do.
func (s *session) onRequest(m bittorrent.Message, at time.Time) error {
	s.mu.Lock()
	choking := s.amChoking
	s.mu.Unlock()
	if choking {
		if !s.chokedSaid {
			s.chokedSaid = true
			s.conn.Note(peer.KindWarn, fmt.Sprintf("request %d %d %d while choked: not served (further ones are not logged)", m.Index, m.Begin, m.Length))
		}
		return nil
	}
	i, begin, n := int64(m.Index), int64(m.Begin), int(m.Length)
	if i >= int64(s.n.t.Info.NumPieces()) || begin+int64(n) > int64(s.n.t.Info.PieceLen(int(i))) {
		return fmt.Errorf("%w: request %d %d %d is outside the torrent", errProtocol, m.Index, m.Begin, m.Length)
	}
	size := bittorrent.LengthSize + bittorrent.PieceHeaderSize + n
	if cap(s.scratch) < size {
		s.scratch = make([]byte, 0, bittorrent.LengthSize+bittorrent.MaxMessageLength)
	}
	buf := bittorrent.AppendPieceHeader(s.scratch[:0], m.Index, m.Begin, n)
	buf = buf[:size]
	if err := s.n.store.ReadBlock(int(i), int(begin), buf[size-n:]); err != nil {
		if errors.Is(err, piece.ErrMissing) {
			return fmt.Errorf("%w: request for piece %d, which we do not have", errProtocol, i)
		}
		s.conn.Note(peer.KindError, err.Error())
		return nil
	}
	s.mu.Lock()
	s.lastSent = at
	s.served++
	s.up.Add(int64(n), at)
	s.mu.Unlock()
	// Counted before it goes: a big reply may be on the wire before Reply
	// returns, and whoever got it may read our counters.
	s.n.meter.AddUp(n, at)
	s.conn.Reply(buf, bittorrent.CmdPiece)
	return nil
}

// onPiece takes a block we asked for into its piece; a complete piece is
// verified and written. A block we did not ask for (cancelled, or late
// after a choke) is ignored.
func (s *session) onPiece(m bittorrent.Message, at time.Time) error {
	i, begin, n := int(m.Index), int(m.Begin), len(m.Payload)
	s.mu.Lock()
	k := -1
	for j, b := range s.inflight {
		if b.index == i && b.begin == begin && b.length == n {
			k = j
			break
		}
	}
	if k < 0 {
		s.mu.Unlock()
		return nil
	}
	s.inflight = append(s.inflight[:k], s.inflight[k+1:]...)
	s.lastBlock, s.snubbed = at, false
	s.down.Add(int64(n), at)
	a := s.assemblyLocked(i)
	var data []byte
	if a != nil && a.put(begin, m.Payload) {
		data = a.data
		s.dropAssemblyLocked(i)
	}
	s.mu.Unlock()
	s.n.meter.AddDown(n, at)
	if data != nil {
		if err := s.pieceDone(i, data); err != nil {
			return err
		}
	}
	s.refill(at)
	return nil
}

// pieceDone verifies and writes a complete piece.
func (s *session) pieceDone(i int, data []byte) error {
	err := s.n.store.WritePiece(i, data)
	switch {
	case err == nil || errors.Is(err, piece.ErrSave):
		others := s.n.picker.Done(s.id, i)
		s.mu.Lock()
		s.got++
		s.mu.Unlock()
		if err != nil {
			s.conn.Note(peer.KindError, err.Error())
		}
		s.n.verified(i, others)
		if s.n.store.Complete() {
			s.n.markComplete("every piece verified and saved", s.conn)
		}
	case errors.Is(err, piece.ErrDuplicate):
		// Another connection wrote it first (endgame).
	case errors.Is(err, piece.ErrHash):
		drop := s.n.picker.Failed(s.id, i)
		st, _ := s.n.picker.Peer(s.id)
		s.conn.Note(peer.KindWarn, fmt.Sprintf("piece %d failed its SHA-1: discarded, to be fetched again (strike %d)", i, st.Strikes))
		if drop {
			return fmt.Errorf("%w (%d)", errBadPieces, st.Strikes)
		}
	default:
		s.n.picker.Release(s.id, i)
		s.conn.Note(peer.KindError, err.Error())
	}
	return nil
}

func (s *session) assemblyLocked(i int) *assembly {
	for _, a := range s.pieces {
		if a.index == i {
			return a
		}
	}
	return nil
}

func (s *session) dropAssemblyLocked(i int) {
	for k, a := range s.pieces {
		if a.index == i {
			s.pieces = append(s.pieces[:k], s.pieces[k+1:]...)
			return
		}
	}
}

// cancelPiece cancels our requests for piece i, which another connection
// delivered (endgame).
func (s *session) cancelPiece(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.inflight[:0]
	for _, b := range s.inflight {
		if b.index != i {
			kept = append(kept, b)
			continue
		}
		s.sendLocked(bittorrent.AppendCancel(nil, uint32(b.index), uint32(b.begin), uint32(b.length)), bittorrent.CmdCancel)
	}
	s.inflight = kept
	s.dropAssemblyLocked(i)
}

// sendHave tells the peer we have piece i.
func (s *session) sendHave(i int) {
	s.mu.Lock()
	s.sendLocked(bittorrent.AppendHave(nil, uint32(i)), bittorrent.CmdHave)
	s.mu.Unlock()
}

// targetLocked is how many blocks to keep in flight: RequestQueueTime of
// the connection's download rate, within MinRequests and MaxRequests; one
// while the peer is snubbed.
func (s *session) targetLocked(now time.Time) int {
	if s.snubbed {
		return 1
	}
	want := int(s.down.PerSecond(now) * RequestQueueTime.Seconds() / BlockSize)
	return min(max(want, s.n.cfg.MinRequests), s.n.cfg.MaxRequests)
}

// refill requests blocks while the peer unchokes us and fewer than the
// target are in flight: first the blocks left of the pieces this
// connection fetches, then those of a new piece from the picker.
func (s *session) refill(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established || s.peerChoking || !s.amInterested {
		return
	}
	target := s.targetLocked(now)
	for len(s.inflight) < target {
		var a *assembly
		for _, p := range s.pieces {
			if p.more() {
				a = p
				break
			}
		}
		if a == nil {
			s.picks = s.n.picker.AppendNext(s.picks[:0], s.id, 1)
			if len(s.picks) == 0 {
				return
			}
			a = newAssembly(s.picks[0], s.n.t.Info.PieceLen(s.picks[0]))
			s.pieces = append(s.pieces, a)
		}
		begin, length := a.next()
		s.inflight = append(s.inflight, block{index: a.index, begin: begin, length: length, at: now})
		if !s.sendLocked(bittorrent.AppendRequest(nil, uint32(a.index), uint32(begin), uint32(length)), bittorrent.CmdRequest) {
			return // closing: the picker gets its pieces back from RemovePeer
		}
	}
}

// tick is the session's periodic work: a keep-alive after KeepAliveAfter
// without sending, the blocks of a peer that stopped sending given back,
// and requests for pieces that came free.
func (s *session) tick(now time.Time) {
	s.mu.Lock()
	if now.Sub(s.lastSent) >= s.n.cfg.KeepAliveAfter {
		s.sendLocked(bittorrent.AppendKeepAlive(nil), bittorrent.CmdKeepAlive)
	}
	if len(s.inflight) > 0 && now.Sub(s.lastBlock) > s.n.cfg.RequestTimeout {
		n := len(s.inflight)
		s.releaseLocked()
		s.snubbed, s.lastBlock = true, now
		s.mu.Unlock()
		s.n.host.Note(peer.KindWarn, s.conn, fmt.Sprintf("no block for %s: %d requests given back for other peers; one at a time from now", s.n.cfg.RequestTimeout, n))
		return
	}
	s.mu.Unlock()
	s.refill(now)
}

// Info adds the four flags, rates, requests in flight and piece count.
func (s *session) Info(ci *peer.ConnInfo) {
	now := time.Now()
	st, known := s.n.picker.Peer(s.id)
	s.mu.Lock()
	defer s.mu.Unlock()
	pieces := "-"
	if known {
		pieces = fmt.Sprintf("%d/%d", st.Pieces, s.n.t.Info.NumPieces())
	}
	if s.established {
		ci.UserAgent = s.remoteID.String()
	}
	ci.Fields = append(ci.Fields,
		peer.Field{Label: "flags", Value: s.flagsLocked()},
		peer.Field{Label: "pieces", Value: pieces},
		peer.Field{Label: "down", Value: humanize.Bytes(uint64(s.down.PerSecond(now))) + "/s"},
		peer.Field{Label: "up", Value: humanize.Bytes(uint64(s.up.PerSecond(now))) + "/s"},
		peer.Field{Label: "in flight", Value: fmt.Sprint(len(s.inflight))},
		peer.Field{Label: "got", Value: fmt.Sprint(s.got)},
		peer.Field{Label: "sent", Value: fmt.Sprint(s.served)},
	)
	if known && st.Strikes > 0 {
		ci.Fields = append(ci.Fields, peer.Field{Label: "strikes", Value: fmt.Sprint(st.Strikes)})
	}
}

// flagsLocked is the four flags: ours, then the peer's (see the package
// comment).
func (s *session) flagsLocked() string {
	var b bytes.Buffer
	flag := func(on bool, yes, no byte) {
		if on {
			b.WriteByte(yes)
		} else {
			b.WriteByte(no)
		}
	}
	flag(s.amChoking, 'C', 'c')
	flag(s.amInterested, 'I', 'i')
	b.WriteByte('/')
	flag(s.peerChoking, 'C', 'c')
	flag(s.peerInterested, 'I', 'i')
	return b.String()
}
