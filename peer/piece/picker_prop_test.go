package piece

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
)

// request is one request on the wire in the simulated swarm.
type request struct {
	peer  PeerID
	piece int
}

// TestPickerSwarmProperty drives the picker with random swarms under seeded
// sources: honest peers with random bitfields (together holding every
// piece), a liar that claims everything and refuses every request, a peer
// that sometimes sends bad data, peers leaving and coming back, answers in
// random order, endgame cancels sometimes honoured and sometimes answered
// late. Every step checks that a piece is only ever handed to a peer that
// (still) claims it, never one we have, never twice to one peer, never to a
// second peer before endgame, that no piece is counted twice; and at the end
// that the download completed.
func TestPickerSwarmProperty(t *testing.T) {
	for seed := range uint64(60) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runSwarm(t, seed) })
	}
}

func runSwarm(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 99))
	n := 1 + r.IntN(120)
	honest := 1 + r.IntN(5)
	p := newPicker(t, n, seed)

	// The model: what each peer claims (minus refusals), what we have.
	claims := map[PeerID]bitfield.Bitfield{}
	const liar, flaky = PeerID(100), PeerID(101)
	for k := range honest {
		f := bitfield.New(n)
		for i := range n {
			if r.IntN(3) == 0 || i%honest == k { // every piece has a holder
				f.Set(i)
			}
		}
		claims[PeerID(k+1)] = f
	}
	claims[liar] = bitfield.Full(n)
	claims[flaky] = bitfield.Full(n)
	for id, f := range claims {
		if err := p.AddPeer(id, f); err != nil {
			t.Fatal(err)
		}
	}
	have := bitfield.New(n)
	var wire []request
	ids := func() []PeerID {
		var out []PeerID
		for id := range claims {
			out = append(out, id)
		}
		return out
	}
	dropWire := func(id PeerID) {
		kept := wire[:0]
		for _, q := range wire {
			if q.peer != id {
				kept = append(kept, q)
			}
		}
		wire = kept
	}
	outstanding := func(id PeerID, i int) bool {
		for _, q := range wire {
			if q.peer == id && q.piece == i {
				return true
			}
		}
		return false
	}
	// endgame per the model: every missing piece some peer claims is asked.
	endgame := func() bool {
		for i := range n {
			if have.Has(i) {
				continue
			}
			claimed, asked := false, false
			for id, f := range claims {
				claimed = claimed || f.Has(i)
				asked = asked || outstanding(id, i)
			}
			if claimed && !asked {
				return false
			}
		}
		return true
	}

	for step := 0; !have.Complete(); step++ {
		if step > 200*n+1000 {
			t.Fatalf("no progress after %d steps: have %s", step, have)
		}
		switch a := r.IntN(10); {
		case a < 4 || len(wire) == 0: // top up a random peer
			all := ids()
			id := all[r.IntN(len(all))]
			for _, i := range p.Next(id, 1+r.IntN(4)) {
				wasEndgame := endgame() // after the pieces before i were assigned
				switch {
				case !claims[id].Has(i):
					t.Fatalf("step %d: piece %d given to peer %d, which lacks it", step, i, id)
				case have.Has(i):
					t.Fatalf("step %d: piece %d given but we have it", step, i)
				case outstanding(id, i):
					t.Fatalf("step %d: piece %d given twice to peer %d", step, i, id)
				}
				for _, q := range wire {
					if q.piece == i && !wasEndgame {
						t.Fatalf("step %d: piece %d given to %d and %d before endgame", step, i, q.peer, id)
					}
				}
				wire = append(wire, request{id, i})
			}
		case a < 9: // an answer arrives
			k := r.IntN(len(wire))
			q := wire[k]
			wire = append(wire[:k], wire[k+1:]...)
			switch {
			case q.peer == liar:
				p.Refused(q.peer, q.piece)
				claims[liar].Clear(q.piece)
			case q.peer == flaky && r.IntN(2) == 0:
				if p.Failed(q.peer, q.piece) {
					p.RemovePeer(flaky)
					delete(claims, flaky)
					dropWire(flaky)
				}
			default:
				others := p.Done(q.peer, q.piece)
				if have.Has(q.piece) {
					if others != nil {
						t.Fatalf("step %d: duplicate of %d reported %v", step, q.piece, others)
					}
					break
				}
				have.Set(q.piece)
				for _, o := range others {
					if !outstanding(o, q.piece) {
						t.Fatalf("step %d: cancel reported for %d, which was not asked for %d", step, o, q.piece)
					}
				}
				if r.IntN(2) == 0 { // cancel honoured; else the late copy arrives
					kept := wire[:0]
					for _, w := range wire {
						if w.piece != q.piece {
							kept = append(kept, w)
						}
					}
					wire = kept
				}
			}
		default: // an honest peer leaves and comes back with its bitfield
			id := PeerID(1 + r.IntN(honest))
			p.RemovePeer(id)
			dropWire(id)
			if err := p.AddPeer(id, claims[id]); err != nil {
				t.Fatal(err)
			}
		}
		checkInvariants(t, p)
		if pr := p.Progress(); pr.Have != have.Count() {
			t.Fatalf("step %d: picker counts %d pieces, model %d", step, pr.Have, have.Count())
		}
	}
	if !p.Complete() {
		t.Fatal("model complete, picker not")
	}
}
