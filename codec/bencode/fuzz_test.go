package bencode

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzDecode: no input crashes the decoders or passes their limits. What
// Decode accepts is canonical: encoding it gives the input back byte for
// byte, every value's Raw is its own encoding, and DecodeLenient reads the
// same. What DecodeLenient accepts encodes to canonical input that Decode
// reads back as the same data, keys sorted.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		strict, strictErr := Decode(in)
		lenient, lenientErr := DecodeLenient(in)
		if strictErr == nil {
			if lenientErr != nil {
				t.Fatalf("Decode accepts %q, DecodeLenient refuses it: %v", in, lenientErr)
			}
			if !strict.Equal(lenient) {
				t.Fatalf("Decode and DecodeLenient differ on %q", in)
			}
			out, err := Encode(strict)
			if err != nil {
				t.Fatalf("Encode of decoded %q: %v", in, err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("canonical %q re-encodes as %q", in, out)
			}
			checkRaw(t, strict, in)
		}
		if lenientErr != nil {
			return
		}
		out, err := Encode(lenient)
		if err != nil {
			t.Fatalf("Encode of lenient %q: %v", in, err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("%q encodes as %q, which Decode refuses: %v", in, out, err)
		}
		if !again.Equal(sortedKeys(lenient)) {
			t.Fatalf("%q -> %q decodes to other data", in, out)
		}
	})
}

// checkRaw: every value's Raw is its slice of the input at Offset and its
// canonical encoding.
func checkRaw(t *testing.T, v Value, in []byte) {
	t.Helper()
	if !bytes.Equal(v.Raw, in[v.Offset:v.Offset+len(v.Raw)]) {
		t.Fatalf("Raw %q is not the input at %d", v.Raw, v.Offset)
	}
	if out, _ := Encode(v); !bytes.Equal(out, v.Raw) {
		t.Fatalf("Raw %q, but the value encodes as %q", v.Raw, out)
	}
	for _, item := range v.List {
		checkRaw(t, item, in)
	}
	for _, e := range v.Dict {
		checkRaw(t, e.Value, in)
	}
}

// sortedKeys is v with every dictionary's entries in key order.
func sortedKeys(v Value) Value {
	switch v.Kind {
	case KindList:
		items := make([]Value, len(v.List))
		for i, item := range v.List {
			items[i] = sortedKeys(item)
		}
		return List(items...)
	case KindDict:
		out, _ := Encode(v)
		sorted, _ := Decode(out)
		return sorted
	}
	return v
}

// FuzzEncodeRoundTrip: a value built from the fuzzer's bytes encodes to
// input that Decode reads back as the same value.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(0), uint64(0))
	f.Add(uint64(0xfeed), uint64(42))
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64) {
		checkRoundTrip(t, randomValue(rand.New(rand.NewPCG(seed1, seed2)), 0))
	})
}

// TestRoundTripProperty: random values, encoded and decoded, come back
// equal (their keys sorted and unique, as Encode writes them).
func TestRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 29))
	for range 2000 {
		checkRoundTrip(t, randomValue(r, 0))
	}
}

func checkRoundTrip(t *testing.T, v Value) {
	t.Helper()
	out, err := Encode(v)
	if err != nil {
		t.Fatalf("Encode(%+v): %v", v, err)
	}
	back, err := Decode(out)
	if err != nil {
		t.Fatalf("Decode(Encode(v)) = %q: %v", out, err)
	}
	if !back.Equal(sortedKeys(v)) {
		t.Fatalf("%q decodes to other data than was encoded", out)
	}
	again, _ := Encode(back)
	if !bytes.Equal(again, out) {
		t.Fatalf("encode -> decode -> encode: %q then %q", out, again)
	}
}

// randomValue builds a value with unique keys (Encode refuses duplicates),
// at most a few levels deep.
func randomValue(r *rand.Rand, depth int) Value {
	kind := r.IntN(4)
	if depth > 4 {
		kind = r.IntN(2)
	}
	switch kind {
	case 0:
		switch r.IntN(3) {
		case 0:
			return Int(r.Int64() - r.Int64())
		case 1:
			return Int([]int64{math.MinInt64, math.MaxInt64}[r.IntN(2)])
		}
		return Int(int64(r.IntN(21)) - 10)
	case 1:
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return Bytes(b)
	case 2:
		items := make([]Value, r.IntN(5))
		for i := range items {
			items[i] = randomValue(r, depth+1)
		}
		return List(items...)
	}
	seen := map[string]bool{}
	var entries []Entry
	for range r.IntN(5) {
		key := string([]byte{byte('a' + r.IntN(4)), byte(r.IntN(256))}[:1+r.IntN(2)])
		if !seen[key] {
			seen[key] = true
			entries = append(entries, Entry{key, randomValue(r, depth+1)})
		}
	}
	return Dict(entries...)
}
