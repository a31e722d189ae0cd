package pex

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
)

func TestDialectSpeaksPEXInWords(t *testing.T) {
	dir, data, hashes := shareDir(t, 1500, 4, testPiece)
	n, err := New(fast(Config{Share: dir}))
	if err != nil {
		t.Fatal(err)
	}
	d := n.Dialect()
	if d.Name != "pex" || !d.Binary || d.Hint != pex.Hint {
		t.Errorf("dialect %q binary %v hint %q", d.Name, d.Binary, d.Hint)
	}
	o := pex.Options{PieceSize: testPiece}
	ask, err := d.Encode("ask " + hashes[0].String())
	if err != nil || !bytes.Equal(ask, pex.AppendAsk(nil, hashes[0], o)) || len(ask) != 37 {
		t.Errorf("ask: % x, %v", ask, err)
	}
	// give HASH takes the piece from what we share: the last one padded.
	give, err := d.Encode("give " + hashes[1].String())
	last := make([]byte, testPiece)
	copy(last, data[testPiece:])
	want, _ := pex.AppendGive(nil, hashes[1], last, o)
	if err != nil || !bytes.Equal(give, want) {
		t.Errorf("give of a shared piece: %d bytes, %v", len(give), err)
	}
	if _, err := d.Encode("give " + pex.HashOf([]byte("x")).String()); err == nil {
		t.Error("give of a piece we do not share: no error")
	}
	peers, err := d.Encode("peer [::1]:8100 127.0.0.1:8101")
	wantPeers, _ := pex.AppendPeers(nil, []netip.AddrPort{netip.MustParseAddrPort("[::1]:8100"), netip.MustParseAddrPort("127.0.0.1:8101")}, o)
	if err != nil || !bytes.Equal(peers, wantPeers) {
		t.Errorf("peer: % x, %v", peers, err)
	}
	if raw, err := d.Encode("raw 01 00 00 00 02"); err != nil || !bytes.Equal(raw, []byte{1, 0, 0, 0, 2}) {
		t.Errorf("raw: % x, %v", raw, err)
	}
	if d.ClassOf(pex.CmdGive) != peer.ClassData || d.ClassOf(pex.CmdUnknown) != peer.ClassUnknown {
		t.Error("classes")
	}
	if ts := d.Templates("gi", peer.TemplateContext{}); len(ts) != 1 || !strings.Contains(ts[0], hashes[0].String()) {
		t.Errorf("templates for gi: %v", ts)
	}
	if len(d.Panes) != 1 {
		t.Fatalf("%d panes", len(d.Panes))
	}
	rows := d.Panes[0].Rows(peer.Snapshot{}, 100, 10)
	if len(rows) != 2 || !strings.Contains(rows[0], "share "+hashes[0].String()) || !strings.Contains(rows[1], "#1") {
		t.Errorf("pane rows %q", rows)
	}
}

// An ask typed on the command line makes its piece wanted: the give is
// verified and saved like any other.
func TestATypedAskIsFetchedAndSaved(t *testing.T) {
	dir, data, hashes := shareDir(t, testPiece, 6, testPiece)
	seed, _ := start(t, fast(Config{ListenHost: "127.0.0.1", Share: dir}))
	dest := t.TempDir()
	n, r := start(t, fast(Config{ListenHost: "127.0.0.1", Dest: dest, Bootstrap: []netip.AddrPort{seed.Addr()}}))
	r.WaitEvent("connected", func(e peer.Event) bool { return e.Kind == peer.KindConnected })
	frame, err := n.Dialect().Encode("ask " + hashes[0].String())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Do(peer.Command{Op: peer.OpSend, Frame: frame, Targets: []string{seed.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	r.WaitEvent("the piece saved", func(peer.Event) bool { return n.Got(hashes[0]) })
	checkFetched(t, dest, [][]byte{data})
	rows := n.PieceRows()
	if len(rows) == 0 || !strings.Contains(rows[0], "received from 127.0.0.1:") {
		t.Errorf("pane rows %q", rows)
	}
}

// A give of a piece nobody asked for is verified and said, not saved.
func TestAGiveNotWantedIsSaidNotSaved(t *testing.T) {
	dir, _, hashes := shareDir(t, testPiece, 12, testPiece)
	dest := t.TempDir()
	n, r := start(t, fast(Config{ListenHost: "127.0.0.1", Dest: dest}))
	giver, gr := start(t, fast(Config{ListenHost: "127.0.0.1", Share: dir, Bootstrap: []netip.AddrPort{n.Addr()}}))
	gr.WaitEvent("connected", func(e peer.Event) bool { return e.Kind == peer.KindConnected })
	frame, err := giver.Dialect().Encode("give " + hashes[0].String())
	if err != nil {
		t.Fatal(err)
	}
	if err := giver.Do(peer.Command{Op: peer.OpSend, Frame: frame}); err != nil {
		t.Fatal(err)
	}
	r.WaitText(peer.KindInfo, "give of "+hashes[0].Short()+", which we do not want: verified, not saved")
	if _, err := os.Stat(fetchedPath(dest, hashes[0])); err == nil {
		t.Error("a piece nobody wanted was saved")
	}
}

// A recording keeps a wire other than the course's, and reads it back.
func TestWireRoundTrips(t *testing.T) {
	for _, o := range []pex.Options{{}, {Order: pex.Big, PieceSize: 4096}, {Order: pex.Little, PieceSize: 1 << 20}} {
		w := Wire(o)
		got, err := ParseWire(w)
		if err != nil || got.Order != o.Order || got.Piece() != o.Piece() {
			t.Errorf("%+v: Wire %q read back as %+v, %v", o, w, got, err)
		}
	}
	if w := Wire(pex.Options{}); w != "" {
		t.Errorf("the course's wire recorded as %q, want nothing", w)
	}
	if d := NewDialect(pex.Options{Order: pex.Big, PieceSize: 4096}, nil); d.Wire != "big/4096" {
		t.Errorf("dialect wire %q", d.Wire)
	}
	for _, bad := range []string{"big", "middle/4096", "big/0", "big/x", "little/999999999"} {
		if _, err := ParseWire(bad); err == nil {
			t.Errorf("ParseWire(%q) took it", bad)
		}
	}
}
