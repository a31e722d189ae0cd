package bittorrent

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ctx := testContext(t) // 10 pieces of 32768 bytes, the last of 100
	other := strings.Repeat("11", 20)
	for _, tc := range []struct {
		line  string
		level Level
		text  string // a part of the verdict's text
	}{
		{"handshake", Valid, ""},
		{"handshake " + testHash + " -BC0001-abcdefghijkl reserved 0000000000100005", Valid, ""},
		{"handshake " + other, Lenient, "info_hash 1111111111111111111111111111111111111111 is not this torrent's"},
		{"raw 13 42 69 74", Invalid, `<pstrlen=19><pstr="BitTorrent protocol">`},
		{"raw 13" + strings.Repeat(" 00", 67), Invalid, "BitTorrent protocol"},
		{"keepalive", Valid, ""},
		{"choke", Valid, ""},
		{"not-interested", Valid, ""},
		{"have 9", Valid, ""},
		{"have 10", Invalid, "have: the zero-based index of a piece: 10 is past the last piece (10 pieces)"},
		{"bitfield ffc0", Valid, ""},
		{"bitfield ffe0", Invalid, "spare bits at the end are set to zero"},
		{"bitfield ff", Invalid, "a bitfield of the wrong length is considered an error: 10 pieces take 2 bytes, got 1"},
		{"request 0 0 16384", Valid, ""},
		{"request 0 16384 16384", Valid, ""},
		{"request 0 0 32768", Lenient, "the spec's clients use 16 KiB blocks"},
		{"request 0 0 131072", Invalid, "past the end of piece 0 (32768 bytes)"},
		{"request 0 0 131073", Invalid, "a request of more than 131072 bytes drops the connection"},
		{"request 0 0 0", Invalid, "request: length: the requested length, at least 1 byte"},
		{"request 9 0 100", Valid, ""},
		{"request 9 0 101", Invalid, "begin 0 and 101 bytes run past the end of piece 9 (100 bytes)"},
		{"request 10 0 100", Invalid, "10 is past the last piece (10 pieces)"},
		{"cancel 0 0 16384", Valid, ""},
		{"cancel 0 0 200000", Invalid, "cancel: a request of more than 131072 bytes"},
		{"piece 0 0 00", Valid, ""},
		{"piece 9 99 0000", Invalid, "run past the end of piece 9"},
		{"piece 0 0 " + strings.Repeat("00", BlockSize+1), Lenient, "the spec's clients use 16 KiB blocks"},
		{"port 6881", Lenient, "not in the spec: the DHT's port message (BEP 5)"},
		{"raw 00 00 00 01 0e", Lenient, "id 14 (have all, fast extension) is not in the spec (0 to 8): peers skip it"},
		{"raw 00 00 00 02 00 00", Invalid, "choke: <len=0001><id=0>"},
		{"raw 00 00 00 04 04 00 00 00", Invalid, "have: <len=0005><id=4><piece index>"},
		{"raw 00 00 00 05 04 00 00 00", Invalid, "length prefix: a four byte big-endian value"},
		{"raw 00 02 00 0a 07", Invalid, "longer than a block of 131072 bytes and its header: peers drop the connection"},
		{"hello", Invalid, "hello: unknown command"},
	} {
		v := Validate(tc.line, ctx)
		if v.Level != tc.level || !strings.Contains(v.Text, tc.text) || (tc.level == Valid) != (v.Text == "") {
			t.Errorf("Validate(%.60q) = %d %q; want %d, with %q", tc.line, v.Level, v.Text, tc.level, tc.text)
		}
	}
	// Without a torrent, only what the bytes say is judged.
	for _, line := range []string{"have 10", "bitfield ffe0", "request 99 0 16384", "handshake " + other} {
		if v := Validate(line, Context{}); v.Level != Valid {
			t.Errorf("Validate(%q) without a torrent = %+v", line, v)
		}
	}
	if v := Validate("request 3 0 16384", Context{PieceLength: 16384, Length: 40000}); v.Level != Invalid {
		t.Errorf("the piece count from the sizes: %+v", v)
	}
}
