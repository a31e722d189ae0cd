package pex

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
)

// The address book: who we know, how we learnt of them, and the peer
// lists we hand out and take in.

// known is one entry of the address book.
type known struct {
	source   string // "bootstrap", "peer" (a peer message), "inbound"
	from     string // who told us
	failures int    // failed dials in a row, and connections closed before a message
	// notBefore is when it may be dialled again after a connection we
	// dialled ended: a peer that closes at once is not dialled in a loop.
	notBefore time.Time
}

// Known lists the address book: the peers this node knows, in the order
// it learnt them.
func (n *Node) Known() []netip.AddrPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.order)
}

func (n *Node) knownCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.order)
}

// peerList is the peer message for the connection c: ourselves first (c's
// local address and our listening port), then the peers we know, never
// the remote itself (by its listening address or its remote address).
func (n *Node) peerList(c *peer.Conn, remoteListen netip.AddrPort) []byte {
	n.mu.Lock()
	max := n.opts.MaxPeers()
	list := make([]netip.AddrPort, 0, min(max, len(n.order)+1))
	if self := netip.AddrPortFrom(c.Local().Addr(), n.listen.Port()); self.Addr().IsValid() && self.Port() != 0 {
		list = append(list, self)
	}
	for _, a := range n.order {
		if len(list) >= max {
			break
		}
		if a == remoteListen || a == c.Remote() || n.host.Ours(a) {
			continue
		}
		list = append(list, a)
	}
	n.mu.Unlock()
	b, err := pex.AppendPeers(nil, list, n.opts)
	if err != nil { // a zone or an invalid address: send the list without us
		b, _ = pex.AppendPeers(nil, list[1:], n.opts)
	}
	return b
}

// learn records the peers of a peer message that came on c; entries at a
// loopback or unspecified address on a connection from elsewhere are read
// at the remote's IP (the course's node advertises every peer as ::1).
func (n *Node) learn(c *peer.Conn, m pex.Message) (added int) {
	remote := c.Remote().Addr()
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range m.NumPeers() {
		a := fromPeer(m.Peer(i), remote)
		if !peer.Dialable(a) || n.host.Ours(a) {
			continue
		}
		if n.knownLocked(a) {
			continue
		}
		if len(n.order) >= n.cfg.MaxKnown {
			n.full++
			continue
		}
		n.known[a] = &known{source: "peer", from: c.RemoteString()}
		n.order = append(n.order, a)
		added++
	}
	return added
}

// knownLocked says whether the address book holds a, or the same node
// under another loopback address: a node on this machine is listed at
// 127.0.0.1 by the peers that reach it over IPv4 and at ::1 by the others,
// and one connection to it is enough.
func (n *Node) knownLocked(a netip.AddrPort) bool {
	if n.known[a] != nil {
		return true
	}
	if !a.Addr().IsLoopback() {
		return false
	}
	for _, b := range n.order {
		if sameNode(a, b) {
			return true
		}
	}
	return false
}

// sameNode says whether a and b name one listener: equal, or one port on
// loopback.
func sameNode(a, b netip.AddrPort) bool {
	return a == b || a.Port() == b.Port() && a.Addr().IsLoopback() && b.Addr().IsLoopback()
}

// connectedLocked says whether a connection to a (or to the same node at
// another loopback address) is open or being dialled, either way round.
func (n *Node) connectedLocked(a netip.AddrPort) bool {
	if n.host.DialingLocked(a) || n.host.DialedLocked(a) || n.host.ConnectedLocked(a) {
		return true
	}
	found := false
	n.host.EachLocked(func(_ *peer.Conn, dialed netip.AddrPort, s peer.Session) {
		found = found || sameNode(a, dialed) || sameNode(a, s.Listen())
	})
	return found
}

// fromPeer is the address a peer entry names, seen from a connection to
// remote: a loopback or unspecified address, said by a peer that is not on
// loopback, means the peer's own IP.
func fromPeer(a netip.AddrPort, remote netip.Addr) netip.AddrPort {
	ip := a.Addr().Unmap()
	if (ip.IsLoopback() || ip.IsUnspecified()) && remote.IsValid() && !remote.IsLoopback() {
		ip = remote.Unmap()
	}
	return netip.AddrPortFrom(ip, a.Port())
}

// record adds an inbound peer's listening address to the address book.
func (n *Node) recordLocked(a netip.AddrPort, from string) {
	if n.knownLocked(a) || !peer.Dialable(a) || n.host.Ours(a) {
		return
	}
	if len(n.order) >= n.cfg.MaxKnown {
		n.full++
		return
	}
	n.known[a] = &known{source: "inbound", from: from}
	n.order = append(n.order, a)
}

// dialFailedLocked counts a failed dial against a known peer, and forgets
// it after ForgetAfter in a row (never a bootstrap node).
func (n *Node) dialFailedLocked(a netip.AddrPort) []peer.Event {
	k := n.known[a]
	if k == nil {
		return nil
	}
	k.failures++
	if k.failures < n.cfg.ForgetAfter || k.source == "bootstrap" {
		return nil
	}
	n.forgetLocked(a)
	return []peer.Event{{At: time.Now(), Kind: peer.KindInfo, Text: fmt.Sprintf("forgot %s: %d failed dials in a row", a, k.failures)}}
}

func (n *Node) forgetLocked(a netip.AddrPort) {
	delete(n.known, a)
	n.order = slices.DeleteFunc(n.order, func(b netip.AddrPort) bool { return b == a })
}
