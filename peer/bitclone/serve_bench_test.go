package bitclone

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkServePings is the node's own work per pipelined ping, without
// sockets or a client: a connection in memory hands the node 256 pings a
// read and takes its pongs. The loopback benchmarks measure what a peer
// sees; this one says what the node's path costs, with little noise, to
// compare changes to it (`-cpuprofile` shows where the time goes).
func BenchmarkServePings(b *testing.B) {
	ln := newPipeListener()
	n := New(Config{
		ListenHost: "127.0.0.1", UserAgent: "bench", MaxMsgRate: -1, MaxInbound: 1 << 20,
		IdleTimeout: time.Hour, PingInterval: time.Hour, AdvertiseInterval: time.Hour,
		NoMessageEvents: true,
	}, WithListener(ln))
	if err := n.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		go n.Run(ctx)
		for range n.Events() { // connection events only: a front end takes them
		}
	}()
	defer func() { b.StopTimer(); cancel(); <-done }()

	c := newMemPeer(b.N)
	defer c.Close()
	b.ResetTimer()
	ln.conns <- c
	select {
	case <-c.answered:
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d pongs after a minute", c.pongCount(), b.N)
	}
}

// memPeer is a connection in memory playing a pipelining peer: it sends a
// version, answers the node's version with a verack, then sends n pings in
// 4 KiB reads, and counts the lines the node writes after the handshake.
type memPeer struct {
	handshake []byte      // read side: what is left of our version line
	verack    chan string // the node's version, answered
	pings     int         // read side: pings still to send
	want      int         // lines that answer them all
	burst     []byte      // 256 pings
	pending   []byte      // read side: the part of a burst not read yet

	mu       sync.Mutex
	greeted  bool          // the node's version came
	pongs    int           // lines after the handshake
	answered chan struct{} // closed once they answer every ping

	closed    chan struct{}
	closeOnce sync.Once
}

func newMemPeer(n int) *memPeer {
	return &memPeer{
		handshake: fmt.Appendf(nil, "version|3|1|%d|127.0.0.1:8088|127.0.0.2:1|99|bench|0\r\n", time.Now().Unix()),
		verack:    make(chan string, 1),
		pings:     n,
		want:      n + 1, // and the node's getaddr after the handshake
		burst:     bytes.Repeat([]byte("ping|123456789\r\n"), 256),
		answered:  make(chan struct{}),
		closed:    make(chan struct{}),
	}
}

func (c *memPeer) Read(p []byte) (int, error) {
	if len(c.handshake) > 0 {
		n := copy(p, c.handshake)
		c.handshake = c.handshake[n:]
		return n, nil
	}
	if c.verack != nil {
		select {
		case v := <-c.verack:
			c.verack = nil
			return copy(p, v), nil
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	if len(c.pending) == 0 {
		k := min(c.pings, 256)
		if k == 0 {
			<-c.closed
			return 0, net.ErrClosed
		}
		c.pings -= k
		c.pending = c.burst[:k*len("ping|123456789\r\n")]
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *memPeer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.greeted {
		if i := bytes.Index(p, []byte("version|")); i >= 0 {
			c.greeted = true
			c.verack <- "verack|" + strings.Split(string(p[i:]), "|")[6] + "\r\n"
		}
		return len(p), nil
	}
	was := c.pongs
	c.pongs += bytes.Count(p, []byte{'\n'})
	if was < c.want && c.pongs >= c.want {
		close(c.answered)
	}
	return len(p), nil
}

func (c *memPeer) pongCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pongs
}

func (c *memPeer) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}
func (c *memPeer) LocalAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:8088"))
}
func (c *memPeer) RemoteAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.2:5000"))
}
func (c *memPeer) SetDeadline(time.Time) error      { return nil }
func (c *memPeer) SetReadDeadline(time.Time) error  { return nil }
func (c *memPeer) SetWriteDeadline(time.Time) error { return nil }
