package stress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"
)

// The attackers of the all scenario. Each runs until ctx ends, never longer,
// and calls ready once its first connections are up (or have failed), so
// that the descriptor table is filled only after everyone else got in.

// Bounds on every attacker's loop, besides its context.
const (
	maxSilentDials = 1 << 20 // connections the silent attacker opens in all
	maxSlowDials   = 1 << 20 // connections slowloris opens in all
	silentDialers  = 4       // goroutines opening silent connections
	silentBatch    = 25      // connections each opens per tick: at most 10 000/s in all
	silentTick     = 10 * time.Millisecond
	maxPingRounds  = 10_000 // reconnections of the ping flooder
	maxWarnRounds  = 10_000 // reconnections of each peer of the warning flood
	retryPause     = 50 * time.Millisecond
	dialAttempts   = 5                      // handshakes a persistent attacker tries before giving up
	paceTick       = 10 * time.Millisecond  // how often paced attackers write
	nonReaderRate  = 200                    // getaddr and ping lines a second each, under the flood limit
	dialWait       = 200 * time.Millisecond // a dial the target's full backlog holds up gives up
	writeWait      = 100 * time.Millisecond // a write that waits longer is tried again later
)

// SilentResult is what the connections that never say a word achieved.
type SilentResult struct {
	Opened         int // connections opened, all held until the end
	ClosedByTarget int
	// Exhausted counts dials that failed because the process ran out of
	// descriptors: the table was full. FullAfter is when that first happened,
	// after the attacker started, StartedAfter after the attack began.
	Exhausted    int
	FullAfter    time.Duration
	StartedAfter time.Duration
}

// holdSilent opens connections that never send a byte until the descriptor
// table is full, and holds every one of them, even those the target closed,
// until ctx ends. Target and attacker share the process's table, so it fills
// with both ends; what is measured is what the target does when accept and
// dial fail for lack of descriptors.
func holdSilent(ctx context.Context, addr string) SilentResult {
	var res SilentResult
	var mu sync.Mutex // guards res
	var wg sync.WaitGroup
	begin := time.Now()
	d := net.Dialer{Timeout: dialWait}
	// open dials one connection and reports whether the next may follow at once.
	open := func() bool {
		mu.Lock()
		enough := res.Opened >= maxSilentDials
		mu.Unlock()
		if enough {
			return false
		}
		c, err := d.DialContext(ctx, "tcp", addr)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if isFDExhausted(err) {
				res.Exhausted++
				if res.FullAfter == 0 {
					res.FullAfter = time.Since(begin)
				}
			}
			return false
		}
		res.Opened++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			readUntilClosed(c)
			if stop() { // the target closed it, not ctx
				mu.Lock()
				res.ClosedByTarget++
				mu.Unlock()
				<-ctx.Done() // keep the descriptor
			}
		}()
		return true
	}
	var dialers sync.WaitGroup
	for range silentDialers {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			tick := time.NewTicker(silentTick)
			defer tick.Stop()
			for ctx.Err() == nil {
				for range silentBatch {
					if !open() {
						break
					}
				}
				select {
				case <-ctx.Done():
				case <-tick.C:
				}
			}
		}()
	}
	dialers.Wait()
	wg.Wait()
	return res
}

