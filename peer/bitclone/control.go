package bitclone

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

var errDroppedByUser = errors.New("dropped by user")

// Do executes a command from a front end. It never blocks on the network.
func (n *Node) Do(c peer.Command) error {
	switch c.Op {
	case peer.OpSend:
		return n.sendFrame(c.Targets, c.Frame)
	case peer.OpConnect, peer.OpDrop, peer.OpForget:
		if len(c.Targets) != 1 {
			return errors.New("name one HOST:PORT")
		}
		a, err := wire.ParseAddr(c.Targets[0])
		if err != nil {
			return fmt.Errorf("%s: %w", c.Targets[0], err)
		}
		switch c.Op {
		case peer.OpConnect:
			return n.connect(a)
		case peer.OpForget:
			return n.forget(a)
		}
		return n.drop(a)
	case peer.OpSave:
		if n.cfg.PeersFile == "" {
			return errors.New("no peers file (started with --no-peers-file or --port 0)")
		}
		if err := n.savePeers(); err != nil {
			return err
		}
		n.info("saved the address book to " + n.cfg.PeersFile)
		return nil
	}
	return fmt.Errorf("not a node command (op %d)", c.Op)
}

// sendFrame sends a frame the user typed (its wire bytes, as the dialect
// encoded the line) to the named peers, or to every established peer.
func (n *Node) sendFrame(targets []string, frame []byte) error {
	if frame == nil {
		return peer.ErrNoFrame
	}
	var to []*session
	if len(targets) == 0 {
		to = n.establishedSessions()
		if len(to) == 0 {
			return errors.New("no established peers to send to")
		}
	}
	for _, t := range targets {
		a, err := wire.ParseAddr(t)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		s, err := n.sessionFor(a)
		if err != nil {
			return err
		}
		to = append(to, s)
	}
	for _, s := range to {
		s.sendTyped(frame)
	}
	return nil
}

// sessionFor finds the connection with remote or listening address a.
func (n *Node) sessionFor(a netip.AddrPort) (*session, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.byListen[a]; s != nil {
		return s, nil
	}
	for _, s := range n.sessions {
		if s.conn.Remote() == a || s.dialed == a {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no connection to %s", a)
}

// connect dials a now, whatever the target, and lifts a :drop of it. An
// address the book does not know enters it (as a command-line peer) only
// once reached: until then it is tried MaxConnectTries times with backoff,
// then given up, so a typo is neither retried forever nor saved.
func (n *Node) connect(a netip.AddrPort) error {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.stopping:
		return errors.New("the node is not running")
	case !n.dialable(a):
		return fmt.Errorf("%s cannot be dialled", a)
	case n.isSelfLocked(a):
		return fmt.Errorf("%s is this node", a)
	case n.dialing[a]:
		return fmt.Errorf("already dialling %s", a)
	case n.byListen[a] != nil:
		return fmt.Errorf("already connected to %s", a)
	}
	delete(n.dropped, a)
	delete(n.droppedIPs, a.Addr())
	if _, known := n.book.Get(a); !known {
		n.manual[a] = &manualDial{}
	}
	n.startDialLocked(a, now)
	return nil
}

// drop closes the connection to a and keeps the peer away for DropFor: it
// is not dialled, and its inbound connections are refused (by IP when it is
// not on loopback, else by the listening address its version gives).
func (n *Node) drop(a netip.AddrPort) error {
	s, err := n.sessionFor(a)
	if err != nil {
		return err
	}
	until := time.Now().Add(n.cfg.DropFor)
	listen, ip := s.listenAddr(), s.conn.Remote().Addr()
	n.mu.Lock()
	if listen.IsValid() {
		n.dropped[listen] = until
	}
	if ip.IsValid() && !ip.IsLoopback() {
		n.droppedIPs[ip] = until
	}
	n.mu.Unlock()
	s.conn.Close(fmt.Errorf("%w; not dialled or let in until %s (:connect lifts it)", errDroppedByUser, until.Format("15:04:05")))
	return nil
}

// refuseDropped is the error that closes an inbound connection whose peer
// the user dropped, once its version says where it listens.
func (n *Node) refuseDropped(listen netip.AddrPort) error {
	n.mu.Lock()
	until, ok := n.dropped[listen]
	n.mu.Unlock()
	if !ok || !time.Now().Before(until) {
		return nil
	}
	return fmt.Errorf("%w: refused until %s", errDroppedByUser, until.Format("15:04:05"))
}

// forget removes a from the address book (and so from the peers file at
// the next save) and ends a :connect's retries. A connection to it stays.
func (n *Node) forget(a netip.AddrPort) error {
	n.mu.Lock()
	removed := n.book.Remove(a)
	if n.manual[a] != nil {
		delete(n.manual, a)
		removed = true
	}
	n.mu.Unlock()
	if !removed {
		return fmt.Errorf("%s is not in the address book", a)
	}
	n.bookChanged()
	n.info(fmt.Sprintf("forgot %s", a))
	return nil
}

// Conn returns what Snapshot would say of connection id, and false when
// there is no such connection. It copies neither the address book nor the
// other connections, so a caller watching one connection (the stress
// tool's honest peer) costs the node almost nothing.
func (n *Node) Conn(id uint64) (peer.ConnInfo, bool) {
	n.mu.Lock()
	s := n.sessions[id]
	n.mu.Unlock()
	var ci peer.ConnInfo
	if s == nil {
		return ci, false
	}
	s.info(&ci)
	return ci, true
}

// Snapshot returns a copy of the node's state for display.
func (n *Node) Snapshot() peer.Snapshot {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	snap := peer.Snapshot{
		At:        now,
		Target:    n.cfg.Target,
		Agent:     n.cfg.UserAgent,
		Nonce:     n.nonce,
		Dropped:   n.bus.Dropped(),
		Refused:   uint64(n.refused),
		PeersFile: n.cfg.PeersFile,
	}
	snap.Suppressed = n.bus.Suppressed()
	if n.ln != nil {
		snap.Listen = n.ln.Addr().String()
	}
	if n.extBest.IsValid() {
		snap.External = n.extBest.String()
	}
	for _, s := range n.sessions {
		var ci peer.ConnInfo
		s.info(&ci)
		if ci.State == peer.StateEstablished {
			if ci.Dir == peer.Inbound {
				snap.Inbound++
			} else {
				snap.Outbound++
			}
		}
		snap.Conns = append(snap.Conns, ci)
	}
	slices.SortFunc(snap.Conns, func(a, b peer.ConnInfo) int { return int(a.ID) - int(b.ID) })
	for _, e := range n.book.Entries() {
		var dropped time.Time
		if n.droppedLocked(e.Addr, now) {
			dropped = n.dropped[e.Addr]
		}
		info := peer.AddrInfo{
			Addr:       e.Addr.String(),
			LastActive: e.LastActive,
			Live:       e.Live(now, n.cfg.IdleTimeout),
			Banned:     n.bannedLocked(e.Addr.Addr(), now),
			Connected:  n.byListen[e.Addr] != nil,
			Source:     e.Source.String(),
			Attempts:   e.Attempts,

			DroppedUntil: dropped,
		}
		if e.From.IsValid() {
			info.From = e.From.String()
		}
		snap.Addrs = append(snap.Addrs, info)
	}
	return snap
}
