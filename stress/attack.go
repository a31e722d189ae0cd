// Package stress plays hostile peers against a BitClone node: connections
// that never finish the handshake, a ping flood, an addr flood. Scenario
// runs one against a node of our own while an honest peer watches.
package stress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"
)

// HoldHandshakes opens n connections to addr and never says a word on them,
// until ctx ends. It returns how many connections were opened and how many
// the target had closed by then.
func HoldHandshakes(ctx context.Context, addr string, n int) (opened, closedByTarget int, err error) {
	var d net.Dialer
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return len(conns), 0, err
		}
		conns = append(conns, c)
	}
	<-ctx.Done()
	// A closed connection reads EOF at once; an open one times out.
	buf := make([]byte, 1)
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(buf); errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			closedByTarget++
		}
	}
	return len(conns), closedByTarget, nil
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// client is one hostile peer's connection, past the handshake.
type client struct {
	c net.Conn
	r *bufio.Reader
}

// dial connects to addr and completes a BitClone handshake. The peer claims
// its own local port as its listening port: nobody listens there, and each
// attacker has an address of its own, so none replaces another.
func dial(ctx context.Context, addr string) (*client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cl := &client{c: c, r: bufio.NewReader(c)}
	c.Write(versionLine(c))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for theirs := ""; ; {
		line, err := cl.r.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("handshake: %w", err)
		}
		switch {
		case strings.HasPrefix(line, "version|"):
			if f := strings.Split(line, "|"); len(f) > 6 {
				theirs = f[6]
				fmt.Fprintf(c, "verack|%s\r\n", theirs)
			}
		case line == "getaddr\r\n":
			c.SetReadDeadline(time.Time{})
			return cl, nil
		}
	}
}

// drain reads and discards what the target sends until the connection ends,
// so that it never blocks on us; it returns when the connection closes.
func (cl *client) drain() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, cl.r)
	}()
	return done
}

// FloodPings sends count pings as fast as the connection takes them and
// waits for the answers. It returns how many pings it wrote and how many
// pongs came back before the target dropped it (or ctx ended).
func FloodPings(ctx context.Context, addr string, count int) (sent, answered int, err error) {
	cl, err := dial(ctx, addr)
	if err != nil {
		return 0, 0, err
	}
	sent, answered = cl.floodPings(ctx, count)
	return sent, answered, nil
}

// floodPings is FloodPings on a connection that has done its handshake; it
// closes the connection.
func (cl *client) floodPings(ctx context.Context, count int) (sent, answered int) {
	stop := context.AfterFunc(ctx, func() { cl.c.Close() })
	defer stop()
	pongs := make(chan int, 1)
	go func() { // count answers until all came or the target hung up
		n := 0
		for n < count {
			line, err := cl.r.ReadSlice('\n')
			if err != nil {
				break
			}
			if strings.HasPrefix(string(line), "pong|") {
				n++
			}
		}
		cl.c.Close()
		pongs <- n
	}()

	const batch = 512
	w := bufio.NewWriterSize(cl.c, 64<<10)
	for sent < count {
		n := min(batch, count-sent)
		for i := range n {
			fmt.Fprintf(w, "ping|%d\r\n", sent+i)
		}
		if w.Flush() != nil {
			break // dropped by the target
		}
		sent += n
	}
	return sent, <-pongs
}

// FloodAddrs sends msgs addr messages of per made-up addresses each, all
// fresh, all in 127.0.0.0/8 so that a target that dials them only ever
// reaches this machine. It returns how many messages it wrote.
func FloodAddrs(ctx context.Context, addr string, msgs, per int, seed uint64) (sent int, err error) {
	cl, err := dial(ctx, addr)
	if err != nil {
		return 0, err
	}
	return cl.floodAddrs(ctx, msgs, per, seed), nil
}

// floodAddrs is FloodAddrs on a connection that has done its handshake; it
// closes the connection.
func (cl *client) floodAddrs(ctx context.Context, msgs, per int, seed uint64) (sent int) {
	drained := cl.drain()
	defer func() { cl.c.Close(); <-drained }()
	stop := context.AfterFunc(ctx, func() { cl.c.Close() })
	defer stop()

	rng := rand.New(rand.NewPCG(seed, seed))
	w := bufio.NewWriterSize(cl.c, 64<<10)
	for sent < msgs {
		now := time.Now().Unix()
		fmt.Fprintf(w, "addr|%d", per)
		for range per {
			fmt.Fprintf(w, "|%d|127.%d.%d.%d:%d", now, rng.IntN(256), rng.IntN(256), 1+rng.IntN(254), 1024+rng.IntN(60000))
		}
		w.WriteString("\r\n")
		if err := w.Flush(); err != nil {
			return sent
		}
		sent++
	}
	return sent
}
