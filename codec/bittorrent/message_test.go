package bittorrent

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// Every message of the spec, built and decoded, with its exact bytes.
func TestMessagesExactBytes(t *testing.T) {
	bf := bitfield.New(10)
	bf.Set(0)
	bf.Set(9)
	for _, tc := range []struct {
		name string
		got  []byte
		wire string
		want Message
	}{
		{"keep-alive", AppendKeepAlive(nil), "00 00 00 00", Message{KeepAlive: true}},
		{"choke", AppendSimple(nil, IDChoke), "00 00 00 01 00", Message{ID: IDChoke}},
		{"unchoke", AppendSimple(nil, IDUnchoke), "00 00 00 01 01", Message{ID: IDUnchoke}},
		{"interested", AppendSimple(nil, IDInterested), "00 00 00 01 02", Message{ID: IDInterested}},
		{"not interested", AppendSimple(nil, IDNotInterested), "00 00 00 01 03", Message{ID: IDNotInterested}},
		{"have", AppendHave(nil, 0x01020304), "00 00 00 05 04 01 02 03 04", Message{ID: IDHave, Index: 0x01020304}},
		{"bitfield", AppendBitfield(nil, bf), "00 00 00 03 05 80 40", Message{ID: IDBitfield, Payload: []byte{0x80, 0x40}}},
		{"empty bitfield", AppendBitfield(nil, bitfield.New(0)), "00 00 00 01 05", Message{ID: IDBitfield, Payload: []byte{}}},
		{"request", AppendRequest(nil, 1, 16384, 16384), "00 00 00 0d 06 00 00 00 01 00 00 40 00 00 00 40 00", Message{ID: IDRequest, Index: 1, Begin: 16384, Length: 16384}},
		{"piece", AppendPiece(nil, 2, 32768, []byte{0xde, 0xad}), "00 00 00 0b 07 00 00 00 02 00 00 80 00 de ad", Message{ID: IDPiece, Index: 2, Begin: 32768, Payload: []byte{0xde, 0xad}}},
		{"empty piece", AppendPiece(nil, 0, 0, nil), "00 00 00 09 07 00 00 00 00 00 00 00 00", Message{ID: IDPiece, Payload: []byte{}}},
		{"cancel", AppendCancel(nil, 3, 0, 16384), "00 00 00 0d 08 00 00 00 03 00 00 00 00 00 00 40 00", Message{ID: IDCancel, Index: 3, Length: 16384}},
		{"port", AppendPort(nil, 6881), "00 00 00 03 09 1a e1", Message{ID: IDPort, Port: 6881}},
		{"unknown id", (Message{ID: 20, Payload: []byte{0, 'd', 'e'}}).Bytes(), "00 00 00 04 14 00 64 65", Message{ID: 20, Payload: []byte{0, 'd', 'e'}}},
	} {
		wire := codectest.Unhex(t, tc.wire)
		if !bytes.Equal(tc.got, wire) {
			t.Errorf("%s: built % x, want % x", tc.name, tc.got, wire)
		}
		m, err := Decode(wire)
		if err != nil || !sameMessage(m, tc.want) {
			t.Errorf("%s: Decode = %+v, %v; want %+v", tc.name, m, err, tc.want)
		}
		if again := m.Bytes(); !bytes.Equal(again, wire) {
			t.Errorf("%s: re-encoded % x, want % x", tc.name, again, wire)
		}
	}
}

func sameMessage(a, b Message) bool {
	return a.KeepAlive == b.KeepAlive && a.ID == b.ID && a.Index == b.Index && a.Begin == b.Begin &&
		a.Length == b.Length && a.Port == b.Port && bytes.Equal(a.Payload, b.Payload) && (a.Payload == nil) == (b.Payload == nil)
}

func TestAppendPieceHeaderLeavesRoomForTheBlock(t *testing.T) {
	block := []byte("block")
	b := append(AppendPieceHeader(nil, 7, 9, len(block)), block...)
	if !bytes.Equal(b, AppendPiece(nil, 7, 9, block)) {
		t.Errorf("header then block % x differs from AppendPiece", b)
	}
}

// Broken messages: each is an error the peer drops the connection for.
func TestDecodeRefuses(t *testing.T) {
	oversizeRequest := AppendRequest(nil, 0, 0, MaxBlock+1)
	for _, tc := range []struct {
		name string
		wire string
		err  error
	}{
		{"no prefix", "00 00 01", ErrShort},
		{"prefix says more", "00 00 00 05 04 00 00 00", ErrLength},
		{"prefix says less", "00 00 00 01 02 00", ErrLength},
		{"choke with a payload", "00 00 00 02 00 00", ErrSize},
		{"interested with a payload", "00 00 00 02 02 ff", ErrSize},
		{"short have", "00 00 00 04 04 00 00 01", ErrSize},
		{"long request", "00 00 00 0e 06 00 00 00 00 00 00 00 00 00 00 40 00 00", ErrSize},
		{"short cancel", "00 00 00 0c 08 00 00 00 00 00 00 00 00 00 00 40", ErrSize},
		{"piece without begin", "00 00 00 05 07 00 00 00 00", ErrSize},
		{"short port", "00 00 00 02 09 1a", ErrSize},
		{"request of more than 128 KiB", hex.EncodeToString(oversizeRequest), ErrRequestTooLong},
		{"cancel of more than 128 KiB", hex.EncodeToString(AppendCancel(nil, 0, 0, 1<<20)), ErrRequestTooLong},
		{"request of nothing", hex.EncodeToString(AppendRequest(nil, 0, 0, 0)), ErrRequestEmpty},
	} {
		_, err := Decode(codectest.Unhex(t, tc.wire))
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: Decode error %v, want %v", tc.name, err, tc.err)
		}
	}
	big := AppendPiece(nil, 0, 0, make([]byte, MaxBlock+1))
	if _, err := Decode(big); !errors.Is(err, ErrTooLong) {
		t.Errorf("a piece of MaxBlock+1 bytes: %v, want ErrTooLong", err)
	}
	if _, err := Decode(AppendPiece(nil, 0, 0, make([]byte, MaxBlock))); err != nil {
		t.Errorf("a piece of MaxBlock bytes: %v", err)
	}
	if _, err := Decode(AppendRequest(nil, 0, 0, MaxBlock)); err != nil {
		t.Errorf("a request of MaxBlock bytes: %v", err)
	}
}

