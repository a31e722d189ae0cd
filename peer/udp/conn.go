package udp

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is a virtual connection: the datagrams one remote sends to the
// socket, and those we send it. It is a net.Conn whose Read returns one
// datagram per call (the part that fits in the buffer, the rest lost, as
// with a UDP socket) and whose Write sends one datagram per call.
type Conn struct {
	s      *Socket
	remote netip.AddrPort
	raddr  *net.UDPAddr

	queue   chan []byte // datagrams waiting to be read
	dropped atomic.Uint64

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error // set once, before done closes

	readDeadline, writeDeadline deadline
}

func newConn(s *Socket, remote netip.AddrPort) *Conn {
	return &Conn{
		s:             s,
		remote:        remote,
		raddr:         net.UDPAddrFromAddrPort(remote),
		queue:         make(chan []byte, s.cfg.MaxQueued),
		done:          make(chan struct{}),
		readDeadline:  newDeadline(),
		writeDeadline: newDeadline(),
	}
}

// Remote is the remote's address.
func (c *Conn) Remote() netip.AddrPort { return c.remote }

// Dropped counts the datagrams from this remote dropped because MaxQueued
// were waiting to be read.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// Read waits for the next datagram and copies it into p; a datagram longer
// than p is cut short (a caller that must know reads into a buffer one
// byte longer than it accepts). It fails with os.ErrDeadlineExceeded past
// the read deadline, and with the close reason once closed.
func (c *Conn) Read(p []byte) (int, error) {
	select { // a closed connection reads nothing more, even if some is queued
	case <-c.done:
		return 0, c.closeErr
	default:
	}
	select {
	case b := <-c.queue:
		return copy(p, b), nil
	case <-c.done:
		return 0, c.closeErr
	case <-c.readDeadline.wait():
		return 0, os.ErrDeadlineExceeded
	}
}

// Write sends p as one datagram. A write deadline already past fails it
// with os.ErrDeadlineExceeded; the socket's own write, which UDP seldom
// makes wait, is not bounded by it (the socket is shared).
func (c *Conn) Write(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, c.closeErr
	case <-c.writeDeadline.wait():
		return 0, os.ErrDeadlineExceeded
	default:
	}
	if len(p) > MaxDatagram {
		return 0, fmt.Errorf("udp: a datagram of %d bytes is over %d", len(p), MaxDatagram)
	}
	return c.s.pc.WriteTo(p, c.raddr)
}

// ErrConnClosed is the read and write error of a Conn closed by its owner.
var ErrConnClosed = fmt.Errorf("udp connection: %w", net.ErrClosed)

// Close removes the connection from its socket: a later datagram from the
// remote makes a new one, for Accept.
func (c *Conn) Close() error {
	c.closeWith(ErrConnClosed)
	return nil
}

func (c *Conn) closeWith(reason error) {
	c.closeOnce.Do(func() {
		c.closeErr = reason
		close(c.done)
		c.readDeadline.stop()
		c.writeDeadline.stop()
		c.s.remove(c)
	})
}

func (c *Conn) LocalAddr() net.Addr  { return c.s.Addr() }
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

func (c *Conn) SetDeadline(t time.Time) error {
	c.readDeadline.set(t)
	c.writeDeadline.set(t)
	return nil
}

func (c *Conn) SetReadDeadline(t time.Time) error  { c.readDeadline.set(t); return nil }
func (c *Conn) SetWriteDeadline(t time.Time) error { c.writeDeadline.set(t); return nil }

// deadline is a channel closed when a settable time passes (as net.Pipe
// does it), so that a blocked Read is woken when a deadline it waits on
// passes or is moved into the past.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	passed chan struct{}
}

func newDeadline() deadline { return deadline{passed: make(chan struct{})} }

// set moves the deadline to t (zero: none).
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.passed // the timer fired: wait until it has closed passed
	}
	d.timer = nil
	closed := isClosed(d.passed)
	if t.IsZero() {
		if closed {
			d.passed = make(chan struct{})
		}
		return
	}
	if wait := time.Until(t); wait > 0 {
		if closed {
			d.passed = make(chan struct{})
		}
		passed := d.passed
		d.timer = time.AfterFunc(wait, func() { close(passed) })
		return
	}
	if !closed {
		close(d.passed)
	}
}

// stop drops the timer, if any, so that nothing of a closed Conn runs on.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && d.timer.Stop() {
		d.timer = nil
	}
}

func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
