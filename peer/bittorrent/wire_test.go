package bt

import (
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

func closedWith(sub string) func(peer.Event) bool {
	return func(e peer.Event) bool { return e.Kind == peer.KindClosed && strings.Contains(e.Text, sub) }
}

func TestWrongInfoHashIsRefused(t *testing.T) {
	data := nodetest.Pattern(100<<10, 2)
	tor := testTorrent(t, data, 32<<10)
	s := seedNode(t, tor, data, 1)
	w := dialWire(t, s)
	other := tor.InfoHash
	other[0] ^= 1
	w.handshake(other, "-XX0000-wronghash000")
	w.expectClosed(func(bittorrent.Message) bool { return false }) // not even a handshake back
	s.WaitEvent("closed: another torrent", closedWith("handshake for another torrent"))
}

func TestSelfConnectionIsDetected(t *testing.T) {
	data := nodetest.Pattern(100<<10, 3)
	tor := testTorrent(t, data, 32<<10)
	ln := nodetest.Listen(t)
	// Our own listening address under another name, as a NAT or a
	// tracker shows it: a forwarder on another loopback port.
	fwd := forward(t, nodetest.AddrOf(ln))
	cfg := fastConfig(tor, t.TempDir(), 1)
	cfg.Peers = []netip.AddrPort{fwd}
	n := runNode(t, cfg, WithListener(ln))
	n.WaitEvent("closed: ourselves", func(e peer.Event) bool {
		return closedWith("connected to ourselves")(e) && e.Dir == peer.Outbound
	})
	n.mu.Lock()
	again := n.candidatesLocked()
	n.mu.Unlock()
	if len(again) != 0 {
		t.Errorf("after a connection to ourselves, %v would be dialled again", again)
	}
}

// forward relays every connection to its own port to to, until the test ends.
func forward(t *testing.T, to netip.AddrPort) netip.AddrPort {
	ln := nodetest.Listen(t)
	var wg sync.WaitGroup
	var conns sync.Map
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", to.String())
			if err != nil {
				c.Close()
				continue
			}
			conns.Store(c, d)
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(d, c); d.Close() }()
			go func() { defer wg.Done(); io.Copy(c, d); c.Close() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(c, d any) bool { c.(net.Conn).Close(); d.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return nodetest.AddrOf(ln)
}

func TestChokedRequestsAreNotServed(t *testing.T) {
	data := nodetest.Pattern(100<<10, 4)
	tor := testTorrent(t, data, 32<<10)
	s := seedNode(t, tor, data, 1)
	w := dialWire(t, s)
	w.handshake(tor.InfoHash, "-XX0000-chokedpeer00")
	// Not interested, so choked: a request is not served.
	w.send(bittorrent.AppendRequest(nil, 0, 0, 16384))
	s.WaitText(peer.KindWarn, "while choked: not served")
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDInterested))
	got := map[string]bool{}
	for !got[bittorrent.CmdPiece] {
		f, ok := w.next()
		if !ok {
			t.Fatalf("closed before a piece:\n%s", s.Log())
		}
		cmd := bittorrent.CommandName(f)
		if cmd == bittorrent.CmdPiece && !got[bittorrent.CmdUnchoke] {
			t.Fatal("a piece before the unchoke: a choked request was served")
		}
		got[cmd] = true
		if cmd == bittorrent.CmdUnchoke {
			w.send(bittorrent.AppendRequest(nil, 1, 16384, 16384))
		}
		if cmd == bittorrent.CmdPiece {
			m, _ := bittorrent.Decode(f)
			if m.Index != 1 || m.Begin != 16384 || string(m.Payload) != string(data[32<<10+16384:64<<10]) {
				t.Fatalf("piece %d %d: wrong block", m.Index, m.Begin)
			}
		}
	}
	if !got[bittorrent.CmdHandshake] || !got[bittorrent.CmdBitfield] {
		t.Errorf("no handshake or bitfield before the piece: %v", got)
	}
}

func TestBitfieldRules(t *testing.T) {
	data := nodetest.Pattern(100<<10, 5) // 4 pieces of 32 KiB: one byte, 4 spare bits
	tor := testTorrent(t, data, 32<<10)
	for _, c := range []struct {
		name string
		msgs [][]byte
		want string
	}{
		{"spare bits", [][]byte{{0, 0, 0, 2, 5, 0xf8}}, "spare bits"},
		{"wrong length", [][]byte{{0, 0, 0, 3, 5, 0xf0, 0}}, "bitfield"},
		{"late and bad", [][]byte{bittorrent.AppendHave(nil, 1), {0, 0, 0, 2, 5, 0xf8}}, "spare bits"},
		{"have out of range", [][]byte{bittorrent.AppendHave(nil, 4)}, "have 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := seedNode(t, tor, data, 1)
			w := dialWire(t, s)
			w.handshake(tor.InfoHash, "-XX0000-bitfieldtest")
			for _, m := range c.msgs {
				w.send(m)
			}
			w.expectClosed(func(bittorrent.Message) bool { return true })
			s.WaitEvent("closed: "+c.want, closedWith(c.want))
		})
	}
}

