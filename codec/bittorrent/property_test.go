package bittorrent

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// genMessage builds a random message of kind k (0-12: the handshake and
// every message the spec names, the port and an unknown id) with the
// Message it decodes to (the handshake's is zero).
func genMessage(rng *rand.Rand, k int) ([]byte, Message) {
	u := func() uint32 { return rng.Uint32() >> rng.IntN(32) }
	bytesN := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	switch k {
	case 0:
		var h Handshake
		copy(h.InfoHash[:], bytesN(HashSize))
		copy(h.PeerID[:], bytesN(PeerIDSize))
		if rng.IntN(2) == 0 {
			copy(h.Reserved[:], bytesN(ReservedSize))
		}
		return h.Bytes(), Message{}
	case 1:
		return AppendKeepAlive(nil), Message{KeepAlive: true}
	case 2, 3, 4, 5:
		id := ID(k - 2)
		return AppendSimple(nil, id), Message{ID: id}
	case 6:
		m := Message{ID: IDHave, Index: u()}
		return AppendHave(nil, m.Index), m
	case 7:
		m := Message{ID: IDBitfield, Payload: bytesN(rng.IntN(60))}
		return appendPayload(nil, IDBitfield, m.Payload), m
	case 8, 9:
		m := Message{ID: IDRequest, Index: u(), Begin: u(), Length: 1 + rng.Uint32N(MaxBlock)}
		if k == 9 {
			m.ID = IDCancel
		}
		return m.Bytes(), m
	case 10:
		m := Message{ID: IDPiece, Index: u(), Begin: u(), Payload: bytesN(rng.IntN(2 * BlockSize))}
		return AppendPiece(nil, m.Index, m.Begin, m.Payload), m
	case 11:
		m := Message{ID: IDPort, Port: uint16(rng.Uint32())}
		return AppendPort(nil, m.Port), m
	}
	m := Message{ID: ID(10 + rng.IntN(246)), Payload: bytesN(rng.IntN(100))}
	return appendPayload(nil, m.ID, m.Payload), m
}

// The round trip: every message decodes to what was encoded and encodes
// back to the same bytes; the Reader gives back every frame of a stream of
// them, whatever the reads; and Parse reads Describe's words back to the
// same bytes wherever the words carry everything (a piece's block, a long
// bitfield and long raw bytes are summaries).
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	var all [][]byte
	ctx := Context{}
	for i := range 5000 {
		k := i % 13
		if i == 0 {
			k = 0 // the stream starts with the handshake
		} else if k == 0 {
			k = 1 + rng.IntN(12)
		}
		b, want := genMessage(rng, k)
		all = append(all, b)
		if k == 0 {
			h, err := ParseHandshake(b)
			if err != nil || !bytes.Equal(h.Bytes(), b) {
				t.Fatalf("handshake % x: %+v, %v", b, h, err)
			}
		} else {
			m, err := Decode(b)
			if err != nil || !sameMessage(m, want) || !bytes.Equal(m.Bytes(), b) {
				t.Fatalf("Decode(% x) = %+v, %v; want %+v", b[:min(len(b), 20)], m, err, want)
			}
		}
		words := Describe(b, ctx)
		if k == 10 || strings.Contains(words, "…") || strings.Contains(words, " ... (") {
			continue
		}
		back, err := Parse(words, ctx)
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("Parse(Describe(% x)) = Parse(%q) = % x, %v", b, words, back, err)
		}
	}
	r := NewReader(&codectest.Chunked{B: bytes.Join(all, nil), Sizes: []int{1, 7, 16397, 3, 65536, 200000}})
	got, err := codectest.ReadAll(r)
	if len(got) != len(all) {
		t.Fatalf("the Reader gave %d frames of %d (%v)", len(got), len(all), err)
	}
	for i := range all {
		if !bytes.Equal(got[i], all[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
}
