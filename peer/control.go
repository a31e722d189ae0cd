package peer

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Do executes a command from a front end: OpSend and OpDrop itself,
// OpConnect, OpForget and OpSave through the protocol. It never blocks on
// the network.
func (h *Host) Do(c Command) error {
	switch c.Op {
	case OpSend:
		return h.send(c)
	case OpConnect, OpDrop, OpForget:
		if len(c.Targets) != 1 {
			return errors.New("name one HOST:PORT")
		}
		a, err := h.proto.ParseAddr(c.Targets[0])
		if err != nil {
			return fmt.Errorf("%s: %w", c.Targets[0], err)
		}
		switch c.Op {
		case OpConnect:
			return h.proto.Connect(a)
		case OpForget:
			return h.proto.Forget(a)
		}
		return h.drop(a)
	case OpSave:
		return h.proto.Save()
	}
	return fmt.Errorf("not a node command (op %d)", c.Op)
}

// send routes what the user typed to the named peers, or to every
// established peer, and lets each session send it.
func (h *Host) send(c Command) error {
	if c.Frame == nil {
		return ErrNoFrame
	}
	var to []Session
	if len(c.Targets) == 0 {
		if to = h.Sessions(); len(to) == 0 {
			return errors.New("no established peers to send to")
		}
	}
	for _, t := range c.Targets {
		a, err := h.proto.ParseAddr(t)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		hc, err := h.find(a)
		if err != nil {
			if d, ok := h.proto.(DirectSender); ok {
				if err := d.SendUserTo(a, c.Frame); err != nil {
					return fmt.Errorf("%s: %w", t, err)
				}
				continue
			}
			return err
		}
		to = append(to, hc.sess)
	}
	for _, s := range to {
		s.SendUser(c.Frame)
	}
	return nil
}

// A DirectSender is a protocol that sends the user's frame to an address
// it has no connection to: a datagram dialect needs none, so @HOST:PORT
// reaches any node, as a UDP sendto does.
type DirectSender interface {
	SendUserTo(a netip.AddrPort, frame []byte) error
}

// Connect is the neutral :connect: dial a now, outside the dial budget and
// whatever its backoff, and lift a drop of it.
func (h *Host) Connect(a netip.AddrPort) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.stopping:
		return errors.New("the node is not running")
	case h.dialing[a]:
		return fmt.Errorf("already dialling %s", a)
	case h.ConnectedLocked(a):
		return fmt.Errorf("already connected to %s", a)
	}
	h.LiftDropLocked(a)
	h.DialLocked(a, false)
	return nil
}

// Conn returns what Snapshot would say of connection id, and false when
// there is no such connection. It copies nothing else, so a caller
// watching one connection costs the node almost nothing.
func (h *Host) Conn(id uint64) (ConnInfo, bool) {
	h.mu.Lock()
	hc := h.conns[id]
	h.mu.Unlock()
	var ci ConnInfo
	if hc == nil {
		return ci, false
	}
	hc.info(&ci)
	return ci, true
}

// info fills a ConnInfo: the neutral core, then the session's part.
func (hc *hostConn) info(ci *ConnInfo) {
	hc.conn.Stats(ci)
	ci.State = StateHandshake
	if hc.sess.Established() {
		ci.State = StateEstablished
	}
	if l := hc.sess.Listen(); l.IsValid() {
		ci.Listen = l.String()
	}
	hc.sess.Info(ci)
}

// Snapshot returns a copy of the node's state: the neutral core here, the
// dialect's part from Protocol.SnapshotLocked.
func (h *Host) Snapshot() Snapshot {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	snap := Snapshot{
		At:         now,
		Listen:     h.ListenerAddr(),
		Dropped:    h.bus.Dropped(),
		Suppressed: h.bus.Suppressed(),
		Refused:    uint64(h.refused),
	}
	for _, hc := range h.conns {
		var ci ConnInfo
		hc.info(&ci)
		if ci.State == StateEstablished {
			if ci.Dir == Inbound {
				snap.Inbound++
			} else {
				snap.Outbound++
			}
		}
		snap.Conns = append(snap.Conns, ci)
	}
	slices.SortFunc(snap.Conns, func(a, b ConnInfo) int { return int(a.ID) - int(b.ID) })
	h.proto.SnapshotLocked(&snap, now)
	return snap
}
