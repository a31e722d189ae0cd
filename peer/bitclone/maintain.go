package bitclone

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/addrbook"
)

// maintain runs the node's timers until ctx ends: pings, advertising, saving
// the peers file, and keeping Target connections up.
func (n *Node) maintain(ctx context.Context) {
	ping := time.NewTicker(n.cfg.PingInterval)
	advertise := time.NewTicker(n.cfg.AdvertiseInterval)
	save := time.NewTicker(n.cfg.SaveInterval)
	retry := time.NewTicker(n.cfg.RetryBase)
	relay := time.NewTicker(n.relayInterval())
	defer relay.Stop()
	defer ping.Stop()
	defer advertise.Stop()
	defer save.Stop()
	defer retry.Stop()
	// saveSoon fires SaveDelay after the first change since the last save:
	// a crash loses at most that much, and a busy network costs at most one
	// write per SaveDelay. The ticker above stays as a backstop.
	var saveSoon <-chan time.Time
	// budget fires when the dial budget allows the next dial that fillNow
	// held back; nil while none is held back.
	var budget <-chan time.Time
	fill := func() {
		if wait := n.fillNow(); wait > 0 && budget == nil {
			budget = time.After(wait)
		}
	}

	fill()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			for _, s := range n.establishedSessions() {
				s.ping()
			}
		case <-advertise.C:
			for _, s := range n.establishedSessions() {
				s.send(n.addrFor(s))
			}
		case <-relay.C:
			n.flushRelay()
		case <-n.dirty:
			if saveSoon == nil {
				saveSoon = time.After(SaveDelay)
			}
		case <-saveSoon:
			saveSoon = nil
			n.savePeers()
		case <-save.C:
			n.savePeers()
		case <-retry.C:
			n.retryManual(time.Now())
			fill()
		case <-budget:
			budget = nil
			fill()
		case <-n.kick:
			fill()
		}
	}
}

func (n *Node) establishedSessions() []*session {
	all := n.host.Sessions()
	out := make([]*session, len(all))
	for i, s := range all {
		out[i] = s.(*session)
	}
	return out
}

// fillNow dials candidates until established connections plus connections
// on their way reach the target. Live addresses come first, then the rest
// (command-line peers and the peers file) as their backoff allows.
//
// Dials are limited by the node-wide budget (MaxDialsInFlight at once,
// DialsPerSecond): when it holds dials back, fillNow returns how long until
// it allows the next one (0 when only the in-flight limit holds them back:
// the end of every dial kicks the maintainer). The budget is checked before the
// address book is scanned, so that a burst of failed dials, each of which
// kicks the maintainer, costs no scan of the book unless a dial may follow.
func (n *Node) fillNow() (wait time.Duration) {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.host.StoppingLocked() {
		return 0
	}
	need := n.cfg.Target - n.host.CountLocked()
	if need <= 0 {
		return 0
	}
	allowed, wait := n.host.DialBudgetLocked(need, now)
	if allowed <= 0 {
		return wait
	}
	// busy holds the peers we have a connection to or on its way, by the
	// address we dialled and by the listening address an inbound peer gave
	// in its version: redialling a peer whose inbound connection is still
	// handshaking only makes a duplicate.
	busy := make(map[netip.AddrPort]bool)
	n.host.EachLocked(func(_ *peer.Conn, dialed netip.AddrPort, s peer.Session) {
		busy[dialed] = true
		busy[s.Listen()] = true
	})
	skip := func(a netip.AddrPort) bool { return busy[a] || n.skipLocked(a, now) }
	n.scans++
	for _, c := range n.book.Candidates(now, n.cfg.IdleTimeout, n.cfg.RetryBase, n.cfg.RetryMax, allowed, skip) {
		n.startDialLocked(c.Addr, now, true)
	}
	return wait
}

// skipLocked says which addresses must not be dialled now, whatever their
// connections. Called with n.mu held.
func (n *Node) skipLocked(a netip.AddrPort, now time.Time) bool {
	return n.host.DialingLocked(a) || n.byListen[a] != nil || n.isSelfLocked(a) ||
		n.host.BannedLocked(a.Addr(), now) || n.host.DroppedLocked(a, now)
}

// startDialLocked dials a in the background; budgeted charges it to the
// host's dial budget. Called with n.mu held.
func (n *Node) startDialLocked(a netip.AddrPort, now time.Time, budgeted bool) {
	n.book.MarkAttempt(a, now)
	if m := n.manual[a]; m != nil {
		m.last = now
	}
	n.host.DialLocked(a, budgeted)
}

