// Package fakepex is a fake PEX node for tests (loopback only): one that
// gives corrupt pieces, and one that behaves like the course's
// p2p-networking node, quirks included. No program imports it.
package fakepex

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// Node is a fake PEX node on the course's wire (little-endian, PieceSize
// bytes a piece).
type Node struct {
	// PieceSize is the wire's piece size (0: pex.DefaultPieceSize).
	PieceSize int
	// Pieces are the pieces it gives, by hash.
	Pieces map[pex.Hash][]byte
	// Corrupt gives every piece with one byte flipped.
	Corrupt bool
	// Course behaves like the course's node: it asserts exact sizes (a
	// message of another size is a Violation, and the connection ends as
	// the node's crash would), handles one message per connection per
	// Turn, answers nothing to an ask for a piece it lacks, sends asks and
	// peer lists only on connections it dialled, dials only ports it learnt
	// from peer messages (at ::1), and advertises every peer as ::1.
	Course bool
	// Turn is the course node's loop period (default 20ms).
	Turn time.Duration
	// Want are the pieces the course node asks for on connections it dialled.
	Want []pex.Hash

	ln     net.Listener
	srv    nodetest.Server
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	ports      map[uint16]bool // learnt from peer messages
	dialled    map[uint16]bool
	got        map[pex.Hash][]byte
	asks       int
	violations []string
	closedOn   int // connections the other side closed first (the course node dies of SIGPIPE then)
	gotChanged chan struct{}
}

func (f *Node) opts() pex.Options { return pex.Options{PieceSize: f.PieceSize} }

// Start listens on host (":: 1" or "127.0.0.1") on a free port.
func (f *Node) Start(host string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return err
	}
	f.ln = ln
	f.ports, f.dialled, f.got = map[uint16]bool{}, map[uint16]bool{}, map[pex.Hash][]byte{}
	f.gotChanged = make(chan struct{})
	if f.Turn == 0 {
		f.Turn = 20 * time.Millisecond
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.srv.Serve(ln, func(c net.Conn) { f.serve(c, false) })
	return nil
}

// Addr is the listening address.
func (f *Node) Addr() netip.AddrPort { return nodetest.AddrOf(f.ln) }

// Close stops everything and waits.
func (f *Node) Close() {
	f.cancel()
	f.srv.Close()
	f.wg.Wait()
}

// Got returns the verified pieces received so far, and a channel closed at
// the next one.
func (f *Node) Got() (map[pex.Hash][]byte, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[pex.Hash][]byte, len(f.got))
	for h, p := range f.got {
		out[h] = p
	}
	return out, f.gotChanged
}

// Violations are the messages the course node would have crashed on.
func (f *Node) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.violations...)
}

// ClosedOn is how many connections the other side closed first.
func (f *Node) ClosedOn() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closedOn
}

// Ports are the ports learnt from peer messages.
func (f *Node) Ports() []uint16 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint16
	for p := range f.ports {
		out = append(out, p)
	}
	return out
}

func (f *Node) violate(format string, a ...any) {
	f.mu.Lock()
	f.violations = append(f.violations, fmt.Sprintf(format, a...))
	f.mu.Unlock()
}

