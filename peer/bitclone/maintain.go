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

	n.fillNow()
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
		case <-save.C:
			n.save()
		case <-retry.C:
			n.expireBans(time.Now())
			n.fillNow()
		case <-n.kick:
			n.fillNow()
		}
	}
}

func (n *Node) establishedSessions() []*session {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*session, 0, len(n.sessions))
	for _, s := range n.sessions {
		if s.isEstablished() {
			out = append(out, s)
		}
	}
	return out
}

// fillNow dials candidates until established connections plus connections
// on their way reach the target. Live addresses come first, then the rest
// (command-line peers and the peers file) as their backoff allows.
func (n *Node) fillNow() {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopping {
		return
	}
	have := len(n.dialing)
	for _, s := range n.sessions {
		if s.isEstablished() || s.conn.Dir() == peer.Outbound {
			have++
		}
	}
	need := n.cfg.Target - have
	if need <= 0 {
		return
	}
	for _, c := range n.book.Candidates(now, n.cfg.IdleTimeout, n.cfg.RetryBase, n.cfg.RetryMax, need, n.skipLocked) {
		n.startDialLocked(c.Addr, now)
	}
}

// skipLocked says which addresses fillNow must not dial. Called with n.mu held.
func (n *Node) skipLocked(a netip.AddrPort) bool {
	if n.dialing[a] || n.byListen[a] != nil || n.isSelfLocked(a) || n.bannedLocked(a.Addr(), time.Now()) {
		return true
	}
	for _, s := range n.sessions {
		if s.dialed == a {
			return true
		}
	}
	return false
}

func (n *Node) bannedLocked(ip netip.Addr, now time.Time) bool {
	until, ok := n.bans[ip]
	return ok && now.Before(until)
}

func (n *Node) expireBans(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ip, until := range n.bans {
		if !now.Before(until) {
			delete(n.bans, ip)
		}
	}
}

// startDialLocked dials a in the background. Called with n.mu held.
func (n *Node) startDialLocked(a netip.AddrPort, now time.Time) {
	n.dialing[a] = true
	n.book.MarkAttempt(a, now)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.dialPeer(a)
	}()
}

func (n *Node) dialPeer(a netip.AddrPort) {
	nc, err := n.dial(n.ctx, a)
	n.mu.Lock()
	delete(n.dialing, a)
	if err != nil {
		n.book.MarkFailed(a)
	}
	n.mu.Unlock()
	if err != nil {
		if n.ctx.Err() == nil {
			n.publish(peer.KindError, nil, fmt.Sprintf("dial %s: %v", a, err))
			n.fill()
		}
		return
	}
	n.startConn(nc, peer.Outbound, a)
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
		return n.dialable(a) && !n.isSelfLocked(a)
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
