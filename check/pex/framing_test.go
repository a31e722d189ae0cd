package pex

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"

	wire "github.com/bitclone/bitclone/codec/pex"
)

// The first size prefix picks the byte order of a connection: a node that
// writes big-endian is read as such when little is tried first, and each
// message is decoded in the order it came in.
func TestFramingReadsEitherOrder(t *testing.T) {
	us := netip.MustParseAddrPort("[::1]:8100")
	for _, order := range []wire.ByteOrder{wire.Little, wire.Big} {
		o := wire.Options{Order: order, PieceSize: 64}
		list, _ := wire.AppendPeers(nil, []netip.AddrPort{us}, o)
		ask := wire.AppendAsk(nil, wire.Hash{1}, o)
		fr := framing(wire.Options{PieceSize: 64}) // little tried first
		rd := fr.NewReader(bytes.NewReader(append(list, ask...)))
		for i, want := range [][]byte{list, ask} {
			b, err := rd.Next()
			if err != nil || !bytes.Equal(b, want) {
				t.Fatalf("%s: message %d: % x, %v", order, i, b, err)
			}
			cmd, m, err := fr.Decode(b, false)
			if err != nil || m.(msg).order != order || cmd != []string{wire.CmdPeer, wire.CmdAsk}[i] {
				t.Errorf("%s: message %d: %s %+v %v", order, i, cmd, m, err)
			}
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Errorf("%s: after the last: %v", order, err)
		}
		if got, want := word(list, wire.Options{}), "peer [::1]:8100"; got != want {
			t.Errorf("%s: word %q, want %q", order, got, want)
		}
	}
}

// A size prefix over the limit in both orders is refused before the body,
// and the report words it; a message cut short says how much came.
func TestFramingRefusesAndWordsBrokenMessages(t *testing.T) {
	o := wire.Options{PieceSize: 64}
	fr := framing(o)
	rd := fr.NewReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 3}))
	if _, err := rd.Next(); !errors.Is(err, wire.ErrTooLong) || fr.ReadError(err) == "" {
		t.Errorf("oversize: %v, %q", err, fr.ReadError(err))
	}
	ask := wire.AppendAsk(nil, wire.Hash{}, o)
	rd = fr.NewReader(bytes.NewReader(ask[:truncatedKeep]))
	b, err := rd.Next()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	if _, _, err := fr.Decode(b, true); err == nil || err.Error() != "the connection closed in the middle of a message (15 of 37 bytes)" {
		t.Errorf("truncated: %v", err)
	}
	if _, _, err := fr.Decode([]byte{1, 2}, true); err == nil || err.Error() != "the connection closed in the middle of a message (2 bytes of a size prefix)" {
		t.Errorf("a part of a prefix: %v", err)
	}
}