func TestLazyBitfieldAndDoubleUnchoke(t *testing.T) {
	data := nodetest.Pattern(100<<10, 6)
	tor := testTorrent(t, data, 32<<10)
	l := leech(t, tor, 1)
	w := dialWire(t, l)
	var id bittorrent.PeerID
	copy(id[:], "-XX0000-lazyseeder00")
	h := bittorrent.Handshake{InfoHash: bittorrent.InfoHash(tor.InfoHash), PeerID: id}
	h.Reserved[5] = 0x10 // extension protocol: ignored
	w.send(h.Bytes())
	w.send([]byte{0, 0, 0, 2, 5, 0xa0}) // pieces 0 and 2, then the rest as haves
	w.send(bittorrent.AppendHave(nil, 1))
	w.send(bittorrent.AppendHave(nil, 3))
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDUnchoke))
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDUnchoke))
	haves := make(chan uint32, 4)
	go func() {
		for {
			f, ok := w.next()
			if !ok {
				return
			}
			m, err := bittorrent.Decode(f)
			switch {
			case err != nil || m.KeepAlive:
			case m.ID == bittorrent.IDRequest:
				off := int(m.Index)*(32<<10) + int(m.Begin)
				w.send(bittorrent.AppendPiece(nil, m.Index, m.Begin, data[off:off+int(m.Length)]))
			case m.ID == bittorrent.IDHave:
				haves <- m.Index
			}
		}
	}()
	l.waitComplete(t, data)
	l.WaitText(peer.KindEstablished, "reserved bits [extension protocol] ignored")
	// A have for every piece once verified, to every peer (this one too).
	got := map[uint32]bool{}
	for len(got) < 4 {
		select {
		case i := <-haves:
			got[i] = true
		case <-time.After(nodetest.WaitLimit):
			t.Fatalf("haves for %v only", got)
		}
	}
}

// A bitfield after other messages is off the spec, but aria2 sends one
// (none while it has nothing, one later): its pieces are taken as haves,
// with a warning, and the connection goes on.
func TestLateBitfieldIsTakenAsHaves(t *testing.T) {
	data := nodetest.Pattern(100<<10, 7)
	tor := testTorrent(t, data, 32<<10)
	l := leech(t, tor, 1)
	w := dialWire(t, l)
	w.handshake(tor.InfoHash, "-XX0000-lateseeder00")
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDUnchoke))
	w.send([]byte{0, 0, 0, 2, 5, 0xf0}) // every piece, late
	go func() {
		for {
			f, ok := w.next()
			if !ok {
				return
			}
			if m, err := bittorrent.Decode(f); err == nil && !m.KeepAlive && m.ID == bittorrent.IDRequest {
				off := int(m.Index)*(32<<10) + int(m.Begin)
				w.send(bittorrent.AppendPiece(nil, m.Index, m.Begin, data[off:off+int(m.Length)]))
			}
		}
	}()
	l.waitComplete(t, data)
	l.WaitText(peer.KindWarn, "a bitfield after other messages")
}

// A peer whose interest flickers keeps its slot (and its requests) until
// the choker's next round.
func TestFlickeringInterestKeepsTheSlot(t *testing.T) {
	data := nodetest.Pattern(100<<10, 13)
	tor := testTorrent(t, data, 32<<10)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, tor.Info.Name), data, 0o644)
	cfg := fastConfig(tor, dir, 1)
	cfg.Tick = time.Hour // no round of the choker during the test
	s := runNode(t, cfg)
	s.WaitText(peer.KindInfo, "complete: found on disk")
	w := dialWire(t, s)
	w.handshake(tor.InfoHash, "-XX0000-flickering00")
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDInterested))
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDNotInterested))
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDInterested))
	w.send(bittorrent.AppendRequest(nil, 2, 0, 16384))
	for {
		f, ok := w.next()
		if !ok {
			t.Fatalf("closed:\n%s", s.Log())
		}
		switch bittorrent.CommandName(f) {
		case bittorrent.CmdChoke:
			t.Fatal("choked for a moment of no interest")
		case bittorrent.CmdPiece:
			return
		}
	}
}
