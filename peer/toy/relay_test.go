package toy

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// lossyRelay stands between a client and a server node: the client
// writes to front, the relay forwards from back to the server and the
// server's answers back to the client, dropping a share of the datagrams
// in both directions, deterministically (a seeded random source).
type lossyRelay struct {
	front, back *net.UDPConn
	server      netip.AddrPort
	client      atomic.Pointer[netip.AddrPort]

	mu   sync.Mutex
	rng  *rand.Rand
	drop float64

	passed, dropped atomic.Int64
	wg              sync.WaitGroup
}

// startRelay relays to server, dropping the share drop of datagrams,
// until the test ends.
func startRelay(t *testing.T, server netip.AddrPort, drop float64, seed uint64) *lossyRelay {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	r := &lossyRelay{front: listen(), back: listen(), server: server, rng: rand.New(rand.NewPCG(seed, seed)), drop: drop}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.pump(r.front, r.back, func(from netip.AddrPort) (netip.AddrPort, bool) {
			r.client.Store(&from)
			return r.server, true
		})
	}()
	go func() {
		defer r.wg.Done()
		r.pump(r.back, r.front, func(netip.AddrPort) (netip.AddrPort, bool) {
			c := r.client.Load()
			if c == nil {
				return netip.AddrPort{}, false
			}
			return *c, true
		})
	}()
	t.Cleanup(func() {
		r.front.Close()
		r.back.Close()
		r.wg.Wait()
	})
	return r
}

// Addr is where the client writes, the server as the client sees it.
func (r *lossyRelay) Addr() netip.AddrPort { return r.front.LocalAddr().(*net.UDPAddr).AddrPort() }

// pump forwards what in reads to where to says, through out, until in
// is closed.
func (r *lossyRelay) pump(in, out *net.UDPConn, to func(from netip.AddrPort) (netip.AddrPort, bool)) {
	buf := make([]byte, 1<<16)
	for {
		n, from, err := in.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		dest, ok := to(from)
		if !ok {
			continue
		}
		r.mu.Lock()
		lose := r.rng.Float64() < r.drop
		r.mu.Unlock()
		if lose {
			r.dropped.Add(1)
			continue
		}
		r.passed.Add(1)
		out.WriteToUDPAddrPort(buf[:n], dest)
	}
}