// serve runs one connection: reads and handles messages (one per turn for
// the course node); on a connection it dialled, the course node also sends
// its peer list and asks.
func (f *Node) serve(c net.Conn, dialled bool) {
	o := f.opts()
	context.AfterFunc(f.ctx, func() { c.Close() })
	var wmu sync.Mutex
	write := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		_, err := c.Write(b)
		return err
	}
	if dialled {
		if write(f.peerMessage()) != nil {
			return
		}
	}
	turn := time.NewTicker(f.Turn)
	defer turn.Stop()
	head := make([]byte, pex.PrefixSize)
	body := make([]byte, o.MaxBody())
	asked := 0
	for {
		if f.Course {
			select {
			case <-turn.C:
			case <-f.ctx.Done():
				return
			}
			if dialled {
				f.mu.Lock()
				var ask *pex.Hash
				for i := range f.Want {
					if _, ok := f.got[f.Want[(asked+i)%len(f.Want)]]; !ok {
						h := f.Want[(asked+i)%len(f.Want)]
						ask = &h
						break
					}
				}
				f.mu.Unlock()
				if ask != nil {
					asked++
					if write(pex.AppendAsk(nil, *ask, o)) != nil {
						return
					}
				}
			}
			// The course node's loop polls: read a message only when one
			// has started to arrive within the turn.
			c.SetReadDeadline(time.Now().Add(f.Turn))
		}
		got, err := io.ReadFull(c, head)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			if got == 0 {
				continue
			}
			c.SetReadDeadline(time.Time{}) // a message has begun: read it whole
			_, err = io.ReadFull(c, head[got:])
		}
		if err != nil {
			if f.ctx.Err() == nil {
				f.mu.Lock()
				f.closedOn++
				f.mu.Unlock()
			}
			return
		}
		c.SetReadDeadline(time.Time{})
		n := binary.LittleEndian.Uint32(head)
		if int(n) > len(body) || n == 0 {
			f.violate("size prefix %d", n)
			return
		}
		if _, err := io.ReadFull(c, body[:n]); err != nil {
			return
		}
		msg := append(head[:pex.PrefixSize:pex.PrefixSize], body[:n]...)
		if err := f.handle(msg, write); err != nil {
			return
		}
	}
}

// handle is one message.
func (f *Node) handle(msg []byte, write func([]byte) error) error {
	o := f.opts()
	typ := msg[pex.PrefixSize]
	size := len(msg) - pex.PrefixSize
	if f.Course {
		switch {
		case typ == 0 && size != pex.AskSize:
			f.violate("ask of size %d", size)
			return io.EOF
		case typ == 1 && size != pex.GiveHeader+o.Piece():
			f.violate("give of size %d", size)
			return io.EOF
		case typ >= 2 && (size-1)%pex.PeerSize != 0:
			f.violate("peer list of size %d", size)
			return io.EOF
		}
	}
	m, err := pex.Decode(msg, o)
	if err != nil {
		return nil
	}
	switch m.Type {
	case pex.TypeAsk:
		f.mu.Lock()
		f.asks++
		p, ok := f.Pieces[m.Hash]
		f.mu.Unlock()
		if !ok {
			return nil // the course node answers nothing
		}
		if f.Corrupt {
			p = append([]byte(nil), p...)
			p[0] ^= 0xff
		}
		give, err := pex.AppendGive(nil, m.Hash, p, o)
		if err != nil {
			return err
		}
		return write(give)
	case pex.TypeGive:
		if pex.CheckGive(m.Hash, m.Piece) {
			f.mu.Lock()
			if _, ok := f.got[m.Hash]; !ok {
				f.got[m.Hash] = append([]byte(nil), m.Piece...)
				close(f.gotChanged)
				f.gotChanged = make(chan struct{})
			}
			f.mu.Unlock()
		}
	case pex.TypePeer:
		for i := range m.NumPeers() {
			f.learn(m.Peer(i).Port())
		}
	}
	return nil
}

// learn records a port and, for the course node, dials it at ::1.
func (f *Node) learn(port uint16) {
	own := f.Addr().Port()
	f.mu.Lock()
	f.ports[port] = true
	dial := f.Course && port != own && !f.dialled[port]
	if dial {
		f.dialled[port] = true
	}
	f.mu.Unlock()
	if !dial {
		return
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		var d net.Dialer
		c, err := d.DialContext(f.ctx, "tcp", netip.AddrPortFrom(netip.IPv6Loopback(), port).String())
		if err != nil {
			return
		}
		defer c.Close()
		f.serve(c, true)
	}()
}

// peerMessage lists every port known, and its own, all at ::1.
func (f *Node) peerMessage() []byte {
	f.mu.Lock()
	list := []netip.AddrPort{netip.AddrPortFrom(netip.IPv6Loopback(), f.Addr().Port())}
	for p := range f.ports {
		list = append(list, netip.AddrPortFrom(netip.IPv6Loopback(), p))
	}
	f.mu.Unlock()
	b, _ := pex.AppendPeers(nil, list, f.opts())
	return b
}
