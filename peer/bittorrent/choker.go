package bt

import (
	"math/rand/v2"
	"slices"

	"github.com/bitclone/bitclone/peer/piece"
)

// candidate is one peer as the choker sees it.
type candidate struct {
	s          *session
	id         piece.PeerID
	interested bool    // the peer wants our pieces
	rate       float64 // bytes/s: what it sends us, or what we send it once we seed
}

// chooseUnchoked is the choker's decision (libtorrent's "fastest upload"
// with one optimistic unchoke): the slots fastest interested peers, and
// an optimistic one among the other interested peers, kept until rotate
// (or until it leaves or loses interest). It returns the peers to unchoke
// and the optimistic one (0: none).
func chooseUnchoked(cands []candidate, slots int, optimistic piece.PeerID, rotate bool, r *rand.Rand) (map[piece.PeerID]bool, piece.PeerID) {
	var interested []candidate
	for _, c := range cands {
		if c.interested {
			interested = append(interested, c)
		}
	}
	slices.SortStableFunc(interested, func(a, b candidate) int {
		switch {
		case a.rate > b.rate:
			return -1
		case a.rate < b.rate:
			return 1
		}
		return 0
	})
	unchoke := make(map[piece.PeerID]bool, slots+1)
	var rest []piece.PeerID
	for k, c := range interested {
		if k < slots {
			unchoke[c.id] = true
		} else {
			rest = append(rest, c.id)
		}
	}
	if !rotate && slices.Contains(rest, optimistic) {
		unchoke[optimistic] = true
		return unchoke, optimistic
	}
	if len(rest) == 0 {
		return unchoke, 0
	}
	opt := rest[r.IntN(len(rest))]
	unchoke[opt] = true
	return unchoke, opt
}
