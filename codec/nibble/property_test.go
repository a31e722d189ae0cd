package nibble

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// genFrame builds a random frame of kind k (0-5: the five types, then a
// malformed frame) and the context it is described in.
func genFrame(rng *rand.Rand, k int) ([]byte, Context) {
	var ctx Context
	switch k {
	case 0:
		var id TorrentID
		for i := range id {
			id[i] = byte(rng.IntN(256))
		}
		return HelloRequest(id), ctx
	case 1:
		n := rng.IntN(100)
		f := bitfield.New(n)
		for i := range n {
			if rng.IntN(2) == 0 {
				f.Set(i)
			}
		}
		if rng.IntN(2) == 0 {
			ctx.Pieces = n
		}
		b, _ := HelloResponse(f)
		return b, ctx
	case 2:
		index := rng.Uint32() >> rng.IntN(32)
		width := IndexWidth(index) + rng.IntN(MaxIndexBytes+1-IndexWidth(index))
		if index == 0 && rng.IntN(4) == 0 {
			width = 0
		}
		return PieceRequestWidth(index, width), ctx
	case 3:
		data := make([]byte, rng.IntN(5000))
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		ctx.Index, ctx.HasIndex = rng.Uint32(), rng.IntN(2) == 0
		b, _ := PieceResponse(data)
		return b, ctx
	case 4:
		text := make([]byte, rng.IntN(80))
		for i := range text {
			text[i] = byte(0x20 + rng.IntN(0x7f-0x20))
		}
		return ErrorFrame(string(text)), ctx
	}
	b := make([]byte, 1+rng.IntN(maxRawShown))
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b, ctx
}

// The round trip: every frame decodes to what was encoded, the Reader
// gives back every frame of a stream of them, and Parse reads Describe's
// words back to the same bytes (a piece response, whose data the log does
// not show, excepted), without changing the command.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 5))
	var all [][]byte
	for i := range 3000 {
		k := i % 6
		b, ctx := genFrame(rng, k)
		if k < 5 {
			f, err := Decode(b)
			if err != nil || int(f.Type) != k+1 || CommandName(b) != f.Type.Command() {
				t.Fatalf("Decode(% x) = %+v, %v", b, f, err)
			}
			all = append(all, b)
		}
		words := Describe(b, ctx)
		if k == 3 {
			continue
		}
		back, err := Parse(words, ctx)
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("Parse(Describe(% x)) = Parse(%q) = % x, %v", b, words, back, err)
		}
	}
	r := NewReader(&codectest.Chunked{B: bytes.Join(all, nil), Sizes: []int{1, 7, 4096, 3, 65536}})
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
