package pex

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	wire "github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// fakeNode is a PEX node for the tests, on loopback: a correct one by
// default, or with the quirks its fields say.
type fakeNode struct {
	o      wire.Options
	pieces map[wire.Hash][]byte
	quirks

	ln  net.Listener
	srv nodetest.Server
	wg  sync.WaitGroup // dialled connections

	mu    sync.Mutex
	known []netip.AddrPort  // the correct node's peers
	ports map[uint16]bool   // the course's node's
	conns map[net.Conn]bool // every connection, to crash
	dead  bool
}

// quirks are how a fake node departs from a correct one.
type quirks struct {
	// course plays the course's node (DIALECTS.md): it answers a peer
	// message by dialling [::1] at each port it has not seen and sends
	// peer lists only there, handles one message per connection per loop
	// turn, and answers nothing to an ask for a piece it lacks.
	course bool
	// corrupt gives pieces with a byte flipped.
	corrupt bool
	// giveAnything answers an ask for a piece it lacks with a piece of
	// zeros under the hash asked for; closeOnMissing hangs up instead.
	giveAnything, closeOnMissing bool
	// greets plays bitclone's own node: it sends its peer list as soon as
	// a connection opens, answers no peer message on it, and dials the
	// peers a peer message names instead.
	greets bool
	// recordsOnly, with greets, never dials: that it recorded us shows
	// only in the peer list it sends a later connection.
	recordsOnly bool
	// brokenLists answers a peer message with a peer list one byte short.
	brokenLists bool
	// echo records the asker first and then hands it every peer it knows,
	// the asker itself included.
	echo bool
	// crashOnTruncated reads each burst with one read and asserts that it
	// holds whole messages, as a node that trusts one recv() does: a
	// message cut short kills it (listener and every connection closed).
	crashOnTruncated bool
}

// loopTurn is the fake course node's loop turn (0.1 to 1 s in the real one).
const loopTurn = 20 * time.Millisecond

// start serves on host ("127.0.0.1" or "::1") until the test ends and
// returns the address.
func (n *fakeNode) start(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	n.ln, n.ports, n.conns = ln, map[uint16]bool{}, map[net.Conn]bool{}
	n.srv.Serve(ln, n.serve)
	t.Cleanup(n.close)
	return ln.Addr().String()
}

func (n *fakeNode) close() {
	n.srv.Close()
	n.crash() // the dialled connections
	n.wg.Wait()
}

// crash closes the listener and every connection, as a process that died.
func (n *fakeNode) crash() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dead = true
	n.ln.Close()
	for c := range n.conns {
		c.Close()
	}
}

// track notes c, or closes it if the node is dead; it says which.
func (n *fakeNode) track(c net.Conn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dead {
		c.Close()
		return false
	}
	n.conns[c] = true
	return true
}