// readUntilClosed discards what c receives until it closes.
func readUntilClosed(c net.Conn) {
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// PingResult is what the ping flooder achieved over all its connections.
type PingResult struct {
	Conns, Sent, Answered int
	Dropped               int // connections the target dropped mid-flood
}

// floodPingsUntil floods pings, perConn per connection, reconnecting each
// time the target drops it.
func floodPingsUntil(ctx context.Context, addr string, perConn int, ready func()) PingResult {
	var res PingResult
	for round := 0; round < maxPingRounds && ctx.Err() == nil; round++ {
		cl, err := dial(ctx, addr)
		if err == nil || round == dialAttempts-1 {
			ready()
			ready = func() {}
		}
		if err != nil {
			pause(ctx, retryPause)
			continue
		}
		sent, answered := cl.floodPings(ctx, perConn)
		res.Conns++
		res.Sent += sent
		res.Answered += answered
		if ctx.Err() == nil && answered < perConn {
			res.Dropped++
		}
	}
	return res
}

// AddrResult is what the addr flooder sent.
type AddrResult struct {
	Msgs, Addrs int
}

// SlowlorisResult is what the connections that send their version line one
// byte at a time achieved.
type SlowlorisResult struct {
	Opened, ClosedByTarget int
	Bytes                  int
	LongestHeld            time.Duration // the longest a connection stayed open
}

// slowloris keeps conns connections that each send a version line one byte
// every gap, replacing each one the target closes.
func slowloris(ctx context.Context, addr string, conns int, gap time.Duration, ready func()) SlowlorisResult {
	var res SlowlorisResult
	type slow struct {
		c     net.Conn
		since time.Time
		sent  int
		line  []byte
	}
	slots := make([]slow, conns)
	defer func() {
		for _, s := range slots {
			if s.c != nil {
				s.c.Close()
			}
		}
	}()
	d := net.Dialer{Timeout: dialWait}
	end := func(s *slow, byTarget bool) {
		s.c.Close()
		res.LongestHeld = max(res.LongestHeld, time.Since(s.since))
		if byTarget {
			res.ClosedByTarget++
		}
		*s = slow{}
	}
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for first := true; ctx.Err() == nil; first = false {
		for i := range slots {
			s := &slots[i]
			if s.c == nil {
				if res.Opened >= maxSlowDials {
					continue
				}
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					continue // out of descriptors, or the target's backlog is full
				}
				res.Opened++
				*s = slow{c: c, since: time.Now(), line: versionLine(c)}
			}
			s.c.SetWriteDeadline(time.Now().Add(writeWait))
			if _, err := s.c.Write(s.line[s.sent : s.sent+1]); err != nil {
				end(s, !errors.Is(err, os.ErrDeadlineExceeded))
				continue
			}
			res.Bytes++
			if s.sent++; s.sent == len(s.line) {
				end(s, false) // the whole line went out: start again
			}
		}
		if first {
			ready()
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	for i := range slots {
		if slots[i].c != nil {
			end(&slots[i], false)
		}
	}
	return res
}

// versionLine is the version message a stress peer sends on c, claiming
// its local address as its listening address.
func versionLine(c net.Conn) []byte {
	return fmt.Appendf(nil, "version|3|1|%d|%s|%s|%d|stress|0\r\n", time.Now().Unix(), c.RemoteAddr(), c.LocalAddr(), rand.Uint64()|1)
}

// NeverReadResult is what a peer that never reads its socket achieved.
type NeverReadResult struct {
	Handshaked bool
	Local      string // its address, as the target sees it
	Sent       int    // getaddr and ping lines written
	Stalled    int    // writes that waited too long: the target stopped reading us
	// Dropped says the target closed the connection, HeldFor after the handshake.
	Dropped bool
	HeldFor time.Duration
}

// neverRead handshakes, then sends getaddr and ping lines at a steady rate
// and never reads a byte of the answers. ready gets its address as the
// target sees it ("" if the handshake failed).
func neverRead(ctx context.Context, addr string, ready func(local string)) NeverReadResult {
	var res NeverReadResult
	cl, err := dialRetry(ctx, addr)
	if err != nil {
		ready("")
		return res
	}
	defer cl.c.Close()
	res.Handshaked, res.Local = true, cl.c.LocalAddr().String()
	ready(res.Local)
	begin := time.Now()
	tick := time.NewTicker(paceTick)
	defer tick.Stop()
	var pending []byte // lines not yet written whole: never cut a line in two
	queued := 0
	for ctx.Err() == nil {
		if len(pending) == 0 {
			due := catchUp(begin, nonReaderRate, &queued)
			for i := range due {
				pending = fmt.Appendf(pending, "getaddr\r\nping|%d\r\n", queued-due+i)
			}
			res.Sent += 2 * due
		}
		if len(pending) > 0 {
			cl.c.SetWriteDeadline(time.Now().Add(writeWait))
			n, err := cl.c.Write(pending)
			pending = pending[n:]
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				res.Stalled++
			case err != nil:
				res.Dropped, res.HeldFor = true, time.Since(begin)
				return res
			}
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	return res
}

// catchUp says how many items are due at rate a second since begin, given
// done so far, and counts them done. After a stall it skips what a tenth
// of a second would not hold, so that a paced attacker never bursts.
func catchUp(begin time.Time, rate int, done *int) int {
	due := int(time.Since(begin).Seconds()*float64(rate)) - *done
	if limit := max(1, rate/10); due > limit {
		*done += due - limit
		due = limit
	}
	*done += max(0, due)
	return max(0, due)
}

// WarnResult is what the warning flood sent.
type WarnResult struct {
	Peers   int // peers that completed their handshake at least once
	Failed  int // peers that could not connect or handshake
	Lines   int // unsolicited pongs and malformed rejects written
	Dropped int // connections the target closed (each peer reconnects)
}

// malformedReject is a reject the target cannot parse; it warns instead of
// answering (a reject is never answered with a reject).
const malformedReject = "reject|not-a-code\r\n"

// floodWarnings runs peers that each send rate unsolicited pongs and rate
// malformed rejects a second, under the flood limit: every line costs the
// target a warning. The target drops a peer after a few such lines, but
// never bans one on loopback, so each peer reconnects at once and goes on:
// warnings, and connection changes, flood its front end for as long as ctx
// lasts.
func floodWarnings(ctx context.Context, addr string, peers, rate int, ready func()) WarnResult {
	var mu sync.Mutex
	var res WarnResult
	var wg sync.WaitGroup
	var connected sync.WaitGroup
	connected.Add(peers)
	for i := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines, handshaked, dropped := warnPeer(ctx, addr, rate, uint64(i), connected.Done)
			mu.Lock()
			defer mu.Unlock()
			res.Lines += lines
			res.Dropped += dropped
			if handshaked {
				res.Peers++
			} else {
				res.Failed++
			}
		}()
	}
	connected.Wait()
	ready()
	wg.Wait()
	return res
}

// warnPeer is one peer of the warning flood: it connects, sends its lines at
// its pace until the target drops it, and reconnects, until ctx ends (or
// maxWarnRounds attempts). ready is called once it is in, or after
// dialAttempts failed attempts.
func warnPeer(ctx context.Context, addr string, rate int, seed uint64, ready func()) (lines int, handshaked bool, dropped int) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	begin := time.Now()
	pairs := 0 // the pace runs across reconnections
	for round := 0; round < maxWarnRounds && ctx.Err() == nil; round++ {
		cl, err := dial(ctx, addr)
		if err == nil || round == dialAttempts-1 {
			ready() // once: in, or given a fair chance
			ready = func() {}
		}
		if err != nil {
			// Out of descriptors, or evicted mid-handshake: the next
			// connection may get in.
			pause(ctx, retryPause)
			continue
		}
		handshaked = true
		n, closed := warnConn(ctx, cl, rng, begin, rate, &pairs)
		lines += n
		if closed {
			dropped++
		}
	}
	return lines, handshaked, dropped
}

