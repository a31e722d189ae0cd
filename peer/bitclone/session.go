package bitclone

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// framing tells a peer.Conn how BitClone frames look.
var framing = peer.Framing{
	NewReader:  func(r io.Reader) peer.FrameReader { return wire.NewReader(r, wire.MaxLine) },
	Command:    commandName,
	Text:       wire.TrimEOL,
	Overhead:   len("\r\n"),
	Unfinished: "had no line ending",
}

// commandName names a frame's command for statistics: one of the eight, or
// "?" — never peer-chosen text, which would let a peer grow our tables. It
// runs for every frame received, so it looks for the '|' only where a
// command's name can end (after 4, 6 or 7 bytes), and compares with
// constants: no search, no call.
func commandName(frame []byte) string {
	frame = wire.TrimEOL(frame)
	name := frame
	switch {
	case len(frame) > 4 && frame[4] == '|':
		name = frame[:4]
	case len(frame) > 6 && frame[6] == '|':
		name = frame[:6]
	case len(frame) > 7 && frame[7] == '|':
		name = frame[:7]
	}
	// A name cut elsewhere (an earlier '|', or none where a field must
	// follow) holds a '|' or is too long, so it matches no command.
	switch string(name) {
	case wire.CmdPing:
		return wire.CmdPing
	case wire.CmdPong:
		return wire.CmdPong
	case wire.CmdAddr:
		return wire.CmdAddr
	case wire.CmdVerack:
		return wire.CmdVerack
	case wire.CmdReject:
		return wire.CmdReject
	case wire.CmdVersion:
		return wire.CmdVersion
	case wire.CmdGetAddr:
		return wire.CmdGetAddr
	case wire.CmdMessage:
		return wire.CmdMessage
	}
	return "?"
}

// Reasons a session closes its connection.
var (
	errSelf      = errors.New("self: connected to ourselves")
	errDuplicate = errors.New("duplicate: already connected to this peer")
	errReplaced  = errors.New("replaced by a new connection claiming its address with a new nonce")
	errKept      = errors.New("kept the established connection")
)

// misbehaviour closes a connection and bans a non-loopback peer.
type misbehaviour struct{ reason string }

func (m *misbehaviour) Error() string { return m.reason }

// session is the BitClone logic of one connection. Its handler runs on the
// connection's reader goroutine; fields under mu are also read by snapshots
// and the maintainer.
type session struct {
	n      *Node
	conn   *peer.Conn
	dialed netip.AddrPort // outbound: the address we dialled

	// Reader goroutine only.
	dec                                            wire.Decoder
	sentVersion, gotVersion, sentVerack, gotVerack bool
	strikes                                        []time.Time      // bad lines, within the ban window
	oneAddrs                                       peer.TokenBucket // one-entry addr messages the peer may still send
	tokens                                         float64          // flood bucket
	tokensAt                                       time.Time
	fullAt                                         time.Time // the bucket was last full
	sinceFull                                      int       // messages since then
	ranDry                                         bool      // the bucket ran dry since it was full
	readerEstablished                              bool      // established, as the reader last saw
	markAgain                                      time.Time // when markActive next refreshes the book
	addrTokens                                     float64   // new addresses this peer may still add
	addrTokensAt                                   time.Time

	addrsProcessed, addrsLimited atomic.Uint64

	mu          sync.Mutex
	established bool
	listen      netip.AddrPort // the remote's listening address, once known
	remoteNonce uint64
	agent       string
	version     uint64
	pingNonce   uint64
	pingPrev    uint64        // the ping before pingNonce, still unanswered: its pong is no fault
	pingSent    time.Time     // zero when no ping is outstanding
	probeNonce  uint64        // the last liveness probe's ping (see answersPing); 0 before any
	probeAnswer chan struct{} // closed when the probe's pong arrives
	probeUntil  time.Time     // when the probe gives up
	pingLast    time.Duration
	pingMin     time.Duration
	lastReject  [2]string // received, sent
}

