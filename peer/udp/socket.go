// Package udp gives a datagram dialect connections: one UDP socket,
// demultiplexed by remote address into virtual connections (net.Conn), one
// datagram per Read and per Write, so that peer.Conn and peer.Host run a
// datagram dialect as they run a stream one. It imports nothing of ours, so
// peer's own tests can use it.
package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Socket limits. Past them a datagram is dropped and counted: the socket's
// reader never waits for anyone, so one slow or flooding remote cannot stall
// the others.
const (
	// DefaultMaxConns caps the virtual connections at once (accepted,
	// waiting to be accepted, or dialled).
	DefaultMaxConns = 1024
	// DefaultMaxQueued caps the datagrams waiting to be read on one
	// virtual connection.
	DefaultMaxQueued = 64
	// MaxDatagram is the largest UDP payload (over IPv4; IPv6 allows 20
	// bytes more, which the receive buffer also takes).
	MaxDatagram = 65507
	// recvBuffer holds any UDP payload, IPv6's included.
	recvBuffer = 1 << 16
)

// Config tunes a Socket; a zero value means its default.
type Config struct {
	MaxConns  int // default DefaultMaxConns
	MaxQueued int // default DefaultMaxQueued
	// ReceiveBuffer asks Listen for a kernel receive buffer of this many
	// bytes (0: the system's default), for a burst of datagrams the
	// reader has not yet taken.
	ReceiveBuffer int
}

// Stats are a socket's counters since it was made.
type Stats struct {
	Conns     int    // virtual connections open now
	Received  uint64 // datagrams read from the socket
	QueueFull uint64 // dropped: their connection already had MaxQueued waiting
	Refused   uint64 // dropped: from a new remote while MaxConns were open
}

// ErrExists is the error of a Dial of a remote that already has a virtual
// connection: it belongs to whoever accepted or dialled it first.
var ErrExists = errors.New("udp: a connection to this remote exists already")

// Socket is one UDP socket shared by virtual connections, one per remote
// address. A reader goroutine, owned by the socket and ended by Close, hands
// each datagram to its remote's connection, making one (for Accept) for a
// remote not seen before.
type Socket struct {
	pc    net.PacketConn
	cfg   Config
	local netip.AddrPort

	accepts chan *Conn // new remotes, for Accept
	done    chan struct{}
	reader  sync.WaitGroup

	mu       sync.Mutex
	conns    map[netip.AddrPort]*Conn
	closeErr error // set once, before done closes

	received, queueFull, refused atomic.Uint64
}

// Listen binds a UDP socket to addr ("127.0.0.1:0", say) and serves it.
func Listen(addr string, cfg Config) (*Socket, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	if uc, ok := pc.(*net.UDPConn); ok && cfg.ReceiveBuffer > 0 {
		// Best effort: the kernel caps it (net.core.rmem_max) and says
		// nothing, and a smaller buffer only loses more datagrams.
		uc.SetReadBuffer(cfg.ReceiveBuffer)
	}
	return New(pc, cfg), nil
}

// New serves pc, which the socket then owns (Close closes it).
func New(pc net.PacketConn, cfg Config) *Socket {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = DefaultMaxQueued
	}
	s := &Socket{
		pc:      pc,
		cfg:     cfg,
		local:   addrPortOf(pc.LocalAddr()),
		accepts: make(chan *Conn, cfg.MaxConns),
		done:    make(chan struct{}),
		conns:   make(map[netip.AddrPort]*Conn),
	}
	s.reader.Add(1)
	go func() {
		defer s.reader.Done()
		s.readLoop()
	}()
	return s
}

// Addr is the socket's bound address.
func (s *Socket) Addr() net.Addr { return s.pc.LocalAddr() }

// AddrPort is Addr as an address and port.
func (s *Socket) AddrPort() netip.AddrPort { return s.local }

// Stats returns the socket's counters.
func (s *Socket) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return Stats{Conns: n, Received: s.received.Load(), QueueFull: s.queueFull.Load(), Refused: s.refused.Load()}
}

func (s *Socket) readLoop() {
	buf := make([]byte, recvBuffer)
	for {
		n, from, err := s.readFrom(buf)
		if err != nil {
			s.shut(fmt.Errorf("read: %w", err)) // no-op when Close caused it
			return
		}
		s.received.Add(1)
		s.deliver(from, append([]byte(nil), buf[:n]...))
	}
}

