package toy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
)

// search is one of our own searches and the results that came back.
type search struct {
	id      int64
	name    string
	ttl     int
	started time.Time
	results []netip.AddrPort // distinct atpeers, in order of arrival
}

// Search sends a search for name to every known peer and returns its
// msgid; the results show in the snapshot (and fetch, for a --get name).
func (n *Node) Search(name string) int64 {
	id := newSearchID()
	now := time.Now()
	n.mu.Lock()
	n.ownSearchLocked(id, name, n.cfg.TTL, now)
	to := n.peersLocked(netip.AddrPort{})
	n.mu.Unlock()
	m := toy.Search(id, name, n.cfg.TTL)
	for _, a := range to {
		n.send(a, m)
	}
	return id
}

// ownSearchLocked records a search of ours: its msgid is seen (it must
// not come back to us as someone else's) and its results are ours.
func (n *Node) ownSearchLocked(id int64, name string, ttl int, now time.Time) {
	if _, ok := n.searches[id]; ok {
		return
	}
	n.seen.add(id, netip.AddrPort{}, now)
	n.searches[id] = &search{id: id, name: name, ttl: ttl, started: now}
	n.order = append(n.order, id)
	n.stats.SearchesStarted++
	if len(n.order) > MaxOwnSearches {
		delete(n.searches, n.order[0])
		n.order = n.order[1:]
	}
}

// userSent keeps track of a datagram the user typed to remote.
func (n *Node) userSent(remote netip.AddrPort, m toy.Message) {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	switch m.Type {
	case toy.CmdSearch:
		n.ownSearchLocked(m.ID, m.Filename, m.HopsLeft(), now)
	case toy.CmdPing, toy.CmdGetPeerList:
		n.askedLocked(remote, m, now)
	case toy.CmdGetFile:
		chunk := 0
		if m.HasChunk {
			chunk = m.Chunk
		}
		n.userFetchLocked(m.Filename, remote, m.ID, chunk, now)
	}
}

// searched handles a search from s: the first time its msgid is seen it
// is answered (if we share the file) and passed on with one hop less;
// after that it is dropped. A search without ttl (an old node's) is
// answered and never passed on, and skips the seen-set: old nodes' small
// msgids may well collide.
func (n *Node) searched(s *session, m toy.Message, frame []byte, at time.Time) {
	hops := min(m.HopsLeft(), MaxHops)
	var to []netip.AddrPort
	n.mu.Lock()
	if m.HasTTL && !n.seen.add(m.ID, s.remote, at) {
		n.stats.RepeatSearches++
		n.mu.Unlock()
		return
	}
	n.stats.Searches++
	limited := false
	if m.HasTTL && hops > 1 {
		if limited = s.relay.Available(at) < 1; limited {
			n.stats.NotRelayed++
		} else {
			s.relay.Take(at)
			to = n.peersLocked(s.remote)
			n.stats.Forwarded += uint64(len(to))
		}
	}
	n.mu.Unlock()
	has := n.shares(m.Filename)
	what := "not shared here"
	if has {
		what = "shared here: answered"
		n.count(func(st *Stats) { st.Answered++ })
		s.reply(toy.SearchResult(newID(), m.ID, m.Filename, toyAddr(n.reachable(s.remote))))
	}
	ttl := "no ttl (an old node's): not passed on"
	switch {
	case limited:
		ttl = fmt.Sprintf("ttl %d, not passed on: more than %g searches a second from this peer", m.TTL, n.cfg.RelayRate)
	case m.HasTTL:
		ttl = fmt.Sprintf("ttl %d, passed on to %d", m.TTL, len(to))
	}
	s.conn.Note(peer.KindInfo, fmt.Sprintf("search %s (msgid %d): %s; %s", codec.Quote(m.Filename), m.ID, what, ttl))
	if len(to) == 0 {
		return
	}
	fwd := toy.Search(m.ID, m.Filename, hops-1)
	for _, a := range to {
		n.send(a, fwd)
	}
}

// result handles a searchresult: ours is kept, one for a search we passed
// on goes back, unchanged, to whoever sent us that search.
func (n *Node) result(s *session, m toy.Message, frame []byte, at time.Time) {
	at4 := netip.AddrPort{}
	if ip, err := netip.ParseAddr(m.AtPeer.Host); err == nil {
		at4 = netip.AddrPortFrom(ip.Unmap(), m.AtPeer.Port)
	}
	n.mu.Lock()
	if own := n.searches[m.ReplyTo]; own != nil && m.HasReplyTo {
		n.stats.Results++
		isNew := at4.IsValid() && !slices.Contains(own.results, at4) && len(own.results) < MaxResults
		if isNew {
			own.results = append(own.results, at4)
		}
		n.mu.Unlock()
		if isNew {
			s.conn.Note(peer.KindInfo, fmt.Sprintf("found %s at %s", codec.Quote(own.name), at4))
		}
		return
	}
	prev, ok := n.seen.get(m.ReplyTo, at)
	if !ok || !m.HasReplyTo || !prev.IsValid() {
		n.stats.Unsolicited++
		n.mu.Unlock()
		s.conn.Note(peer.KindWarn, fmt.Sprintf("searchresult for no search we passed on (replyto %d): ignored", m.ReplyTo))
		return
	}
	n.stats.ResultsRouted++
	n.mu.Unlock()
	n.sendFrame(prev, frame, toy.CmdSearchResult)
}

func toyAddr(a netip.AddrPort) toy.Addr { return toy.Addr{Host: a.Addr().String(), Port: a.Port()} }

// Results are the distinct places a search of ours found its file at.
func (n *Node) Results(id int64) []netip.AddrPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.searches[id]; s != nil {
		return slices.Clone(s.results)
	}
	return nil
}

// searchFieldsLocked shows our searches, newest first, as "search" fields.
func (n *Node) searchFieldsLocked(s *peer.Snapshot, now time.Time) {
	for i := len(n.order) - 1; i >= 0; i-- {
		se := n.searches[n.order[i]]
		var b strings.Builder
		fmt.Fprintf(&b, "%s  ttl %d  %s ago  ", codec.PrintableString(se.name), se.ttl, now.Sub(se.started).Round(time.Second))
		switch len(se.results) {
		case 0:
			b.WriteString("no result yet")
		default:
			fmt.Fprintf(&b, "%d at:", len(se.results))
			for _, r := range se.results {
				b.WriteString(" " + r.String())
			}
		}
		s.Fields = append(s.Fields, peer.Field{Label: fieldSearch, Value: b.String()})
	}
}