func newSession(n *Node, c *peer.Conn, dialed netip.AddrPort) *session {
	return &session{n: n, conn: c, dialed: dialed, listen: dialed, tokens: float64(n.cfg.MaxMsgBurst), tokensAt: time.Now()}
}

var _ peer.Session = (*session)(nil)

// Established reports whether the handshake is done (peer.Session).
func (s *session) Established() bool { return s.isEstablished() }

// GotHello reports whether the peer has sent a valid version (peer.Session).
func (s *session) GotHello() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remoteNonce != 0 // set only by a valid version
}

// Listen is the remote's listening address, once known (peer.Session).
func (s *session) Listen() netip.AddrPort { return s.listenAddr() }

func (s *session) isEstablished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.established
}

func (s *session) listenAddr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listen
}

// Serve serves the connection until it ends and says why (peer.Session).
func (s *session) Serve() error {
	if s.conn.Dir() == peer.Outbound {
		s.sendVersion()
	}
	return s.conn.Serve(s.handle)
}

// send queues m from outside the read loop; it never blocks.
func (s *session) send(m wire.Message) {
	s.conn.Send(m.AppendWire(nil), m.Command())
}

// reply queues m from the read loop, waiting while the peer is slow to read.
// The frame is built in place, in the connection's replies.
func (s *session) reply(m wire.Message) {
	s.conn.Replied(m.AppendWire(s.conn.Replies()), m.Command())
}

// ownAddr is our address as this peer can reach it: our IP on this
// connection and our listening port.
func (s *session) ownAddr() netip.AddrPort {
	ip := s.conn.Local().Addr()
	if !ip.IsValid() || ip.IsUnspecified() {
		ip = s.n.listen.Addr()
	}
	return netip.AddrPortFrom(ip, s.n.listen.Port())
}

func (s *session) sendVersion() {
	s.sentVersion = true
	s.reply(wire.Version{
		Version:   wire.ProtocolVersion,
		Services:  wire.ServiceP2P,
		Time:      time.Now().Unix(),
		Recipient: s.conn.Remote(),
		Sender:    s.ownAddr(),
		Nonce:     s.n.nonce,
		UserAgent: s.n.cfg.UserAgent,
	})
}

// handle acts on one received frame. An error closes the connection.
func (s *session) handle(frame []byte, at time.Time) error {
	if err := s.allow(at); err != nil {
		return err
	}
	if s.readerEstablished {
		// The hot path of a busy connection: a canonical ping is answered
		// without the parser (AppendPongFor answers exactly as it would).
		if pong, ok := wire.AppendPongFor(s.conn.Replies(), frame); ok {
			s.markActive(at)
			s.conn.Replied(pong, wire.CmdPong)
			return nil
		}
	}
	msg, err := s.dec.Parse(frame) // pointers into s.dec, valid until the next frame
	if errors.Is(err, wire.ErrEmptyLine) {
		return nil
	}
	if err != nil {
		if commandName(frame) == wire.CmdReject {
			// Never answer a reject with a reject: two peers could loop
			// forever. It still counts as a bad line.
			s.conn.Note(peer.KindWarn, "malformed reject: "+err.Error())
			return s.strike(at)
		}
		var pe *wire.ParseError
		if errors.As(err, &pe) && pe.Unknown {
			return s.reject("unknown command", err.Error(), at)
		}
		return s.reject("bad message", err.Error(), at)
	}
	switch m := msg.(type) {
	case *wire.Version:
		return s.onVersion(*m, at)
	case *wire.Verack:
		return s.onVerack(*m, at)
	case *wire.Reject:
		// Kept for the snapshot, never answered, not even before the
		// handshake: two peers rejecting each other's rejects never stop.
		s.mu.Lock()
		s.lastReject[0] = string(wire.TrimEOL(frame))
		s.mu.Unlock()
		if s.isEstablished() {
			s.markActive(at)
		}
		return nil
	}
	if !s.readerEstablished {
		// Once established, a session stays so: ask under the lock only
		// until then, not for every message.
		if s.readerEstablished = s.isEstablished(); !s.readerEstablished {
			return s.reject("handshake not complete", msg.Command()+" before version and verack were exchanged", at)
		}
		if s.n.cfg.MaxMsgRate < 0 {
			// Established, and no flood limit to count messages against:
			// a canonical ping now needs nothing but its pong, so the
			// connection may answer a pipelined run of them itself.
			s.conn.AnswerQuickly(wire.AnswerPing, wire.CmdPing, wire.CmdPong)
		}
	}
	s.markActive(at)
	switch m := msg.(type) {
	case *wire.Ping:
		// The hot path of a busy connection: no interface, no allocation.
		s.conn.Replied(wire.Pong{Nonce: m.Nonce}.AppendWire(s.conn.Replies()), wire.CmdPong)
	case *wire.Pong:
		return s.onPong(m.Nonce, at)
	case *wire.GetAddr:
		s.reply(s.n.addrFor(s))
	case *wire.Addr:
		return s.onAddr(*m, at)
	case *wire.Info:
		// Shown in the log; nothing to do.
	}
	return nil
}