// manualDial is a :connect target the book does not know yet.
type manualDial struct {
	tries int       // failed so far
	last  time.Time // when the last try started
}

// dialFailedLocked counts a failed dial or handshake of a, whose reason is
// why, and returns what to tell the user. The backoff grows; an address that
// no dial of ours ever reached is forgotten after MaxUnreachedFailures
// (command-line and peers-file addresses are kept: the user gave them); a
// :connect target is given up after MaxConnectTries. Called with n.mu held.
func (n *Node) dialFailedLocked(a netip.AddrPort, why string, now time.Time) []peer.Event {
	var notes []peer.Event
	n.book.MarkFailed(a)
	if e, ok := n.book.Get(a); ok && e.Doubtful() && e.Attempts >= MaxUnreachedFailures &&
		e.Source != addrbook.SourceCommandLine && e.Source != addrbook.SourcePeersFile {
		n.book.Remove(a)
		n.bookChanged()
		notes = append(notes, peer.Event{At: now, Kind: peer.KindInfo,
			Text: fmt.Sprintf("forgot %s: never reached, %d dials failed (last: %s)", a, e.Attempts, why)})
	}
	if m := n.manual[a]; m != nil {
		m.tries++
		if m.tries >= MaxConnectTries {
			delete(n.manual, a)
			notes = append(notes, peer.Event{At: now, Kind: peer.KindError,
				Text: fmt.Sprintf("gave up on %s after %d tries: %s", a, m.tries, why)})
		}
	}
	return notes
}

// retryManual dials again the :connect targets whose backoff has passed.
func (n *Node) retryManual(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.host.StoppingLocked() {
		return
	}
	for a, m := range n.manual {
		if m.tries == 0 || now.Sub(m.last) < addrbook.Backoff(m.tries, n.cfg.RetryBase, n.cfg.RetryMax) {
			continue
		}
		if n.skipLocked(a, now) || n.host.DialedLocked(a) {
			continue
		}
		n.startDialLocked(a, now, false)
	}
}

// loadPeers fills the address book from the command line and the peers file,
// reading no more of the file than the book has room for.
func (n *Node) loadPeers() {
	now := time.Now()
	n.mu.Lock()
	for _, a := range n.cfg.Seeds {
		n.book.Learn(a, time.Time{}, addrbook.SourceCommandLine, netip.AddrPort{}, now)
	}
	room := n.cfg.MaxAddrs - n.book.Len()
	n.mu.Unlock()
	if n.cfg.PeersFile == "" {
		return
	}
	file := addrbook.NewFile(n.cfg.PeersFile)
	wanted := func(a netip.AddrPort) bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return peer.Dialable(a) && !n.isSelfLocked(a)
	}
	entries, warnings, err := file.Load(room, wanted)
	for _, w := range warnings {
		n.publish(peer.KindWarn, nil, "peers file: "+w)
	}
	if err != nil {
		n.publish(peer.KindError, nil, "peers file: "+err.Error())
	}
	n.mu.Lock()
	n.peersFile = file
	for _, e := range entries {
		n.book.Learn(e.Addr, e.LastActive, addrbook.SourcePeersFile, netip.AddrPort{}, now)
	}
	n.mu.Unlock()
	n.info(fmt.Sprintf("loaded %d addresses from %s", len(entries), n.cfg.PeersFile))
}

// savePeers saves with the host's spare descriptor released, so that the
// peers file is written even when the node is at its descriptor limit.
func (n *Node) savePeers() error { return n.host.WithSpare(n.save) }

// save writes the address book to the peers file, if there is one. A file
// that could not be read is moved aside first (addrbook.File), and the log
// says where it went.
func (n *Node) save() error {
	if n.cfg.PeersFile == "" {
		return nil
	}
	n.mu.Lock()
	file := n.peersFile
	entries := n.book.Entries()
	n.mu.Unlock()
	if file == nil { // before Run: the book lacks the file's addresses
		return errors.New("the peers file has not been read yet, so it is not overwritten")
	}
	notes, err := file.Save(entries)
	for _, note := range notes {
		n.publish(peer.KindWarn, nil, "peers file: "+note)
	}
	if err != nil {
		n.publish(peer.KindError, nil, "save peers file: "+err.Error())
		return err
	}
	return nil
}
