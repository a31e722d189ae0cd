package bittorrent

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

const testHash = "84e199cad6b953eee0c9b6d8b72612ddb2488999"

func testPeerID(t testing.TB) PeerID {
	p, err := ParsePeerID("-BC0001-abcdefghijkl")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHandshakeExactBytes(t *testing.T) {
	ih, _ := ParseInfoHash(testHash)
	h := Handshake{InfoHash: ih, PeerID: testPeerID(t)}
	want := codectest.Unhex(t, "13 426974546f7272656e742070726f746f636f6c 0000000000000000 "+testHash+" 2d4243303030312d6162636465666768696a6b6c")
	got := h.Bytes()
	if !bytes.Equal(got, want) || len(got) != HandshakeSize {
		t.Fatalf("Bytes = % x\nwant    % x", got, want)
	}
	back, err := ParseHandshake(got)
	if err != nil || back != h {
		t.Fatalf("ParseHandshake = %+v, %v", back, err)
	}
	if !IsHandshake(got) || CommandName(got) != CmdHandshake {
		t.Error("not recognised as a handshake")
	}
}

// Reserved bits are accepted and named; a wrong pstr or size is an error.
func TestParseHandshake(t *testing.T) {
	ih, _ := ParseInfoHash(testHash)
	h := Handshake{InfoHash: ih, PeerID: testPeerID(t)}
	h.Reserved[5] = 0x10 // extension protocol
	h.Reserved[7] = 0x05 // fast extension, DHT
	h.Reserved[2] = 0x01 // no name
	got, err := ParseHandshake(h.Bytes())
	if err != nil || got != h {
		t.Fatalf("reserved bits set: %+v, %v", got, err)
	}
	names := got.Reserved.Extensions()
	if want := []string{"extension protocol", "fast extension", "DHT", "other bits 0000010000000000"}; !slices.Equal(names, want) {
		t.Errorf("Extensions = %q, want %q", names, want)
	}
	if !got.Reserved.Has(ReservedExtensionProtocol) || !got.Reserved.Has(ReservedFast) || !got.Reserved.Has(ReservedDHT) || got.Reserved.Has(0) {
		t.Error("Has disagrees with the bits")
	}
	if (Reserved{}).Extensions() != nil || !(Reserved{}).IsZero() {
		t.Error("zero reserved bytes name extensions")
	}

	wrongPstr := h.Bytes()
	copy(wrongPstr[1:], "BitTorrent Protocol")
	wrongLen := h.Bytes()
	wrongLen[0] = 18
	for name, tc := range map[string]struct {
		frame []byte
		err   error
	}{
		"wrong pstr":    {wrongPstr, ErrProtocol},
		"wrong pstrlen": {wrongLen, ErrProtocol},
		"short":         {h.Bytes()[:67], ErrHandshakeSize},
		"long":          {append(h.Bytes(), 0), ErrHandshakeSize},
	} {
		if _, err := ParseHandshake(tc.frame); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", name, err, tc.err)
		}
	}
}

// peer_ids with binary bytes are shown escaped, without spaces, and read
// back; 40 hex digits read too.
func TestPeerIDText(t *testing.T) {
	var p PeerID
	copy(p[:], "-GT0003-")
	copy(p[8:], []byte{0x00, 0x1b, ' ', '\\', 0xff, 'a', 0x7f, 0x80, 'z', '(', 0x0a, 0x09})
	s := p.String()
	if want := `-GT0003-\x00\x1b\x20\x5c\xffa\x7f\x80z(\x0a\x09`; s != want {
		t.Errorf("String = %s, want %s", s, want)
	}
	back, err := ParsePeerID(s)
	if err != nil || back != p {
		t.Errorf("ParsePeerID(%s) = %q, %v", s, back[:], err)
	}
	hexForm := strings.Repeat("ab", 20)
	if q, err := ParsePeerID(hexForm); err != nil || q != PeerID(bytes.Repeat([]byte{0xab}, 20)) {
		t.Errorf("ParsePeerID(hex) = %q, %v", q[:], err)
	}
	for _, bad := range []string{"short", strings.Repeat("x", 21), `-BC0001-abcdefghijk\x`, `-BC0001-abcdefghijk\xg0`, strings.Repeat("ab", 19) + "a"} {
		if _, err := ParsePeerID(bad); err == nil {
			t.Errorf("ParsePeerID(%q) accepted", bad)
		}
	}
}

func TestParseInfoHash(t *testing.T) {
	h, err := ParseInfoHash(strings.ToUpper(testHash))
	if err != nil || h.String() != testHash {
		t.Errorf("ParseInfoHash = %s, %v", h, err)
	}
	for _, bad := range []string{"", testHash[:38], testHash[:39] + "g"} {
		if _, err := ParseInfoHash(bad); err == nil {
			t.Errorf("ParseInfoHash(%q) accepted", bad)
		}
	}
}