func (s *Socket) readFrom(buf []byte) (int, netip.AddrPort, error) {
	if uc, ok := s.pc.(*net.UDPConn); ok {
		n, from, err := uc.ReadFromUDPAddrPort(buf)
		return n, unmap(from), err
	}
	n, from, err := s.pc.ReadFrom(buf)
	return n, addrPortOf(from), err
}

// deliver queues a datagram on its remote's connection, making one for
// Accept if there is none and the cap allows; it never blocks.
func (s *Socket) deliver(from netip.AddrPort, b []byte) {
	s.mu.Lock()
	c := s.conns[from]
	if c == nil {
		if s.closeErr != nil || len(s.conns) >= s.cfg.MaxConns {
			s.mu.Unlock()
			s.refused.Add(1)
			return
		}
		c = s.newConnLocked(from)
		// Cannot block: every connection waiting here is one of at most
		// MaxConns in the table, and the channel holds MaxConns.
		s.accepts <- c
	}
	s.mu.Unlock()
	select {
	case c.queue <- b:
	default:
		s.queueFull.Add(1)
		c.dropped.Add(1)
	}
}

func (s *Socket) newConnLocked(remote netip.AddrPort) *Conn {
	c := newConn(s, remote)
	s.conns[remote] = c
	return c
}

// Accept waits for a datagram from a remote that has no connection and
// returns the new connection, its first datagram waiting to be read. After
// Close it returns an error that wraps net.ErrClosed.
func (s *Socket) Accept() (*Conn, error) {
	select {
	case c := <-s.accepts:
		if !isClosed(s.done) { // select picks either when both are ready
			return c, nil
		}
	case <-s.done:
	}
	return nil, s.closeErr
}

// Dial returns a new virtual connection to remote (IPv4-mapped addresses
// are unmapped, as the reader sees them). It sends nothing; it fails with
// ErrExists when remote has a connection already, and when the socket is
// closed or at its cap.
func (s *Socket) Dial(remote netip.AddrPort) (*Conn, error) {
	remote = unmap(remote)
	if !remote.IsValid() || remote.Port() == 0 {
		return nil, fmt.Errorf("udp: cannot dial %s", remote)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closeErr != nil:
		return nil, s.closeErr
	case s.conns[remote] != nil:
		return nil, fmt.Errorf("%w: %s", ErrExists, remote)
	case len(s.conns) >= s.cfg.MaxConns:
		return nil, fmt.Errorf("udp: %d connections already", len(s.conns))
	}
	return s.newConnLocked(remote), nil
}

// DialContext is Dial with the signature of peer.HostConfig.Dial.
func (s *Socket) DialContext(_ context.Context, remote netip.AddrPort) (net.Conn, error) {
	c, err := s.Dial(remote)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// remove takes c out of the table (Conn.Close calls it).
func (s *Socket) remove(c *Conn) {
	s.mu.Lock()
	if s.conns[c.remote] == c {
		delete(s.conns, c.remote)
	}
	s.mu.Unlock()
}

// ErrClosed wraps the reason of a closed socket; it is a net.ErrClosed.
var ErrClosed = fmt.Errorf("udp socket: %w", net.ErrClosed)

// Close is CloseWith(nil).
func (s *Socket) Close() error {
	s.CloseWith(nil)
	return nil
}

// CloseWith closes the socket and every virtual connection, whose reads
// then fail with ErrClosed and reason; it returns once the reader goroutine
// has ended. Only the first reason counts.
func (s *Socket) CloseWith(reason error) {
	s.shut(reason)
	s.reader.Wait()
}

// shut is CloseWith without the wait, for the reader goroutine itself.
func (s *Socket) shut(reason error) {
	s.mu.Lock()
	if s.closeErr != nil {
		s.mu.Unlock()
		return
	}
	s.closeErr = ErrClosed
	if reason != nil {
		s.closeErr = fmt.Errorf("%w: %w", ErrClosed, reason)
	}
	conns := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	close(s.done)
	s.mu.Unlock()
	s.pc.Close()
	for _, c := range conns {
		c.closeWith(s.closeErr)
	}
}

// Listener is the socket as a net.Listener (peer.HostConfig.Listener):
// Accept returns new virtual connections; Close closes the socket.
func (s *Socket) Listener() net.Listener { return listener{s} }

type listener struct{ s *Socket }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.s.Accept()
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (l listener) Close() error   { return l.s.Close() }
func (l listener) Addr() net.Addr { return l.s.Addr() }

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		return unmap(u.AddrPort())
	}
	if a != nil {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return unmap(ap)
		}
	}
	return netip.AddrPort{}
}
