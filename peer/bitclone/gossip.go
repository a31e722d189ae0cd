package bitclone

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec"
	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/addrbook"
)

// established registers a session whose handshake just completed. It returns
// an error when the session must close because another connection to the
// same peer wins: errDuplicate, or errKept.
func (n *Node) established(s *session) error {
	s.mu.Lock()
	listen, agent, version := s.listen, s.agent, s.version
	s.mu.Unlock()

	n.mu.Lock()
	for other := n.byListen[listen]; listen.IsValid() && other != nil && other != s && other.conn.Err() == nil; other = n.byListen[listen] {
		switch {
		case remoteNonce(other) != remoteNonce(s):
			// A new run of the peer whose old connection is dead without
			// our knowing yet, or anyone who shares the peer's IP and
			// claims its address: only the old connection can tell. The
			// newcomer waits while it is asked.
			n.mu.Unlock()
			alive := other.answersPing(s.conn.Done())
			if err := s.conn.Err(); err != nil {
				return err
			}
			if alive {
				return fmt.Errorf("%w to %s (%s): it answered a ping; the new one claimed its address", errKept, listen, other.conn.RemoteString())
			}
			other.conn.Close(fmt.Errorf("%w: it did not answer a ping within %s", errReplaced, livenessProbe))
			n.mu.Lock()
		case n.dialerNonce(s) > n.dialerNonce(other):
			// The same peer twice, typically both ends dialling at once.
			// Both ends must keep the same connection, so the rule uses
			// what both know: the one whose dialer has the larger nonce.
			other.conn.Close(errDuplicate)
		default:
			n.mu.Unlock()
			return errDuplicate
		}
	}
	now := time.Now()
	if listen.IsValid() {
		n.byListen[listen] = s
		if peer.Dialable(listen) && !n.isSelfLocked(listen) {
			src := addrbook.SourceOutbound
			switch {
			case n.manual[listen] != nil:
				// A :connect target, reached (whoever dialled): kept like
				// a command-line peer.
				delete(n.manual, listen)
				src = addrbook.SourceCommandLine
			case s.conn.Dir() == peer.Inbound:
				src = addrbook.SourceInbound
			}
			n.book.Learn(listen, now, src, netip.AddrPort{}, now)
			n.book.MarkSuccess(listen, now)
			if s.conn.Dir() == peer.Outbound {
				n.book.MarkReached(listen)
			}
			// Saved soon: a node killed from now on restarts from its file.
			n.bookChanged()
		}
	}
	s.mu.Lock()
	s.established = true
	s.mu.Unlock()
	n.mu.Unlock()

	n.publish(peer.KindEstablished, s, fmt.Sprintf("agent %s version %d, listening on %s", codec.Quote(agent), version, listen))
	return nil
}

func remoteNonce(s *session) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remoteNonce
}

// dialerNonce is the version nonce of whoever dialled s. Called with n.mu held.
func (n *Node) dialerNonce(s *session) uint64 {
	if s.conn.Dir() == peer.Outbound {
		return n.nonce
	}
	return remoteNonce(s)
}

// Addresses a dial of ours found to be ourselves are remembered at most
// maxSelfAddrs at a time (a full set forgets the oldest), each for
// selfAddrTTL: an address can change hands.
const (
	maxSelfAddrs = 64
	selfAddrTTL  = time.Hour
)