func (s *session) onVersion(v wire.Version, at time.Time) error {
	if s.gotVersion {
		return s.reject("duplicate version", "version already received on this connection", at)
	}
	if v.Nonce == s.n.nonce {
		s.n.markSelf(s)
		return errSelf
	}
	s.gotVersion = true
	s.mu.Lock()
	s.remoteNonce, s.agent, s.version = v.Nonce, v.UserAgent, v.Version
	if s.conn.Dir() == peer.Inbound && v.Sender.Port() != 0 {
		// Trust the port the peer says it listens on, but not its claimed IP:
		// it is often 0.0.0.0 or a private address behind NAT.
		ip := s.conn.Remote().Addr()
		if !ip.IsValid() {
			ip = v.Sender.Addr()
		}
		s.listen = netip.AddrPortFrom(ip, v.Sender.Port())
	}
	listen := s.listen
	s.mu.Unlock()
	if s.conn.Dir() == peer.Inbound {
		// A peer the user dropped, dialling back: closed before it is
		// answered, so its dialler backs off.
		if err := s.n.host.RefuseDropped(listen); err != nil {
			return err
		}
	}
	s.n.noteExternal(v.Recipient)
	s.reply(wire.Verack{Nonce: v.Nonce})
	s.sentVerack = true
	if !s.sentVersion {
		s.sendVersion()
	}
	return s.maybeEstablished()
}

func (s *session) onVerack(v wire.Verack, at time.Time) error {
	if !s.sentVersion || s.gotVerack {
		return s.reject("unexpected verack", "no version of ours is waiting for a verack", at)
	}
	s.gotVerack = true
	s.mu.Lock()
	remote := s.remoteNonce
	s.mu.Unlock()
	if v.Nonce != s.n.nonce && v.Nonce != remote {
		s.conn.Note(peer.KindWarn, fmt.Sprintf("verack nonce %d matches neither our version's nonce (%d) nor theirs", v.Nonce, s.n.nonce))
	}
	return s.maybeEstablished()
}

func (s *session) maybeEstablished() error {
	if !(s.sentVersion && s.gotVersion && s.sentVerack && s.gotVerack) {
		return nil
	}
	if err := s.n.established(s); err != nil {
		return err
	}
	s.reply(wire.GetAddr{})
	return nil
}

// reject answers a bad message with a 4xx and keeps the connection, unless
// the peer has now misbehaved too often.
func (s *session) reject(reason, detail string, now time.Time) error {
	line := wire.Reject{Code: 400, Reason: reason, Detail: fieldSafe(detail)}
	s.mu.Lock()
	s.lastReject[1] = wire.Format(line)
	s.mu.Unlock()
	s.reply(line)
	return s.strike(now)
}

// strike counts one bad line (one we rejected, or one that must not be
// answered: a malformed reject, an unsolicited pong) towards dropping the
// peer.
func (s *session) strike(now time.Time) error {
	s.strikes = recent(append(s.strikes, now), now, s.n.cfg.BanWindow)
	if len(s.strikes) >= s.n.cfg.BanAfter {
		return &misbehaviour{fmt.Sprintf("misbehaving: %d bad lines within %s", len(s.strikes), s.n.cfg.BanWindow)}
	}
	return nil
}

