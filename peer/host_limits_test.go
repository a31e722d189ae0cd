package peer

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener hands the host in-memory connections from made-up remote
// addresses, so that limits that exempt loopback can be tested.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8088} }

// addrConn is a pipe end with TCP addresses.
type addrConn struct {
	net.Conn
	local, remote netip.AddrPort
}

func (c addrConn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }
func (c addrConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// startPipeHost runs an echo host on a pipe listener in the test's bubble.
func startPipeHost(t *testing.T, cfg HostConfig) (*echoHost, func(remote string) net.Conn) {
	ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	cfg.Listener = ln
	p := &echoProtocol{}
	h := &echoHost{Host: NewHost(cfg, p), changed: make(chan struct{}, 1)}
	p.h = h.Host
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go h.Run(ctx)
	go func() {
		defer close(done)
		for batch := range h.Events() {
			h.mu.Lock()
			h.events = append(h.events, batch...)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	dial := func(remote string) net.Conn {
		ours, theirs := net.Pipe()
		ln.conns <- addrConn{ours, netip.MustParseAddrPort("127.0.0.1:8088"), netip.MustParseAddrPort(remote)}
		go io.Copy(io.Discard, theirs) // read what the host sends, until it closes
		t.Cleanup(func() { theirs.Close() })
		return theirs
	}
	return h, dial
}

func TestHostBansAMisbehavingPeerButNeverLoopback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, dial := startPipeHost(t, HostConfig{BanFor: time.Minute})
		dial("127.0.0.2:1000").Write(echoFrame("rude"))
		dial("192.0.2.1:1001").Write(echoFrame("rude"))
		synctest.Wait()
		if !h.has(KindClosed, "rude; 192.0.2.1 banned for 1m0s") {
			t.Fatalf("events: %v", h.texts())
		}
		if h.has(KindClosed, "127.0.0.2 banned") {
			t.Error("a loopback peer was banned")
		}
		dial("192.0.2.1:1002")
		synctest.Wait()
		if !h.has(KindWarn, "refused inbound 192.0.2.1:1002: banned until") || h.Snapshot().Refused != 1 {
			t.Errorf("a banned IP got in: %v", h.texts())
		}
		time.Sleep(time.Minute) // the bubble's clock: the ban runs out
		dial("192.0.2.1:1003")
		synctest.Wait()
		if got := h.Snapshot().Refused; got != 1 || len(h.Snapshot().Conns) != 1 {
			t.Errorf("after the ban: %d refused, conns %+v", got, h.Snapshot().Conns)
		}
	})
}

func TestHostCapsHandshakingConnectionsPerIP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, dial := startPipeHost(t, HostConfig{MaxHandshakingPerIP: 2})
		for port := range 3 {
			dial(netip.AddrPortFrom(netip.MustParseAddr("192.0.2.9"), uint16(2000+port)).String())
		}
		for port := range 3 {
			dial(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.9"), uint16(2000+port)).String())
		}
		synctest.Wait()
		if !h.has(KindWarn, "refused inbound 192.0.2.9:2002: 2 connections from 192.0.2.9 still handshaking") {
			t.Errorf("events: %v", h.texts())
		}
		if got := len(h.Snapshot().Conns); got != 5 {
			t.Errorf("%d connections, want 2 from 192.0.2.9 and 3 from loopback (exempt)", got)
		}
	})
}
