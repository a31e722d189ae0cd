package peer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// startConn registers a connection and serves it on a goroutine of its
// own. dialed is the address we dialled (outbound).
func (h *Host) startConn(nc net.Conn, dir Direction, dialed netip.AddrPort) {
	h.mu.Lock()
	if dir == Outbound {
		// Out of flight and into the table under one lock: a protocol
		// filling its connections must never see the peer in neither, or
		// it dials it a second time.
		delete(h.dialing, dialed)
	}
	if h.stopping {
		h.mu.Unlock()
		nc.Close()
		return
	}
	h.nextID++
	hc := &hostConn{dialed: dialed}
	if dir == Inbound {
		hc.heard = &heardConn{Conn: nc}
		nc = hc.heard
	}
	hc.conn = NewConn(nc, ConnConfig{
		ID:          h.nextID,
		Dir:         dir,
		Framing:     h.proto.Framing(),
		Bus:         h.bus,
		IdleTimeout: h.cfg.IdleTimeout,
		Pace:        h.cfg.Pace,
		Recorder:    h.cfg.Recorder,
	})
	hc.sess = h.proto.NewSessionLocked(hc.conn, dialed)
	h.conns[hc.conn.ID()] = hc
	h.wg.Add(1)
	h.mu.Unlock()

	h.publishConn(KindConnected, hc.conn, "")
	go func() {
		defer h.wg.Done()
		if d := h.cfg.HandshakeTimeout; d > 0 {
			timer := time.AfterFunc(d, func() {
				if !hc.sess.Established() {
					hc.conn.Close(fmt.Errorf("%w: no handshake within %s", ErrHandshakeTimeout, d))
				}
			})
			defer timer.Stop()
		}
		h.closed(hc, hc.sess.Serve())
	}()
}

// ErrHandshakeTimeout closes a connection whose handshake took longer than
// HandshakeTimeout.
var ErrHandshakeTimeout = errors.New("handshake timeout")

// Dialable reports whether an address could be a peer at all: a port, and
// an IP that names one machine (not unspecified, multicast, link-local or
// broadcast).
func Dialable(a netip.AddrPort) bool {
	ip := a.Addr()
	return a.IsValid() && a.Port() != 0 && !ip.IsUnspecified() && !ip.IsMulticast() &&
		!ip.IsLinkLocalUnicast() && ip != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// closed is called once a session's connection has ended.
func (h *Host) closed(hc *hostConn, err error) {
	reason := "closed"
	if err != nil {
		reason = err.Error()
	}
	established := hc.sess.Established()
	h.mu.Lock()
	delete(h.conns, hc.conn.ID())
	if hc.conn.Dir() == Outbound && !errors.Is(err, ErrShutdown) && !errors.Is(err, ErrDroppedByUser) {
		h.noteDialLocked(hc.dialed, established, time.Now())
	}
	misbehaved, notes := h.proto.ClosedLocked(hc.sess, hc.dialed, err)
	banned := misbehaved && h.banLocked(hc.conn.Remote().Addr(), time.Now())
	h.mu.Unlock()
	if banned {
		reason += fmt.Sprintf("; %s banned for %s", hc.conn.Remote().Addr(), h.cfg.BanFor)
	}
	h.publishConn(KindClosed, hc.conn, reason)
	for _, e := range notes {
		h.bus.Publish(e)
	}
	h.proto.ConnsChanged()
}

func (h *Host) publishConn(kind Kind, c *Conn, text string) {
	h.bus.Publish(Event{At: time.Now(), Kind: kind, ConnID: c.ID(), Peer: c.RemoteString(), Dir: c.Dir(), Text: text})
}

// Sessions returns the sessions whose handshake is done.
func (h *Host) Sessions() []Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Session, 0, len(h.conns))
	for _, hc := range h.conns {
		if hc.sess.Established() {
			out = append(out, hc.sess)
		}
	}
	return out
}

// EachLocked calls f for every connection in the table, with the address
// we dialled (outbound) and its session.
func (h *Host) EachLocked(f func(c *Conn, dialed netip.AddrPort, s Session)) {
	for _, hc := range h.conns {
		f(hc.conn, hc.dialed, hc.sess)
	}
}

// CountLocked counts the connections that are established or on their way
// (outbound and handshaking, or a dial in flight): what a protocol keeping
// a number of connections compares with its target.
func (h *Host) CountLocked() int {
	have := len(h.dialing)
	for _, hc := range h.conns {
		if hc.conn.Dir() == Outbound || hc.sess.Established() {
			have++
		}
	}
	return have
}

// ConnectedLocked reports whether an established connection's peer
// listens at a.
func (h *Host) ConnectedLocked(a netip.AddrPort) bool {
	for _, hc := range h.conns {
		if hc.sess.Established() && hc.sess.Listen() == a {
			return true
		}
	}
	return false
}

// DialedLocked reports whether a connection we dialled to a is open.
func (h *Host) DialedLocked(a netip.AddrPort) bool {
	for _, hc := range h.conns {
		if hc.dialed == a {
			return true
		}
	}
	return false
}

// find returns the connection with remote or listening address a: an
// established one listening at a first (the one the user means), then any
// by its remote address or the address we dialled.
func (h *Host) find(a netip.AddrPort) (*hostConn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var found *hostConn
	for _, hc := range h.conns {
		if hc.sess.Established() && hc.sess.Listen() == a && (found == nil || hc.conn.Err() == nil) {
			found = hc
		}
	}
	if found != nil {
		return found, nil
	}
	for _, hc := range h.conns {
		if hc.conn.Remote() == a || hc.dialed == a {
			return hc, nil
		}
	}
	return nil, fmt.Errorf("no connection to %s", a)
}