// recent drops the times older than window.
func recent(times []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(times) && now.Sub(times[i]) > window {
		i++
	}
	return append(times[:0], times[i:]...)
}

// fieldSafe makes peer text fit in one field of our reject: no delimiters,
// no line breaks, bounded length.
func fieldSafe(s string) string {
	const max = 200
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '/'
		case r < 0x20 || r == 0x7f:
			return ' '
		}
		return r
	}, s)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// floodMultiple says how far above the rate limit a peer must be to be
// dropped: a peer that used up its whole burst at more than this many times
// the rate (at the defaults: used up the 20 000 in less than 1.1 s) is a
// flood; a slower one is only slowed down to the rate.
const floodMultiple = 10

// allow charges one message to the flood bucket. Past its burst, a peer
// above the rate is slowed down: its socket is not read again until the
// bucket has paid for what it sent, so TCP holds it back. Only a peer that
// emptied the bucket far above the rate (floodMultiple) is dropped.
func (s *session) allow(now time.Time) error {
	rate := s.n.cfg.MaxMsgRate
	if rate < 0 {
		return nil
	}
	burst := float64(s.n.cfg.MaxMsgBurst)
	s.tokens = min(burst, s.tokens+now.Sub(s.tokensAt).Seconds()*rate)
	s.tokensAt = now
	if s.tokens >= burst { // full: measure the next run on the burst from here
		s.fullAt, s.sinceFull, s.ranDry = now, 0, false
	}
	s.sinceFull++
	s.tokens--
	if s.tokens >= 0 {
		return nil
	}
	if !s.ranDry {
		s.ranDry = true
		took := now.Sub(s.fullAt)
		if float64(s.sinceFull) > floodMultiple*rate*took.Seconds() {
			return &misbehaviour{fmt.Sprintf("flood: %d messages within %s, more than %d times the limit of %.0f/s",
				s.sinceFull, took.Round(time.Millisecond), floodMultiple, rate)}
		}
	}
	s.conn.HoldReads(now.Add(time.Duration(-s.tokens / rate * float64(time.Second))))
	return nil
}

// markActive refreshes the peer's address book entry, at most once a second.
func (s *session) markActive(now time.Time) {
	if now.Before(s.markAgain) {
		return
	}
	s.markAgain = now.Add(time.Second)
	s.n.markActive(s.listenAddr(), now)
}

// ping sends a ping and remembers its nonce for the round trip.
func (s *session) ping() {
	nonce := s.n.randNonce()
	s.notePing(nonce)
	s.send(wire.Ping{Nonce: nonce})
}

func (s *session) notePing(nonce uint64) {
	s.mu.Lock()
	s.pingPrev = 0
	if !s.pingSent.IsZero() {
		s.pingPrev = s.pingNonce
	}
	s.pingNonce, s.pingSent = nonce, time.Now()
	s.mu.Unlock()
}

// onPong takes a pong: the round trip of our last ping, the answer to a
// liveness probe, or, matching nothing we sent, a bad line.
func (s *session) onPong(nonce uint64, at time.Time) error {
	s.mu.Lock()
	matched := true
	switch {
	case s.probeNonce != 0 && nonce == s.probeNonce:
		if s.probeAnswer != nil {
			close(s.probeAnswer)
			s.probeAnswer = nil
		}
	case !s.pingSent.IsZero() && nonce == s.pingNonce:
		rtt := time.Since(s.pingSent)
		s.pingLast, s.pingSent = rtt, time.Time{}
		if s.pingMin == 0 || rtt < s.pingMin {
			s.pingMin = rtt
		}
	case s.pingPrev != 0 && nonce == s.pingPrev:
		// A ping we sent before the last one (a typed ping overtook it).
		s.pingPrev = 0
	default:
		matched = false
	}
	s.mu.Unlock()
	if matched {
		return nil
	}
	s.conn.Note(peer.KindWarn, fmt.Sprintf("pong nonce %d matches no outstanding ping", nonce))
	return s.strike(at)
}