func (n *fakeNode) serve(c net.Conn) {
	if !n.track(c) {
		return
	}
	var turn *time.Ticker
	if n.course {
		turn = time.NewTicker(loopTurn)
		defer turn.Stop()
	}
	if n.greets {
		if _, err := c.Write(n.peerList(nil)); err != nil {
			return
		}
	}
	var rd interface{ Next() ([]byte, error) } = wire.NewReader(c, n.o)
	if n.crashOnTruncated {
		rd = &oneRecv{c: c, o: n.o, crash: n.crash}
	}
	for {
		b, err := rd.Next()
		if err != nil {
			return
		}
		if turn != nil {
			<-turn.C // one message per loop turn
		}
		m, err := wire.Decode(b, n.o)
		if err != nil {
			continue
		}
		var reply []byte
		switch m.Type {
		case wire.TypeAsk:
			reply = n.give(m.Hash)
			if reply == nil && n.closeOnMissing {
				return
			}
		case wire.TypePeer:
			reply = n.peers(c, m)
		}
		if reply != nil {
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}
}

// give is the give of the piece h, nil if the node lacks it.
func (n *fakeNode) give(h wire.Hash) []byte {
	piece, ok := n.pieces[h]
	switch {
	case !ok && n.giveAnything:
		piece = make([]byte, n.o.Piece())
	case !ok:
		return nil
	}
	if n.corrupt {
		piece = append([]byte(nil), piece...)
		piece[len(piece)/2] ^= 0xff
	}
	b, err := wire.AppendGive(nil, h, piece, n.o)
	if err != nil {
		panic(err)
	}
	return b
}

// peers records the peers of m and answers with the others (the correct
// node), or dials the new ports (the course's node, which answers nothing
// here).
func (n *fakeNode) peers(c net.Conn, m wire.Message) []byte {
	asker := m.AppendPeers(nil)
	if n.course || n.greets {
		for _, p := range asker {
			n.mu.Lock()
			seen := n.ports[p.Port()]
			n.ports[p.Port()] = true
			n.mu.Unlock()
			if n.course {
				p = netip.AddrPortFrom(netip.IPv6Loopback(), p.Port())
			}
			if !seen && !n.recordsOnly {
				n.wg.Go(func() { n.dial(p) })
			}
		}
		return nil
	}
	n.mu.Lock()
	var others []netip.AddrPort
	for _, k := range n.known {
		if !containsAddr(asker, k) {
			others = append(others, k)
		}
	}
	for _, p := range asker {
		if !containsAddr(n.known, p) {
			n.known = append(n.known, p)
		}
	}
	if n.echo {
		others = n.known
	}
	n.mu.Unlock()
	b, err := wire.AppendPeers(nil, others, n.o)
	if err != nil {
		panic(err)
	}
	if n.brokenLists {
		// A peer's port cut to one byte: the size prefix agrees, the size
		// is no 1 + 18n.
		b, _ = wire.AppendPeers(nil, []netip.AddrPort{netip.MustParseAddrPort("[::1]:8100")}, n.o)
		b = b[:len(b)-1]
		b[0]-- // little-endian, as the test runs it
	}
	return b
}

func containsAddr(ps []netip.AddrPort, p netip.AddrPort) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// dial is the node dialling a peer it learnt (the course's node: always
// at ::1). It sends its peer list (every port it knows but this one, at
// ::1) and keeps the connection, reading, until either side closes it.
func (n *fakeNode) dial(to netip.AddrPort) {
	c, err := net.Dial("tcp", to.String())
	if err != nil || !n.track(c) {
		return
	}
	defer c.Close()
	if _, err := c.Write(n.peerList(&to)); err != nil {
		return
	}
	io.Copy(io.Discard, c)
}

// peerList is the ports the node learnt, at ::1, but not, if set, the
// receiver's.
func (n *fakeNode) peerList(to *netip.AddrPort) []byte {
	n.mu.Lock()
	var list []netip.AddrPort
	for p := range n.ports {
		if to == nil || p != to.Port() {
			list = append(list, netip.AddrPortFrom(netip.IPv6Loopback(), p))
		}
	}
	n.mu.Unlock()
	b, err := wire.AppendPeers(nil, list, n.o)
	if err != nil {
		panic(err)
	}
	return b
}

// oneRecv reads messages as a node that takes one read for a whole burst
// and asserts that every size prefix in it is met: one cut short crashes it.
type oneRecv struct {
	c     net.Conn
	o     wire.Options
	crash func()
	buf   []byte
}

func (r *oneRecv) Next() ([]byte, error) {
	if len(r.buf) == 0 {
		b := make([]byte, 64<<10)
		n, err := r.c.Read(b)
		if err != nil {
			return nil, err
		}
		r.buf = b[:n]
	}
	// The codec's Reader on what this one read holds: cut short, it ends
	// in io.ErrUnexpectedEOF or a refused size prefix.
	rd := wire.NewReader(bytes.NewReader(r.buf), r.o)
	m, err := rd.Next()
	if err != nil {
		r.crash()
		return nil, err
	}
	r.buf = r.buf[len(m):]
	return m, nil
}