// markSelf remembers the address of a connection we dialled that reached
// ourselves, so it is never dialled again. An inbound version with our
// nonce proves nothing about the address it claims (anyone we ever sent a
// version to knows our nonce), so it marks nothing.
func (n *Node) markSelf(s *session) {
	a := s.dialed
	if s.conn.Dir() != peer.Outbound || !a.IsValid() || a.Port() == 0 {
		return
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	var oldest netip.AddrPort
	for b, at := range n.selfAddrs {
		if now.Sub(at) >= selfAddrTTL {
			delete(n.selfAddrs, b)
		} else if !oldest.IsValid() || at.Before(n.selfAddrs[oldest]) {
			oldest = b
		}
	}
	if _, ok := n.selfAddrs[a]; !ok && len(n.selfAddrs) >= maxSelfAddrs {
		delete(n.selfAddrs, oldest)
	}
	n.selfAddrs[a] = now
	if n.book.Remove(a) {
		n.bookChanged()
	}
}

// maxExternal bounds the distinct external addresses we count.
const maxExternal = 64

// noteExternal counts the address a peer says it reached us at. Only the IP
// is taken: when we dialled, the port the peer saw is our ephemeral one, and
// the address that matters to others is the IP with our listening port.
func (n *Node) noteExternal(reported netip.AddrPort) {
	if !reported.IsValid() || reported.Addr().IsUnspecified() {
		return
	}
	a := netip.AddrPortFrom(reported.Addr(), n.listen.Port())
	n.mu.Lock()
	if _, ok := n.external[a]; !ok && len(n.external) >= maxExternal {
		n.mu.Unlock()
		return
	}
	n.external[a]++
	changed := false
	if n.external[a] > n.external[n.extBest] || !n.extBest.IsValid() {
		changed = a != n.extBest
		n.extBest = a
	}
	n.mu.Unlock()
	if changed {
		n.info("peers see us as " + a.String())
	}
}

func (n *Node) markActive(a netip.AddrPort, now time.Time) {
	if !a.IsValid() {
		return
	}
	n.mu.Lock()
	n.book.MarkActive(a, now)
	n.mu.Unlock()
}

// isSelfLocked reports whether a is one of our own addresses. Called with n.mu held.
func (n *Node) isSelfLocked(a netip.AddrPort) bool {
	if at, ok := n.selfAddrs[a]; (ok && time.Since(at) < selfAddrTTL) || a == n.listen {
		return true
	}
	if a.Port() != n.listen.Port() {
		return false
	}
	ip := a.Addr()
	return ip.IsLoopback() || n.localIPs[ip] || (n.extBest.IsValid() && ip == n.extBest.Addr())
}

// learn takes the entries of an addr message into the address book. Each
// address new to the book costs the sender a token (see session.addrTokens),
// so no peer can flood the book with made-up addresses.
func (n *Node) learn(s *session, entries []wire.AddrEntry, now time.Time) {
	fromLoopback := s.conn.Remote().Addr().IsLoopback()
	from := s.listenAddr()
	var learned []netip.AddrPort
	n.mu.Lock()
	for _, e := range entries {
		a := e.Addr
		// A loopback address means something only to a peer on our machine.
		if !peer.Dialable(a) || (a.Addr().IsLoopback() && !fromLoopback) || n.isSelfLocked(a) {
			continue
		}
		before, known := n.book.Get(a)
		if !known && !s.takeAddrToken(now) {
			s.addrsLimited.Add(1)
			continue
		}
		s.addrsProcessed.Add(1)
		if n.book.Learn(a, time.Unix(e.Time, 0), addrbook.SourceGossip, from, now) {
			learned = append(learned, a)
		}
		if after, ok := n.book.Get(a); ok && after.Live(now, n.cfg.IdleTimeout) && !(known && before.Live(now, n.cfg.IdleTimeout)) && !after.Doubtful() {
			n.queueRelayLocked(a, after.LastActive, from)
		}
	}
	if len(learned) > 0 {
		n.bookChanged()
	}
	n.mu.Unlock()
	for _, a := range learned {
		n.publish(peer.KindLearned, s, a.String())
	}
	if len(learned) > 0 {
		n.fill()
	}
}

// addrFor builds the addr we send s, on request or when advertising: our own
// address first, then live addresses, never s's own nor a doubtful one (never
// reached, and a dial failed), at most wire.MaxAddrs.
func (n *Node) addrFor(s *session) wire.Addr {
	now := time.Now()
	own := s.ownAddr()
	theirs := s.listenAddr()
	toLoopback := s.conn.Remote().Addr().IsLoopback()
	entries := []wire.AddrEntry{{Time: now.Unix(), Addr: own}}
	n.mu.Lock()
	n.book.EachLive(now, n.cfg.IdleTimeout, func(e addrbook.Entry) bool {
		if e.Addr == theirs || e.Addr == own || (e.Addr.Addr().IsLoopback() && !toLoopback) || e.Doubtful() {
			return true
		}
		entries = append(entries, wire.AddrEntry{Time: e.LastActive.Unix(), Addr: e.Addr})
		return len(entries) < wire.MaxAddrs
	})
	n.mu.Unlock()
	return wire.Addr{Entries: entries}
}

// relayItem is an address that just became live for us, waiting to be
// passed on.
type relayItem struct {
	lastActive time.Time
	from       netip.AddrPort // who told us: it already knows
}

// queueRelayLocked remembers a newly live address for the next relay. Called
// with n.mu held.
//
// Advertising alone carries an address only as many hops as fit in its
// liveness (idle timeout / advertise interval: three with the spec's
// numbers); relaying what is new at once lets it cross the whole network
// while it is still fresh, as Bitcoin relays fresh addresses. Each node
// relays an address once per time it becomes live, so this cannot loop.
func (n *Node) queueRelayLocked(a netip.AddrPort, lastActive time.Time, from netip.AddrPort) {
	if len(n.relay) < wire.MaxAddrs-1 { // room for our own address too
		n.relay[a] = relayItem{lastActive, from}
	}
}

// relayInterval is how long newly live addresses gather before they are
// relayed in one addr message per peer.
func (n *Node) relayInterval() time.Duration {
	return min(max(n.cfg.AdvertiseInterval/10, 50*time.Millisecond), time.Second)
}

// flushRelay sends every peer the addresses that became live since the last
// flush, with our own address first (so it is never a one-entry addr),
// leaving out what a peer told us or is itself.
func (n *Node) flushRelay() {
	n.mu.Lock()
	if len(n.relay) == 0 {
		n.mu.Unlock()
		return
	}
	items := n.relay
	n.relay = make(map[netip.AddrPort]relayItem)
	for a := range items {
		// A dial may have failed since it was queued, or it was forgotten.
		if e, ok := n.book.Get(a); !ok || e.Doubtful() {
			delete(items, a)
		}
	}
	n.mu.Unlock()
	now := time.Now()
	for _, s := range n.establishedSessions() {
		theirs := s.listenAddr()
		toLoopback := s.conn.Remote().Addr().IsLoopback()
		entries := []wire.AddrEntry{{Time: now.Unix(), Addr: s.ownAddr()}}
		for a, it := range items {
			if a == theirs || it.from == theirs || (a.Addr().IsLoopback() && !toLoopback) {
				continue
			}
			entries = append(entries, wire.AddrEntry{Time: it.lastActive.Unix(), Addr: a})
		}
		if len(entries) > 1 {
			s.send(wire.Addr{Entries: entries})
		}
	}
}
