package bt

import (
	"net"
	"sync"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// wire is a raw BitTorrent connection driven by a test.
type wire struct {
	t  testing.TB
	c  net.Conn
	r  *bittorrent.Reader
	mu sync.Mutex
}

func dialWire(t testing.TB, n *testNode) *wire {
	t.Helper()
	c, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &wire{t: t, c: c, r: bittorrent.NewReader(c)}
}

func (w *wire) send(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.c.Write(b)
}

// next is the next message (or handshake); ok is false once the
// connection ended.
func (w *wire) next() ([]byte, bool) {
	f, err := w.r.Next()
	if err != nil {
		return nil, false
	}
	return append([]byte(nil), f...), true
}

// expectClosed reads until the node closes the connection, failing on
// any message ok rejects.
func (w *wire) expectClosed(ok func(bittorrent.Message) bool) {
	w.t.Helper()
	for {
		f, more := w.next()
		if !more {
			return
		}
		if bittorrent.IsHandshake(f) {
			continue
		}
		m, err := bittorrent.Decode(f)
		if err != nil || !ok(m) {
			w.t.Fatalf("unexpected message %q", bittorrent.Text(f))
		}
	}
}

// handshake sends ours for hash with id.
func (w *wire) handshake(hash metainfo.Hash, id string) {
	var pid bittorrent.PeerID
	copy(pid[:], id)
	w.send(bittorrent.Handshake{InfoHash: bittorrent.InfoHash(hash), PeerID: pid}.Bytes())
}

// fakeSeeder serves data over the raw wire, to every connection: its
// bitfield claims every piece, it unchokes on interest, and corrupt says
// whether a block of a piece is served broken this time.
type fakeSeeder struct {
	tor     *metainfo.Torrent
	data    []byte
	ln      net.Listener
	corrupt func(index int) bool
	stall   bool // unchoke, then never answer a request
	wg      sync.WaitGroup
}

func startFakeSeeder(t testing.TB, tor *metainfo.Torrent, data []byte, corrupt func(int) bool, stall bool) *fakeSeeder {
	f := &fakeSeeder{tor: tor, data: data, ln: nodetest.Listen(t), corrupt: corrupt, stall: stall}
	f.wg.Add(1)
	var conns sync.Map
	go func() {
		defer f.wg.Done()
		for {
			c, err := f.ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			f.wg.Add(1)
			go func() { defer f.wg.Done(); f.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		f.ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		f.wg.Wait()
	})
	return f
}

func (f *fakeSeeder) serve(c net.Conn) {
	defer c.Close()
	r := bittorrent.NewReader(c)
	if _, err := r.Next(); err != nil {
		return
	}
	var id bittorrent.PeerID
	copy(id[:], "-FAKE00-seeder000000")
	out := bittorrent.Handshake{InfoHash: bittorrent.InfoHash(f.tor.InfoHash), PeerID: id}.Bytes()
	out = bittorrent.AppendBitfield(out, bitfield.Full(f.tor.Info.NumPieces()))
	c.Write(out)
	spoilt := map[int]bool{}
	for {
		fr, err := r.Next()
		if err != nil {
			return
		}
		m, err := bittorrent.Decode(fr)
		if err != nil {
			return
		}
		switch {
		case m.KeepAlive:
		case m.ID == bittorrent.IDInterested:
			c.Write(bittorrent.AppendSimple(nil, bittorrent.IDUnchoke))
		case m.ID == bittorrent.IDRequest && f.stall:
		case m.ID == bittorrent.IDRequest:
			off := int64(m.Index)*int64(f.tor.Info.PieceLength) + int64(m.Begin)
			block := append([]byte(nil), f.data[off:off+int64(m.Length)]...)
			if m.Begin == 0 && !spoilt[int(m.Index)] && f.corrupt(int(m.Index)) {
				spoilt[int(m.Index)] = true
				block[0] ^= 0xff
			}
			if _, err := c.Write(bittorrent.AppendPiece(nil, m.Index, m.Begin, block)); err != nil {
				return
			}
		}
	}
}
