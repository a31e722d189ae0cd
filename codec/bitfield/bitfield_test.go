package bitfield

import (
	"bytes"
	"errors"
	"testing"
)

func TestWireOrderIsHighBitFirst(t *testing.T) {
	// The spec: 4 pieces, pieces 1 and 3 held, is b1010 padded: 0xa0.
	f := New(4)
	f.Set(0)
	f.Set(2)
	if got := f.Bytes(); !bytes.Equal(got, []byte{0xa0}) {
		t.Fatalf("bytes %x, want a0", got)
	}
	// Two pieces, both held: the spec's hello response "c0".
	if got := Full(2).Bytes(); !bytes.Equal(got, []byte{0xc0}) {
		t.Fatalf("full(2) %x, want c0", got)
	}
	if got := Full(9).Bytes(); !bytes.Equal(got, []byte{0xff, 0x80}) {
		t.Fatalf("full(9) %x, want ff80", got)
	}
}

func TestParseRefusesWrongLengthAndSpareBits(t *testing.T) {
	for _, tc := range []struct {
		wire []byte
		n    int
		want error
	}{
		{[]byte{0xc0}, 2, nil},
		{[]byte{0xff}, 8, nil},
		{[]byte{}, 0, nil},
		{[]byte{0xc0, 0x00}, 2, ErrLength},
		{[]byte{}, 1, ErrLength},
		{[]byte{0xe0}, 2, ErrSpareBits},
		{[]byte{0xff, 0x81}, 9, ErrSpareBits},
	} {
		f, err := Parse(tc.wire, tc.n)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%x, %d) = %v, want %v", tc.wire, tc.n, err, tc.want)
			continue
		}
		if err == nil && (!bytes.Equal(f.Bytes(), tc.wire) || f.Len() != tc.n) {
			t.Errorf("Parse(%x, %d) gave %x of %d", tc.wire, tc.n, f.Bytes(), f.Len())
		}
	}
}

func TestParseCopies(t *testing.T) {
	wire := []byte{0x80}
	f, err := Parse(wire, 1)
	if err != nil {
		t.Fatal(err)
	}
	wire[0] = 0
	if !f.Has(0) {
		t.Fatal("bitfield shares the caller's buffer")
	}
}

func TestLenientPadsAndMasks(t *testing.T) {
	if got := Lenient([]byte{0xff, 0xff, 0xff}, 9).String(); got != "111111111" {
		t.Fatalf("long input: %s", got)
	}
	if got := Lenient([]byte{0x80}, 10).String(); got != "1000000000" {
		t.Fatalf("short input: %s", got)
	}
	if got := Lenient([]byte{0xff}, 3).Bytes(); !bytes.Equal(got, []byte{0xe0}) {
		t.Fatalf("spare bits kept: %x", got)
	}
}

func TestSetClearCountHasOutOfRange(t *testing.T) {
	f := New(10)
	f.Set(9)
	f.Set(10) // ignored
	f.Set(-1) // ignored
	if f.Count() != 1 || !f.Has(9) || f.Has(10) || f.Has(-1) {
		t.Fatalf("got %s count %d", f, f.Count())
	}
	g := f.Clone()
	f.Clear(9)
	if f.Count() != 0 || !g.Has(9) {
		t.Fatal("clone shares memory or clear failed")
	}
	if New(0).Complete() != true || Full(10).Complete() != true || g.Complete() {
		t.Fatal("Complete")
	}
}

// Every bitfield survives Parse(Bytes()) unchanged.
func TestRoundTrip(t *testing.T) {
	for n := range 40 {
		f := New(n)
		for i := 0; i < n; i += 3 {
			f.Set(i)
		}
		g, err := Parse(f.Bytes(), n)
		if err != nil || g.String() != f.String() {
			t.Fatalf("n=%d: %v %s != %s", n, err, g, f)
		}
	}
}