// livenessProbe is how long an established connection has to answer a ping
// when a new connection claims its peer's listening address.
const livenessProbe = time.Second

// answersPing pings s and reports whether it answers within livenessProbe.
// It gives up (false) early when s closes or stop is closed. Callers probing
// at the same time share one ping and its deadline, so a stream of
// newcomers cannot make us ping an honest peer more than once at a time.
func (s *session) answersPing(stop <-chan struct{}) bool {
	s.mu.Lock()
	answered, until, nonce := s.probeAnswer, s.probeUntil, uint64(0)
	if answered == nil || !time.Now().Before(until) {
		nonce = s.n.randNonce()
		answered, until = make(chan struct{}), time.Now().Add(livenessProbe)
		s.probeNonce, s.probeAnswer, s.probeUntil = nonce, answered, until
	}
	s.mu.Unlock()
	if nonce != 0 {
		s.send(wire.Ping{Nonce: nonce})
	}
	timer := time.NewTimer(time.Until(until))
	defer timer.Stop()
	select {
	case <-answered:
		return true
	case <-timer.C:
	case <-s.conn.Done():
	case <-stop:
	}
	// A pong racing the deadline still counts.
	select {
	case <-answered:
		return true
	default:
		return false
	}
}

func (s *session) onAddr(m wire.Addr, now time.Time) error {
	if len(m.Entries) == 1 {
		if s.oneAddrs.Rate == 0 {
			s.oneAddrs = peer.TokenBucket{Rate: oneAddrLimit / s.n.cfg.AdvertiseInterval.Seconds(), Burst: oneAddrBurst}
		}
		if s.oneAddrs.Available(now) < 1 {
			return &misbehaviour{fmt.Sprintf("addr spam: more than %d one-address addr messages at once, or %d per %s", oneAddrBurst, oneAddrLimit, s.n.cfg.AdvertiseInterval)}
		}
		s.oneAddrs.Take(now)
	}
	s.n.learn(s, m.Entries, now)
	return nil
}

// Addresses new to us that one peer may add: a burst (a whole addr answer),
// then a steady rate, as Bitcoin Core limits addr processing.
const (
	addrBurst = wire.MaxAddrs
	addrRate  = 10 // per second
)

// takeAddrToken charges one new address to the peer. Reader goroutine only.
func (s *session) takeAddrToken(now time.Time) bool {
	if s.addrTokensAt.IsZero() {
		s.addrTokens, s.addrTokensAt = addrBurst, now
	}
	s.addrTokens = min(addrBurst, s.addrTokens+now.Sub(s.addrTokensAt).Seconds()*addrRate)
	s.addrTokensAt = now
	if s.addrTokens < 1 {
		return false
	}
	s.addrTokens--
	return true
}

// One-entry addr messages a peer may send: oneAddrLimit per advertising
// interval on average (an honest peer sends one or two), and oneAddrBurst
// at once, so that an honest peer's advertisements, held up by a slow
// network or a busy machine and read together, are not taken for spam.
const (
	oneAddrLimit = 5
	oneAddrBurst = 20
)

// SendUser sends the wire bytes of a line the user typed, exactly as the
// dialect encoded it (peer.Session). A ping is remembered so that its pong
// shows a round trip.
func (s *session) SendUser(frame []byte) {
	if m, err := wire.Parse(wire.TrimEOL(frame)); err == nil {
		if p, ok := m.(wire.Ping); ok {
			s.notePing(p.Nonce)
		}
	}
	s.conn.Send(frame, commandName(frame))
}

// Info fills the BitClone part of a ConnInfo (peer.Session): the host has
// filled the traffic, the state and the listening address.
func (s *session) Info(ci *peer.ConnInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ci.UserAgent, ci.Version, ci.RemoteNonce = s.agent, s.version, s.remoteNonce
	ci.PingLast, ci.PingMin, ci.PingWait = s.pingLast, s.pingMin, !s.pingSent.IsZero()
	ci.LastReject = s.lastReject
	ci.AddrsProcessed, ci.AddrsLimited = s.addrsProcessed.Load(), s.addrsLimited.Load()
}
