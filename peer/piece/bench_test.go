package piece

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
)

const (
	benchPieces = 16384 // a 64 MiB file in NibbleTorrent's 4096-byte pieces
	benchPeers  = 5     // the spec's connection count
)

// seqPicker is the baseline: the first piece the peer has that is neither
// had nor requested, scanning up from the lowest such index (no rarity, no
// endgame, no locking).
type seqPicker struct {
	taken bitfield.Bitfield
	low   int
	peers []bitfield.Bitfield
}

func (s *seqPicker) next(peer int) int {
	for s.low < s.taken.Len() && s.taken.Has(s.low) {
		s.low++
	}
	for i := s.low; i < s.taken.Len(); i++ {
		if !s.taken.Has(i) && s.peers[peer].Has(i) {
			s.taken.Set(i)
			return i
		}
	}
	return -1
}

// benchSwarm returns the peers' bitfields: all seeders, or each holding a
// random half plus every fifth piece (so the swarm has every piece).
func benchSwarm(partial bool) []bitfield.Bitfield {
	r := rand.New(rand.NewPCG(1, 2))
	var out []bitfield.Bitfield
	for k := range benchPeers {
		if !partial {
			out = append(out, bitfield.Full(benchPieces))
			continue
		}
		f := bitfield.New(benchPieces)
		for i := range benchPieces {
			if i%benchPeers == k || r.IntN(2) == 0 {
				f.Set(i)
			}
		}
		out = append(out, f)
	}
	return out
}

// BenchmarkNext runs whole downloads of 16384 pieces from 5 peers taking
// turns: each turn picks one piece for a peer and marks it done. Setup is
// outside the timer; ns/pick is the cost of one choice plus its bookkeeping.
// picker=seq is the baseline in the same run.
func BenchmarkNext(b *testing.B) {
	g, err := NewGeometry(benchPieces*4096, 4096, benchPieces)
	if err != nil {
		b.Fatal(err)
	}
	for _, partial := range []bool{false, true} {
		swarm := benchSwarm(partial)
		name := map[bool]string{false: "seeders", true: "partial"}[partial]
		b.Run(fmt.Sprintf("swarm=%s/picker=rarest", name), func(b *testing.B) {
			b.ReportAllocs()
			picks := 0
			for b.Loop() {
				b.StopTimer()
				p, _ := NewPicker(PickerConfig{Geometry: g, Rand: rand.New(rand.NewPCG(3, 4))})
				for k, f := range swarm {
					p.AddPeer(PeerID(k), f)
				}
				b.StartTimer()
				var buf []int
				for k := 0; !p.Complete(); k = (k + 1) % benchPeers {
					buf = p.AppendNext(buf[:0], PeerID(k), 1)
					for _, i := range buf {
						p.Done(PeerID(k), i)
						picks++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(picks), "ns/pick")
		})
		b.Run(fmt.Sprintf("swarm=%s/picker=seq", name), func(b *testing.B) {
			b.ReportAllocs()
			picks := 0
			for b.Loop() {
				s := &seqPicker{taken: bitfield.New(benchPieces), peers: swarm}
				for k, got := 0, 0; got < benchPieces; k = (k + 1) % benchPeers {
					if s.next(k) >= 0 {
						got++
						picks++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(picks), "ns/pick")
		})
	}
}
