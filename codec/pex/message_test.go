package pex

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// abcHash is the SHA-256 of "abc" (FIPS 180-2's example).
const abcHash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

var (
	little = Options{}
	big    = Options{Order: Big}
)

func mustHash(t testing.TB, s string) Hash {
	t.Helper()
	h, err := ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func peers(t testing.TB, s ...string) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, a := range s {
		out = append(out, netip.MustParseAddrPort(a))
	}
	return out
}

// The exact bytes of each message in both byte orders, with the course
// node's sizes: an ask is 37 bytes on the wire, a give 4 + 33 + 131072.
func TestEncodeExactBytes(t *testing.T) {
	h := mustHash(t, abcHash)
	two := peers(t, "[::1]:8100", "127.0.0.1:8101")
	const v6loop = "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
	const v4mapped = "00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01"
	for _, tc := range []struct {
		name string
		o    Options
		got  []byte
		want string
	}{
		{"ask little", little, AppendAsk(nil, h, little), "21 00 00 00 00 " + abcHash},
		{"ask big", big, AppendAsk(nil, h, big), "00 00 00 21 00 " + abcHash},
		{"peer little", little, must(AppendPeers(nil, two, little)), "25 00 00 00 02 " + v6loop + " a4 1f " + v4mapped + " a5 1f"},
		{"peer big", big, must(AppendPeers(nil, two, big)), "00 00 00 25 02 " + v6loop + " 1f a4 " + v4mapped + " 1f a5"},
		{"no peers little", little, must(AppendPeers(nil, nil, little)), "01 00 00 00 02"},
		{"no peers big", big, must(AppendPeers(nil, nil, big)), "00 00 00 01 02"},
	} {
		if want := codectest.Unhex(t, tc.want); !bytes.Equal(tc.got, want) {
			t.Errorf("%s: % x\nwant % x", tc.name, tc.got, want)
		}
	}
	if n := len(AppendAsk(nil, h, little)); n != 37 {
		t.Errorf("an ask is %d bytes on the wire, the course's node asserts 37", n)
	}
	piece := bytes.Repeat([]byte{0xab}, DefaultPieceSize)
	for _, tc := range []struct {
		o      Options
		prefix string
	}{{little, "21 00 02 00"}, {big, "00 02 00 21"}} {
		g, err := AppendGive(nil, HashOf(piece), piece, tc.o)
		if err != nil || len(g) != 4+33+131072 {
			t.Fatalf("%s: a give of %d bytes, %v; the course's node asserts 4 + 33 + 131072", tc.o.Order, len(g), err)
		}
		hb := HashOf(piece)
		if !bytes.Equal(g[:5], codectest.Unhex(t, tc.prefix+" 01")) || !bytes.Equal(g[5:37], hb[:]) || !bytes.Equal(g[37:], piece) {
			t.Errorf("%s: give starts % x", tc.o.Order, g[:40])
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	h := mustHash(t, abcHash)
	for _, o := range []Options{little, big} {
		m, err := Decode(AppendAsk(nil, h, o), o)
		if err != nil || m.Type != TypeAsk || m.Hash != h {
			t.Errorf("%s: ask: %+v, %v", o.Order, m, err)
		}
		piece := []byte("a short piece")
		g, _ := AppendGive(nil, HashOf(piece), piece, o)
		m, err = Decode(g, o)
		if err != nil || m.Type != TypeGive || m.Hash != HashOf(piece) || string(m.Piece) != string(piece) || !CheckGive(m.Hash, m.Piece) {
			t.Errorf("%s: give: %+v, %v", o.Order, m, err)
		}
		want := peers(t, "[::1]:8100", "127.0.0.1:8101", "[2001:db8::7]:65535")
		m, err = Decode(must(AppendPeers(nil, want, o)), o)
		if got := m.AppendPeers(nil); err != nil || m.Type != TypePeer || !equalPeers(got, want) {
			t.Errorf("%s: peer: %v, %v", o.Order, got, err)
		}
	}
}

func equalPeers(a, b []netip.AddrPort) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeRefuses(t *testing.T) {
	small := Options{PieceSize: 4}
	for _, tc := range []struct {
		name, wire string
		o          Options
		err        error
	}{
		{"nothing", "", little, ErrShort},
		{"no type byte", "00 00 00 00", little, ErrShort},
		{"prefix too large", "05 00 00 00 02 00", little, ErrPrefix},
		{"prefix too small", "01 00 00 00 02 00", little, ErrPrefix},
		{"big-endian prefix read little", "00 00 00 01 02", little, ErrPrefix},
		{"ask of 32", "20 00 00 00 00" + strings.Repeat(" 00", 31), little, ErrAskSize},
		{"ask of 34", "22 00 00 00 00" + strings.Repeat(" 00", 33), little, ErrAskSize},
		{"give without a whole hash", "05 00 00 00 01 00 00 00 00", little, ErrGiveSize},
		{"give longer than a piece", "26 00 00 00 01" + strings.Repeat(" 00", 37), small, ErrGiveSize},
		{"peer of 1 + 17", "12 00 00 00 02" + strings.Repeat(" 00", 17), little, ErrPeerList},
		{"peer of 1 + 19", "14 00 00 00 02" + strings.Repeat(" 00", 19), little, ErrPeerList},
		{"peer list over the bound", "37 00 00 00 02" + strings.Repeat(" 00", 54), small, ErrPeerList},
		{"type 3", "01 00 00 00 03", little, ErrType},
		{"type 255", "13 00 00 00 ff" + strings.Repeat(" 00", 18), little, ErrType},
	} {
		_, err := Decode(codectest.Unhex(t, tc.wire), tc.o)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	// A full give of a 4-byte piece and a peer list of two are the bounds.
	if _, err := Decode(codectest.Unhex(t, "25 00 00 00 01"+strings.Repeat(" 00", 36)), small); err != nil {
		t.Errorf("a full give of a 4-byte piece: %v", err)
	}
	if small.MaxPeers() != 2 {
		t.Errorf("MaxPeers with 4-byte pieces: %d, want 2 ((37-1)/18)", small.MaxPeers())
	}
}

func TestEncodeRefuses(t *testing.T) {
	small := Options{PieceSize: 4}
	if _, err := AppendGive(nil, Hash{}, make([]byte, 5), small); !errors.Is(err, ErrGiveSize) {
		t.Errorf("a 5-byte piece with 4-byte pieces: %v", err)
	}
	if _, err := AppendPeers(nil, peers(t, "[::1]:1", "[::1]:2", "[::1]:3"), small); !errors.Is(err, ErrPeerList) {
		t.Errorf("3 peers where 2 fit: %v", err)
	}
	if _, err := AppendPeers(nil, peers(t, "[fe80::1%eth0]:8100"), little); !errors.Is(err, ErrZone) {
		t.Errorf("a zone: %v", err)
	}
	if _, err := AppendPeers(nil, []netip.AddrPort{{}}, little); !errors.Is(err, ErrPeerList) {
		t.Errorf("an invalid address: %v", err)
	}
	if little.MaxPeers() != (33+131072-1)/18 {
		t.Errorf("MaxPeers: %d", little.MaxPeers())
	}
}

func TestCheckGive(t *testing.T) {
	if !CheckGive(mustHash(t, abcHash), []byte("abc")) {
		t.Error(`"abc" does not hash to its SHA-256`)
	}
	if CheckGive(mustHash(t, abcHash), []byte("abd")) {
		t.Error("a corrupt piece passes")
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want ByteOrder
		ok   bool
	}{{"little", Little, true}, {"big", Big, true}, {"BIG", Big, true}, {"network", Little, false}, {"", Little, false}} {
		o, err := ParseByteOrder(tc.s)
		if o != tc.want || (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrByteOrder)) {
			t.Errorf("ParseByteOrder(%q) = %v, %v", tc.s, o, err)
		}
	}
	if Little.String() != "little" || Big.String() != "big" {
		t.Error("byte order names")
	}
	for _, tc := range []struct {
		o  Options
		ok bool
	}{{Options{}, true}, {Options{PieceSize: 1}, true}, {Options{PieceSize: MaxPieceSize}, true},
		{Options{PieceSize: -1}, false}, {Options{PieceSize: MaxPieceSize + 1}, false}, {Options{Order: 2}, false}} {
		if err := tc.o.Check(); (err == nil) != tc.ok {
			t.Errorf("%+v: Check %v", tc.o, err)
		}
	}
	if (Options{}).Piece() != 131072 || (Options{PieceSize: 1 << 30}).Piece() != MaxPieceSize || (Options{}).MaxBody() != 33+131072 {
		t.Error("piece size bounds")
	}
}

func TestParseHash(t *testing.T) {
	if h, err := ParseHash(strings.ToUpper(abcHash)); err != nil || h.String() != abcHash || h.Short() != "ba7816bf…" {
		t.Errorf("upper case: %v, %v", h, err)
	}
	for in, want := range map[string]string{
		"ba78":            "want 64 hex digits (a SHA-256), got 4 characters",
		"x" + abcHash[1:]: "want 64 hex digits (a SHA-256): not a hex digit at 1",
	} {
		if _, err := ParseHash(in); err == nil || err.Error() != want {
			t.Errorf("ParseHash(%q) = %v, want %q", in, err, want)
		}
	}
}
