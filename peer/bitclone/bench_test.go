package bitclone

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/headless"
)

// The loopback benchmarks compare the node with a baseline measured in the
// same run: a minimal line-echo server, the least any TCP line protocol can
// cost on this machine. Report them as ratios:
//
//	go test -run '^$' -bench 'Loopback' -benchtime 3s ./peer/bitclone/

// lineServer is a baseline server: it reads lines with buffering, answers
// each with what answer returns (nothing for nil), and flushes its
// buffered answers when no more input is waiting: the least a TCP line
// protocol can cost on this machine, pipelined or not.
func lineServer(b *testing.B, answer func(line []byte) []byte) net.Addr {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r, w := bufio.NewReader(c), bufio.NewWriter(c)
				for {
					line, err := r.ReadSlice('\n')
					if err != nil {
						return
					}
					w.Write(answer(line))
					if r.Buffered() == 0 && w.Flush() != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr()
}

// dialBench connects to a benchmark server, closed when the benchmark ends.
func dialBench(b *testing.B, addr net.Addr) net.Conn {
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// echoServer answers every line with itself.
func echoServer(b *testing.B) net.Addr {
	return lineServer(b, func(line []byte) []byte { return line })
}

// floodServer is the flood baseline: raw line reading that does nothing
// with a line but answer the final ping.
func floodServer(b *testing.B) net.Addr {
	return lineServer(b, func(line []byte) []byte {
		if bytes.HasPrefix(line, []byte("ping|")) {
			return append([]byte("pong|"), line[5:]...)
		}
		return nil
	})
}

// frontEnd is what reads a benchmark node's events.
type frontEnd int

const (
	drainEvents   frontEnd = iota // a front end that takes every batch, shows nothing and hands it back, as the TUI does
	noFrontEnd                    // nobody reads: message events are dropped at the bus
	headlessFile                  // the headless transcript, written to a file
	headlessQuiet                 // headless --quiet, writing to a file
)

// benchNode runs a node tuned for measuring: no flood limit, no inbound cap,
// long timers, events drained as a front end would.
func benchNode(b *testing.B) *Node { return benchNodeWith(b, drainEvents) }

// benchNodeWith runs the benchmark node with the given front end.
func benchNodeWith(b *testing.B, fe frontEnd) *Node {
	n := New(Config{
		ListenHost:  "127.0.0.1",
		UserAgent:   "bench",
		MaxMsgRate:  -1,
		MaxInbound:  1 << 20,
		IdleTimeout: time.Hour, PingInterval: time.Hour, AdvertiseInterval: time.Hour,
		NoMessageEvents: fe == headlessQuiet,
	})
	if err := n.Listen(); err != nil {
		b.Fatal(err)
	}
	var transcript *os.File
	if fe == headlessFile || fe == headlessQuiet {
		f, err := os.Create(filepath.Join(b.TempDir(), "transcript"))
		if err != nil {
			b.Fatal(err)
		}
		transcript = f
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		go n.Run(ctx)
		switch fe {
		case noFrontEnd:
			<-ctx.Done() // nobody reads until the end
		case headlessFile, headlessQuiet:
			headless.Run(ctx, n, nil, transcript, headless.Options{Quiet: fe == headlessQuiet})
			transcript.Close()
		}
		for batch := range n.Events() {
			if fe == drainEvents {
				n.ReleaseEvents(batch)
			}
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
	return n
}

// handshake plays the dialer's side of a BitClone handshake on c, as a
// peer whose version nonce is nonce.
func handshake(c net.Conn, r *bufio.Reader, nonce uint64) error {
	// One claimed listening port for every benchmark connection, so the
	// address book does not fill with ephemeral ports to dial.
	fmt.Fprintf(c, "version|3|1|%d|%s|127.0.0.1:1|%d|bench|0\r\n", time.Now().Unix(), c.RemoteAddr(), nonce)
	var theirs string
	for theirs == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "version|") {
			theirs = strings.Split(line, "|")[6]
		}
	}
	fmt.Fprintf(c, "verack|%s\r\n", theirs)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "getaddr\r\n" {
			return nil
		}
	}
}

// roundTrips sends ping lines one at a time and waits for each answer.
func roundTrips(b *testing.B, c net.Conn, r *bufio.Reader, answer string) {
	ping := []byte("ping|123456789\r\n")
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(ping); err != nil {
			b.Fatal(err)
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if string(line) != answer {
			b.Fatalf("got %q", line)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}

func BenchmarkLoopbackPingPong(b *testing.B) {
	b.Run("baseline=echo", func(b *testing.B) {
		c := dialBench(b, echoServer(b))
		roundTrips(b, c, bufio.NewReader(c), "ping|123456789\r\n")
	})
	b.Run("node", func(b *testing.B) {
		n := benchNode(b)
		c, err := net.Dial("tcp", n.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		if err := handshake(c, r, 1); err != nil {
			b.Fatal(err)
		}
		roundTrips(b, c, r, "pong|123456789\r\n")
	})
}

func BenchmarkLoopbackHandshake(b *testing.B) {
	b.Run("baseline=echo", func(b *testing.B) {
		addr := echoServer(b).String()
		for b.Loop() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			r := bufio.NewReader(c)
			// Two exchanges, as a handshake has (version out, verack back).
			for range 2 {
				fmt.Fprintf(c, "hello\r\n")
				if _, err := r.ReadString('\n'); err != nil {
					b.Fatal(err)
				}
			}
			c.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
	})
	b.Run("node", func(b *testing.B) {
		n := benchNode(b)
		nonce := uint64(0)
		for b.Loop() {
			c, err := net.Dial("tcp", n.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			// Each connection is a new run of a peer (a new nonce), as when
			// a classmate restarts theirs: it replaces the previous one.
			nonce++
			if err := handshake(c, bufio.NewReader(c), nonce); err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
	})
}

// pipelined keeps up to window pings in flight on c and counts answers.
func pipelined(b *testing.B, c net.Conn, r *bufio.Reader, answer string) {
	const window = 256
	ping := []byte("ping|123456789\r\n")
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	errs := make(chan error, 1)
	b.ResetTimer()
	go func() {
		w := bufio.NewWriter(c)
		for range b.N {
			select {
			case <-credits:
			default: // out of credit: push what we have, then wait
				if err := w.Flush(); err != nil {
					errs <- err
					return
				}
				<-credits
			}
			w.Write(ping)
		}
		errs <- w.Flush()
	}()
	for range b.N {
		line, err := r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if string(line) != answer {
			b.Fatalf("got %q", line)
		}
		credits <- struct{}{}
	}
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}

func BenchmarkLoopbackPipelined(b *testing.B) {
	b.Run("baseline=echo", func(b *testing.B) {
		c := dialBench(b, echoServer(b))
		pipelined(b, c, bufio.NewReader(c), "ping|123456789\r\n")
	})
	nodeVariants(b, func(b *testing.B, c net.Conn, r *bufio.Reader) {
		pipelined(b, c, r, "pong|123456789\r\n")
	})
}

// nodeVariants runs bench against a node on an established connection,
// once per front end: "node" (events taken and handed back, as the TUI does),
// "node-no-log" (nobody reads them), "headless" (the transcript written to
// a file) and "headless-quiet" (--quiet: no message events at all).
func nodeVariants(b *testing.B, bench func(b *testing.B, c net.Conn, r *bufio.Reader)) {
	for _, v := range []struct {
		name string
		fe   frontEnd
	}{{"node", drainEvents}, {"node-no-log", noFrontEnd}, {"headless", headlessFile}, {"headless-quiet", headlessQuiet}} {
		b.Run(v.name, func(b *testing.B) {
			n := benchNodeWith(b, v.fe)
			c, err := net.Dial("tcp", n.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			if err := handshake(c, r, 1); err != nil {
				b.Fatal(err)
			}
			before := n.Snapshot().Dropped
			bench(b, c, r)
			if v.fe == headlessFile {
				// A transcript that falls behind drops message lines (and
				// says how many): report the share, so the rate is read
				// with it. Two lines per round trip, a ping and its pong.
				b.ReportMetric(float64(n.Snapshot().Dropped-before)/float64(2*b.N), "dropped/line")
			}
		})
	}
}

// flood writes b.N message lines and a final ping, and waits for its pong:
// by then the server has read and handled every line.
func flood(b *testing.B, c net.Conn, r *bufio.Reader) {
	line := []byte("message|100|flood|the quick brown fox jumps over the lazy dog\r\n")
	w := bufio.NewWriterSize(c, 64<<10)
	b.ResetTimer()
	for range b.N {
		w.Write(line)
	}
	w.WriteString("ping|99\r\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if l == "pong|99\r\n" {
			break
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkLoopbackFlood(b *testing.B) {
	b.Run("baseline=lines", func(b *testing.B) {
		c := dialBench(b, floodServer(b))
		flood(b, c, bufio.NewReader(c))
	})
	nodeVariants(b, flood)
}
