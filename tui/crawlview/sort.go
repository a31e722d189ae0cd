package crawlview

import (
	"cmp"
	"slices"
	"strings"

	"github.com/bitclone/bitclone/crawl"
)

// sortPeers sorts by key: address and agent A to Z, round trip fastest
// first, score best first; reverse turns that round. Peers without the
// value (no agent, no pong, no score) come last either way, and ties go
// by address.
func sortPeers(ps []*crawl.Peer, key sortKey, reverse bool) {
	slices.SortStableFunc(ps, func(a, b *crawl.Peer) int {
		va, oka := value(a, key)
		vb, okb := value(b, key)
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case oka:
			c := va.compare(vb)
			if key == sortScore {
				c = -c
			}
			if reverse {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return a.Addr.Compare(b.Addr)
	})
}

// sortValue is a peer's value for one key: text or a number.
type sortValue struct {
	s string
	n int64
}

func (a sortValue) compare(b sortValue) int {
	if c := cmp.Compare(a.s, b.s); c != 0 {
		return c
	}
	return cmp.Compare(a.n, b.n)
}

func value(p *crawl.Peer, key sortKey) (sortValue, bool) {
	switch key {
	case sortAgent:
		return sortValue{s: strings.ToLower(p.Agent)}, p.Status == crawl.Reachable
	case sortRTT:
		return sortValue{n: int64(p.RTT)}, p.Status == crawl.Reachable && p.RTT > 0
	case sortScore:
		if p.Score == nil || p.Score.Err != "" {
			return sortValue{}, false
		}
		return sortValue{n: int64(p.Score.Points())}, true
	}
	return sortValue{s: ""}, true // by address: the tie-break does it
}
