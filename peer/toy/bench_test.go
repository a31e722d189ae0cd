package toy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
)

// BenchmarkRoundTrips is the figure for the toy node: datagrams
// answered per second, ping -> pong over loopback, against a minimal UDP
// echo (one goroutine, ReadFrom and WriteTo) in the same run. The client
// keeps window datagrams in flight (1: one at a time):
//
//	go test -run '^$' -bench RoundTrips -benchtime 2s ./peer/toy/
//
// "toy" is the node as bitclone toy --headless runs it without -v (no
// datagram events); "toy+events" builds an event per datagram, as the TUI
// and -v do.
func BenchmarkRoundTrips(b *testing.B) {
	ping, err := toy.Encode(toy.Ping(1))
	if err != nil {
		b.Fatal(err)
	}
	for _, window := range []int{1, 16} {
		for _, server := range []struct {
			name  string
			start func(b *testing.B) netip.AddrPort
		}{
			{"echo", startEcho},
			{"toy", func(b *testing.B) netip.AddrPort { return startBenchNode(b, true) }},
			{"toy+events", func(b *testing.B) netip.AddrPort { return startBenchNode(b, false) }},
		} {
			b.Run(fmt.Sprintf("%s/window=%d", server.name, window), func(b *testing.B) {
				roundTrips(b, server.start(b), ping, window)
			})
		}
	}
}

// roundTrips sends b.N datagrams to a, window in flight, and counts the
// answers; a lost one is given up after a moment (reported as lost).
func roundTrips(b *testing.B, a netip.AddrPort, datagram []byte, window int) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	to := net.UDPAddrFromAddrPort(a)
	buf := make([]byte, 1<<16)
	// One round trip first, so that the node has the connection open.
	if _, err := c.WriteToUDP(datagram, to); err != nil {
		b.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadFromUDP(buf); err != nil {
		b.Fatal(err)
	}
	lost := 0
	b.ResetTimer()
	sent, got := 0, 0
	for got+lost < b.N {
		for sent-got-lost < window && sent < b.N {
			if _, err := c.WriteToUDP(datagram, to); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, _, err := c.ReadFromUDP(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				b.Fatal(err)
			}
			lost += sent - got - lost // what is still out is gone
			continue
		}
		got++
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "answers/s")
	b.ReportMetric(float64(lost), "lost")
}

// startEcho is the baseline: one goroutine echoing every datagram.
func startEcho(b *testing.B) netip.AddrPort {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			c.WriteTo(buf[:n], from)
		}
	}()
	b.Cleanup(func() { c.Close(); <-done })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// startBenchNode runs a toy node until the benchmark ends.
func startBenchNode(b *testing.B, quiet bool) netip.AddrPort {
	n, err := New(Config{ListenHost: "127.0.0.1", NoMessageEvents: quiet, Dest: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- n.Run(ctx) }()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for batch := range n.Events() {
			n.ReleaseEvents(batch)
		}
	}()
	b.Cleanup(func() { cancel(); <-ran; <-drained })
	return n.Addr()
}