// The limits agree: the largest bitfield fits the largest message, and the
// handshake cannot be mistaken for a message (its first byte would mean a
// length far over the limit).
func TestLimitsAgree(t *testing.T) {
	if 1+bitfield.Bytes(MaxPieces) > MaxMessageLength {
		t.Errorf("a bitfield of MaxPieces needs %d bytes, more than MaxMessageLength %d", 1+bitfield.Bytes(MaxPieces), MaxMessageLength)
	}
	if MaxMessageLength != 131081 || MaxBlock != 131072 || BlockSize != 16384 {
		t.Errorf("limits: MaxMessageLength %d, MaxBlock %d, BlockSize %d", MaxMessageLength, MaxBlock, BlockSize)
	}
	if PstrLen<<24 <= MaxMessageLength || len(Protocol) != PstrLen || HandshakeSize != 49+PstrLen {
		t.Error("a handshake's first byte could start a message")
	}
}

// A bitfield of the wrong length, or with spare bits set, is refused: the
// spec says drop the connection.
func TestParseBitfieldStrict(t *testing.T) {
	for _, tc := range []struct {
		payload string
		pieces  int
		err     error
	}{
		{"ff c0", 10, nil},
		{"ff e0", 10, bitfield.ErrSpareBits},
		{"ff", 10, bitfield.ErrLength},
		{"ff c0 00", 10, bitfield.ErrLength},
		{"", 0, nil},
	} {
		f, err := ParseBitfield(codectest.Unhex(t, tc.payload), tc.pieces)
		if !errors.Is(err, tc.err) {
			t.Errorf("ParseBitfield(%s, %d) = %v, want %v", tc.payload, tc.pieces, err, tc.err)
		}
		if err == nil && f.Len() != tc.pieces {
			t.Errorf("ParseBitfield(%s, %d): %d pieces", tc.payload, tc.pieces, f.Len())
		}
	}
}

func TestCommandNames(t *testing.T) {
	hs := Handshake{}.Bytes()
	wrongPstr := bytes.Clone(hs)
	wrongPstr[1] = 'b'
	for _, tc := range []struct {
		frame []byte
		want  string
	}{
		{hs, CmdHandshake},
		{wrongPstr, CmdUnknown},
		{AppendKeepAlive(nil), CmdKeepAlive},
		{AppendSimple(nil, IDChoke), CmdChoke},
		{AppendSimple(nil, IDUnchoke), CmdUnchoke},
		{AppendSimple(nil, IDInterested), CmdInterested},
		{AppendSimple(nil, IDNotInterested), CmdNotInterested},
		{AppendHave(nil, 1), CmdHave},
		{AppendBitfield(nil, bitfield.New(3)), CmdBitfield},
		{AppendRequest(nil, 1, 2, 3), CmdRequest},
		{AppendPiece(nil, 1, 2, nil), CmdPiece},
		{AppendCancel(nil, 1, 2, 3), CmdCancel},
		{AppendPort(nil, 1), CmdPort},
		{appendPayload(nil, 20, []byte("d")), CmdUnknown},
		{codectest.Unhex(t, "00 00 00 09 04"), CmdUnknown}, // the prefix disagrees
		{codectest.Unhex(t, "00 00"), CmdUnknown},
		{nil, CmdUnknown},
	} {
		if got := CommandName(tc.frame); got != tc.want {
			t.Errorf("CommandName(% x) = %q, want %q", tc.frame, got, tc.want)
		}
	}
	for _, c := range Commands {
		if ClassOf(c) == ClassUnknown {
			t.Errorf("command %q has no class", c)
		}
	}
	if ClassOf(CmdUnknown) != ClassUnknown {
		t.Error("unknown is classed")
	}
}

// Decode does not allocate: a download decodes one message per block.
func TestDecodeDoesNotAllocate(t *testing.T) {
	frames := [][]byte{AppendPiece(nil, 1, 0, make([]byte, BlockSize)), AppendHave(nil, 1),
		AppendRequest(nil, 1, 0, BlockSize), AppendSimple(nil, IDUnchoke), AppendKeepAlive(nil)}
	allocs := testing.AllocsPerRun(100, func() {
		for _, f := range frames {
			if _, err := Decode(f); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Decode", allocs)
	}
}
