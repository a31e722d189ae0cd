package crawl

import "net/netip"

// ChangeKind is what changed about one peer between two rounds.
type ChangeKind int

const (
	Appeared  ChangeKind = iota + 1 // reachable now, not before (or never met)
	Gone                            // reachable before, not now
	ScoreUp                         // its score rose
	ScoreDown                       // its score fell
)

var changeNames = [...]string{Appeared: "new", Gone: "gone", ScoreUp: "score-up", ScoreDown: "score-down"}

func (k ChangeKind) String() string {
	if k > 0 && int(k) < len(changeNames) {
		return changeNames[k]
	}
	return "?"
}

// Change is one peer's change between two rounds. From and To are its
// scores for ScoreUp and ScoreDown.
type Change struct {
	Kind     ChangeKind
	Addr     netip.AddrPort
	Peer     Peer // as it is now (for Gone without a visit: as it was, unvisited)
	From, To int
}

// Diff lists what changed from round prev to round cur, in address order:
// peers that became reachable or stopped being so, and scores up or down.
func Diff(prev, cur *Result) []Change {
	before := map[netip.AddrPort]*Peer{}
	for i := range prev.Peers {
		before[prev.Peers[i].Addr] = &prev.Peers[i]
	}
	var out []Change
	now := map[netip.AddrPort]bool{}
	for _, p := range cur.Peers {
		now[p.Addr] = p.Status == Reachable
		b, ok := before[p.Addr]
		was := ok && b.Status == Reachable
		switch {
		case p.Status == Reachable && !was:
			out = append(out, Change{Kind: Appeared, Addr: p.Addr, Peer: p})
		case p.Status != Reachable && was:
			out = append(out, Change{Kind: Gone, Addr: p.Addr, Peer: p})
		case was && scored(b) && scored(&p):
			from, to := b.Score.Points(), p.Score.Points()
			if to > from {
				out = append(out, Change{Kind: ScoreUp, Addr: p.Addr, Peer: p, From: from, To: to})
			} else if to < from {
				out = append(out, Change{Kind: ScoreDown, Addr: p.Addr, Peer: p, From: from, To: to})
			}
		}
	}
	for _, b := range prev.Peers {
		if _, ok := now[b.Addr]; !ok && b.Status == Reachable {
			b.Status, b.Reason = Unvisited, "not met this round"
			out = append(out, Change{Kind: Gone, Addr: b.Addr, Peer: b})
		}
	}
	sortChanges(out)
	return out
}

func scored(p *Peer) bool { return p.Score != nil && p.Score.Err == "" }

func sortChanges(cs []Change) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Addr.Compare(cs[j-1].Addr) < 0; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}
