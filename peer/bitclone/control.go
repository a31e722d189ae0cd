package bitclone

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// connect dials a now, whatever the target, and lifts a :drop of it. An
// address the book does not know enters it (as a command-line peer) only
// once reached: until then it is tried MaxConnectTries times with backoff,
// then given up, so a typo is neither retried forever nor saved.
func (n *Node) connect(a netip.AddrPort) error {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.host.StoppingLocked():
		return errors.New("the node is not running")
	case !peer.Dialable(a):
		return fmt.Errorf("%s cannot be dialled", a)
	case n.isSelfLocked(a):
		return fmt.Errorf("%s is this node", a)
	case n.host.DialingLocked(a):
		return fmt.Errorf("already dialling %s", a)
	case n.byListen[a] != nil:
		return fmt.Errorf("already connected to %s", a)
	}
	n.host.LiftDropLocked(a)
	if _, known := n.book.Get(a); !known {
		n.manual[a] = &manualDial{}
	}
	n.startDialLocked(a, now, false)
	return nil
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

// snapshotLocked adds BitClone's part to a snapshot: who we are, and the
// address book with what the host knows of each address.
func (n *Node) snapshotLocked(snap *peer.Snapshot, now time.Time) {
	snap.Target = n.cfg.Target
	snap.Agent = n.cfg.UserAgent
	snap.Nonce = n.nonce
	snap.PeersFile = n.cfg.PeersFile
	if n.extBest.IsValid() {
		snap.External = n.extBest.String()
	}
	for _, e := range n.book.Entries() {
		info := peer.AddrInfo{
			Addr:       e.Addr.String(),
			LastActive: e.LastActive,
			Live:       e.Live(now, n.cfg.IdleTimeout),
			Banned:     n.host.BannedLocked(e.Addr.Addr(), now),
			Connected:  n.byListen[e.Addr] != nil,
			Source:     e.Source.String(),
			Attempts:   e.Attempts,

			DroppedUntil: n.host.DroppedUntilLocked(e.Addr, now),
		}
		if e.From.IsValid() {
			info.From = e.From.String()
		}
		snap.Addrs = append(snap.Addrs, info)
	}
}
