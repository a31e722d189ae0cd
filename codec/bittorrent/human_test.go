package bittorrent

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

const hsPrefix = "13 426974546f7272656e742070726f746f636f6c "

func testContext(t testing.TB) Context {
	ih, _ := ParseInfoHash(testHash)
	return Context{InfoHash: ih, PeerID: testPeerID(t), Pieces: 10, PieceLength: 32768, Length: 9*32768 + 100,
		ReadFile: func(name string, limit int) ([]byte, error) {
			switch name {
			case "block.bin":
				return []byte{1, 2, 3}, nil
			case "big file.bin":
				return make([]byte, limit+1), nil
			}
			return nil, fmt.Errorf("open %s: no such file", name)
		}}
}

func TestParseHumanForm(t *testing.T) {
	ctx := testContext(t)
	ours := hsPrefix + "0000000000000000 " + testHash + " 2d4243303030312d6162636465666768696a6b6c"
	theirs := hsPrefix + "0000000000000000 " + testHash + " " + strings.Repeat("ab", 20)
	for _, tc := range []struct {
		line string
		wire string
	}{
		{"handshake", ours},
		{"handshake " + testHash, ours},
		{"handshake " + strings.ToUpper(testHash) + " -BC0001-abcdefghijkl", ours},
		{"handshake " + testHash + " " + strings.Repeat("ab", 20), theirs},
		{"handshake " + testHash + ` \xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab`, theirs},
		{"handshake " + testHash + " -BC0001-abcdefghijkl reserved 0000000000100005 (extension protocol, fast extension, DHT)",
			hsPrefix + "0000000000100005 " + testHash + " 2d4243303030312d6162636465666768696a6b6c"},
		{"keepalive", "00 00 00 00"},
		{"keep-alive", "00 00 00 00"},
		{"choke", "00 00 00 01 00"},
		{"unchoke", "00 00 00 01 01"},
		{"interested", "00 00 00 01 02"},
		{"not-interested", "00 00 00 01 03"},
		{"have 3", "00 00 00 05 04 00 00 00 03"},
		{"  have   4294967295 ", "00 00 00 05 04 ff ff ff ff"},
		{"bitfield ff80", "00 00 00 03 05 ff 80"},
		{"bitfield ff 80 (9 pieces, 9 have)", "00 00 00 03 05 ff 80"},
		{"bitfield", "00 00 00 01 05"},
		{"request 0 0 16384", "00 00 00 0d 06 00 00 00 00 00 00 00 00 00 00 40 00"},
		{"request 1 16384 1048576", "00 00 00 0d 06 00 00 00 01 00 00 40 00 00 10 00 00"},
		{"cancel 0 0 16384", "00 00 00 0d 08 00 00 00 00 00 00 00 00 00 00 40 00"},
		{"piece 0 0 dead beef", "00 00 00 0d 07 00 00 00 00 00 00 00 00 de ad be ef"},
		{"piece 2 16384 @block.bin", "00 00 00 0c 07 00 00 00 02 00 00 40 00 01 02 03"},
		{"port 6881", "00 00 00 03 09 1a e1"},
		{"raw 00 00 00 01 02", "00 00 00 01 02"},
		{"raw 0000000102 (a note)", "00 00 00 01 02"},
		{"raw 00 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00"},
	} {
		got, err := Parse(tc.line, ctx)
		if err != nil || !bytes.Equal(got, codectest.Unhex(t, tc.wire)) {
			t.Errorf("Parse(%q) = % x, %v; want %s", tc.line, got, err, tc.wire)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	ctx := testContext(t)
	for _, tc := range []struct {
		line string
		ctx  Context
		err  string
	}{
		{"", ctx, "empty line: type handshake, keepalive, choke, unchoke, interested, not-interested, have, bitfield, request, piece, cancel, port, raw"},
		{"handshake", Context{}, "handshake: no torrent: type handshake INFO_HASH (40 hex digits) [PEER_ID]"},
		{"handshake 84e1", ctx, "handshake: info_hash: want 40 hex digits, got 4 characters"},
		{"handshake " + testHash + " -BC0001-", ctx, `handshake: peer_id: want 40 hex digits or 20 bytes of text (\xNN for any byte), got 8 bytes`},
		{"handshake " + testHash + " -BC0001-abcdefghijkl extra", ctx, "handshake: after the peer_id: reserved and 16 hex digits"},
		{"handshake " + testHash + " -BC0001-abcdefghijkl reserved 00", ctx, "handshake: reserved: want 16 hex digits"},
		{"choke now", ctx, "choke: takes no arguments"},
		{"have", ctx, "have: index: missing: want index"},
		{"have -1", ctx, "have: index: want a decimal number below 2^32"},
		{"have 1 2", ctx, "have: too many numbers: want index"},
		{"request 0 0", ctx, "request: length: missing: want index begin length"},
		{"request 0 0 4294967296", ctx, "request: length: want a decimal number below 2^32"},
		{"cancel x 0 1", ctx, "cancel: index: want a decimal number below 2^32"},
		{"bitfield fff", ctx, "bitfield: want hex bytes, e.g. 00 00 00 01 02: odd number of digits"},
		{"bitfield " + strings.Repeat("ff", MaxPieces/8+1), ctx, "bitfield: more than 131072 bytes (1048576 pieces)"},
		{"piece 0 0", ctx, "piece: block: missing: type hex bytes or @FILE"},
		{"piece 0", ctx, "piece: begin: missing: want index begin"},
		{"piece 0 0 zz", ctx, "piece: block: want hex bytes, e.g. 00 00 00 01 02: not a hex digit at 1"},
		{"piece 0 0 @nope", ctx, "piece: block: open nope: no such file"},
		{"piece 0 0 @big file.bin", ctx, "piece: block: more than 131072 bytes"},
		{"piece 0 0 @block.bin", Context{}, "piece: block: @FILE is not available here"},
		{"piece 0 0 " + strings.Repeat("00", MaxBlock+1), ctx, "piece: block: more than 131072 bytes"},
		{"port 65536", ctx, "port: want a port number below 65536"},
		{"port", ctx, "port: want one port number"},
		{"raw", ctx, "raw: no bytes: type raw and hex, e.g. raw 00 00 00 01 02"},
		{"raw 00 0g", ctx, "raw: want hex bytes, e.g. 00 00 00 01 02: not a hex digit at 4"},
		{"ping\x1b[2J", ctx, `ping\x1b[2J: unknown command: type handshake, keepalive, choke, unchoke, interested, not-interested, have, bitfield, request, piece, cancel, port, raw`},
	} {
		_, err := Parse(tc.line, tc.ctx)
		var ie *InputError
		if !errors.As(err, &ie) || err.Error() != tc.err {
			t.Errorf("Parse(%.50q) = %v\nwant %q", tc.line, err, tc.err)
		}
	}
}

// What the log shows: words for every message, summaries for pieces and
// long bitfields, raw hex (with a name where one is known) for the rest;
// peer bytes escaped.
func TestDescribe(t *testing.T) {
	ctx := testContext(t)
	binaryID := Handshake{Reserved: Reserved{0, 0, 0, 0, 0, 0x10, 0, 0x05}}
	copy(binaryID.InfoHash[:], codectest.Unhex(t, testHash))
	copy(binaryID.PeerID[:], "-TR3000-\x1b[2J\x00\xff abcde")
	long := appendPayload(nil, 20, make([]byte, 100))
	for _, tc := range []struct {
		frame []byte
		ctx   Context
		want  string
	}{
		{Handshake{InfoHash: ctx.InfoHash, PeerID: ctx.PeerID}.Bytes(), Context{}, "handshake " + testHash + " -BC0001-abcdefghijkl"},
		{binaryID.Bytes(), Context{}, "handshake " + testHash + ` -TR3000-\x1b[2J\x00\xff\x20abcde reserved 0000000000100005 (extension protocol, fast extension, DHT)`},
		{AppendKeepAlive(nil), Context{}, "keepalive"},
		{AppendSimple(nil, IDNotInterested), Context{}, "not-interested"},
		{AppendHave(nil, 3), Context{}, "have 3"},
		{AppendRequest(nil, 3, 0, 16384), Context{}, "request 3 0 16384"},
		{AppendRequest(nil, 3, 0, 1<<20), Context{}, "request 3 0 1048576"},
		{AppendCancel(nil, 3, 16384, 100), Context{}, "cancel 3 16384 100"},
		{AppendPiece(nil, 0, 16384, make([]byte, 16384)), Context{}, "piece 0 16384 (16384 bytes)"},
		{AppendPort(nil, 6881), Context{}, "port 6881"},
		{appendPayload(nil, IDBitfield, codectest.Unhex(t, "ff c0")), ctx, "bitfield ffc0 (10 pieces, 10 have)"},
		{appendPayload(nil, IDBitfield, codectest.Unhex(t, "ff c0")), Context{}, "bitfield ffc0 (16 bits, 10 set)"},
		{appendPayload(nil, IDBitfield, codectest.Unhex(t, "ff ff")), ctx, "bitfield ffff (16 bits, 16 set: not a bitfield of 10 pieces)"},
		{appendPayload(nil, IDBitfield, nil), Context{}, "bitfield (0 bits, 0 set)"},
		{appendPayload(nil, IDBitfield, bytes.Repeat([]byte{0xf0}, 13)[:13]), Context{Pieces: 100},
			"bitfield f0f0f0f0f0f0f0f0f0f0f0f0f0 (100 pieces, 52 have)"},
		{appendPayload(nil, IDBitfield, bytes.Repeat([]byte{0xff}, 40)), Context{Pieces: 320},
			"bitfield " + strings.Repeat("ff", 32) + "…(320 pieces, 320 have)"},
		{appendPayload(nil, 20, []byte{0}), Context{}, "raw 00 00 00 02 14 00 (id 20, extended, extension protocol: not in the spec, skipped)"},
		{appendPayload(nil, 99, nil), Context{}, "raw 00 00 00 01 63 (id 99: not in the spec, skipped)"},
		{long, Context{}, "raw " + strings.TrimSpace(strings.Repeat("00 ", 3)) + " 65 14" + strings.Repeat(" 00", 59) + " ... (105 bytes; id 20, extended, extension protocol: not in the spec, skipped)"},
		{codectest.Unhex(t, "00 00 00 02 04 01"), Context{}, "raw 00 00 00 02 04 01"},
		{codectest.Unhex(t, "00 00 00 09 01"), Context{}, "raw 00 00 00 09 01"},
		{codectest.Unhex(t, "13 42 69"), Context{}, "raw 13 42 69"},
	} {
		if got := Describe(tc.frame, tc.ctx); got != tc.want {
			t.Errorf("Describe(% x)\n = %s\nwant %s", tc.frame[:min(len(tc.frame), 16)], got, tc.want)
		}
	}
	if got := string(Text(AppendHave(nil, 7))); got != "have 7" {
		t.Errorf("Text = %q", got)
	}
}

// Every template is a valid line, with or without a torrent, and Complete
// offers those of the word typed.
func TestTemplatesAreValid(t *testing.T) {
	for _, ctx := range []Context{{}, testContext(t), {InfoHash: testContext(t).InfoHash, Pieces: 3, PieceLength: 1000, Length: 2500}} {
		tpl := Templates(ctx)
		if len(tpl) != len(Words) {
			t.Errorf("%d templates for %d words", len(tpl), len(Words))
		}
		for _, line := range tpl {
			if v := Validate(line, ctx); v.Level == Invalid || line != "port 6881" && v.Level != Valid {
				t.Errorf("template %q: %+v", line, v)
			}
		}
	}
	small := Context{Pieces: 3, PieceLength: 1000, Length: 2500}
	if got := Complete("req", small); len(got) != 1 || got[0] != "request 0 0 1000" {
		t.Errorf("Complete(req) = %q", got)
	}
	if got := Complete("c", Context{}); len(got) != 2 || got[0] != "choke" || got[1] != "cancel 0 0 16384" {
		t.Errorf("Complete(c) = %q", got)
	}
	if got := Complete("have 3", Context{}); got != nil {
		t.Errorf("Complete with arguments = %q", got)
	}
}