// warnConn sends pongs and malformed rejects on cl at rate pairs a second
// since begin until ctx ends or the target closes it (closed).
func warnConn(ctx context.Context, cl *client, rng *rand.Rand, begin time.Time, rate int, pairs *int) (lines int, closed bool) {
	drained := cl.drain()
	defer func() { cl.c.Close(); <-drained }()
	// A write blocked by a target that stopped reading ends with ctx.
	stop := context.AfterFunc(ctx, func() { cl.c.Close() })
	defer stop()
	w := bufio.NewWriterSize(cl.c, 64<<10)
	tick := time.NewTicker(paceTick)
	defer tick.Stop()
	for ctx.Err() == nil {
		for range catchUp(begin, rate, pairs) {
			fmt.Fprintf(w, "pong|%d\r\n", rng.Uint64()|1)
			w.WriteString(malformedReject)
			lines += 2
		}
		if err := w.Flush(); err != nil {
			return lines, ctx.Err() == nil
		}
		select {
		case <-ctx.Done():
		case <-drained: // the target closed it
			return lines, ctx.Err() == nil
		case <-tick.C:
		}
	}
	return lines, false
}

// dialRetry is dial, tried again a few times: the target may close a
// connection still handshaking to make room for a newer one.
func dialRetry(ctx context.Context, addr string) (cl *client, err error) {
	for range dialAttempts {
		if cl, err = dial(ctx, addr); err == nil || ctx.Err() != nil {
			return cl, err
		}
		pause(ctx, retryPause)
	}
	return nil, err
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
