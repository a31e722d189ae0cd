package pex

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// Round trips: random asks, gives and peer lists, in random wires, go
// through the Reader in random chunks and Decode back to what was sent;
// their words (Describe) Parse back to the same bytes.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	for run := range 200 {
		o := Options{Order: ByteOrder(rng.IntN(2)), PieceSize: []int{0, 1, 64, 1000}[rng.IntN(4)]}
		type sent struct {
			typ   Type
			hash  Hash
			piece []byte
			peers []netip.AddrPort
		}
		var want []sent
		var wire []byte
		for range rng.IntN(6) + 1 {
			var s sent
			s.typ = Type(rng.IntN(3))
			for i := range s.hash {
				s.hash[i] = byte(rng.Uint32())
			}
			switch s.typ {
			case TypeAsk:
				wire = AppendAsk(wire, s.hash, o)
			case TypeGive:
				s.piece = make([]byte, rng.IntN(o.Piece()+1))
				for i := range s.piece {
					s.piece[i] = byte(rng.Uint32())
				}
				wire = must(AppendGive(wire, s.hash, s.piece, o))
			case TypePeer:
				for range rng.IntN(min(o.MaxPeers(), 12) + 1) {
					var a [16]byte
					for i := range a {
						a[i] = byte(rng.Uint32())
					}
					addr := netip.AddrFrom16(a)
					if rng.IntN(2) == 0 {
						addr = netip.AddrFrom4([4]byte(a[:4]))
					}
					s.peers = append(s.peers, netip.AddrPortFrom(addr, uint16(rng.Uint32())))
				}
				wire = must(AppendPeers(wire, s.peers, o))
			}
			want = append(want, s)
		}
		r := NewReader(&codectest.Chunked{B: wire, Sizes: []int{rng.IntN(50) + 1, 1, rng.IntN(5000) + 1}}, o)
		frames, err := codectest.ReadAll(r)
		if len(frames) != len(want) {
			t.Fatalf("run %d: %d messages, want %d (%v)", run, len(frames), len(want), err)
		}
		for i, f := range frames {
			m, err := Decode(f, o)
			w := want[i]
			if err != nil || m.Type != w.typ {
				t.Fatalf("run %d, message %d: %v, type %d, want %d", run, i, err, m.Type, w.typ)
			}
			switch w.typ {
			case TypeAsk, TypeGive:
				if m.Hash != w.hash || !bytes.Equal(m.Piece, w.piece) {
					t.Fatalf("run %d, message %d: the hash or the piece differ", run, i)
				}
			case TypePeer:
				// Read back unmapped: an IPv4-mapped address is the IPv4 peer.
				got := m.AppendPeers(nil)
				for j := range w.peers {
					w.peers[j] = netip.AddrPortFrom(w.peers[j].Addr().Unmap(), w.peers[j].Port())
				}
				if !equalPeers(got, w.peers) {
					t.Fatalf("run %d, message %d: peers %v, want %v", run, i, got, w.peers)
				}
			}
			ctx := Context{Options: o, Piece: func(h Hash) ([]byte, bool) { return w.piece, h == w.hash }}
			if back, err := Parse(Describe(f, ctx), ctx); err != nil || !bytes.Equal(back, f) {
				t.Fatalf("run %d, message %d: Parse(Describe) = %v", run, i, err)
			}
		}
	}
}
