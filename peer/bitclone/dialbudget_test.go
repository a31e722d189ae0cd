package bitclone

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// dialLog is an injected dialler that refuses every address after dialTime,
// noting when each dial started and how many were in flight at most.
type dialLog struct {
	dialTime time.Duration

	mu       sync.Mutex
	started  []time.Time
	inFlight int
	most     int
}

func (d *dialLog) dial(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
	d.mu.Lock()
	d.started = append(d.started, time.Now())
	d.inFlight++
	d.most = max(d.most, d.inFlight)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inFlight--
		d.mu.Unlock()
	}()
	select {
	case <-time.After(d.dialTime):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(a), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// mostInASecond is the most dials that started within one second of each
// other among those started in [from, to).
func (d *dialLog) mostInASecond(from, to time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	most := 0
	for i, t := range d.started {
		if t.Before(from) || !t.Before(to) {
			continue
		}
		n := 0
		for _, u := range d.started[i:] {
			if u.Sub(t) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func (d *dialLog) count(from, to time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, t := range d.started {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// bogusAddr is an addr message of count made-up loopback addresses, active now.
func bogusAddr(first, count int) string {
	now := time.Now().Unix()
	var b strings.Builder
	fmt.Fprintf(&b, "addr|%d", count)
	for i := first; i < first+count; i++ {
		fmt.Fprintf(&b, "|%d|127.1.%d.%d:%d", now, i/250%250, i%250+1, 20000+i%1000)
	}
	return b.String()
}

// An addr flood of made-up addresses costs a few dials a second, during the
// flood and after it, however high the target: every failed dial used to
// start the next at once (1662 dials a second in the stress run), and every
// one of them rescanned the whole address book under the node's lock.
func TestAddrFloodCostsFewDials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &dialLog{dialTime: 50 * time.Millisecond}
		pn := startPipeNode(t, Config{Target: 64, PingInterval: time.Hour, AdvertiseInterval: time.Hour,
			IdleTimeout: time.Hour, HandshakeTimeout: time.Hour}, WithDialer(d.dial))
		flooder := pn.handshakeIn("127.0.0.2:9001")
		go func() {
			for range flooder.lines { // whatever the node sends it
			}
		}()
		begin := time.Now()
		const floodFor = 10
		for i := range floodFor {
			flooder.send(bogusAddr(i*1000, 1000))
			time.Sleep(time.Second)
		}
		floodEnd := time.Now()
		const after = 60 * time.Second
		time.Sleep(after)
		synctest.Wait()
		end := time.Now()

		during, since := d.count(begin, floodEnd), d.count(floodEnd, end)
		t.Logf("dials: %d in the %ds flood, %d in the %s after it; at most %d in a second, %d at once",
			during, floodFor, since, after, d.mostInASecond(begin, end), d.most)
		if most, limit := d.mostInASecond(begin, end), DialBurst+DialsPerSecond; most > limit {
			t.Errorf("%d dials within one second, want at most %d (a burst of %d, then %d/s)", most, limit, DialBurst, DialsPerSecond)
		}
		if limit := DialBurst + DialsPerSecond*floodFor; during > limit {
			t.Errorf("%d dials during the %ds flood, want at most %d", during, floodFor, limit)
		}
		if limit := DialBurst + int(after.Seconds())*DialsPerSecond; since > limit {
			t.Errorf("%d dials in the %s after the flood, want at most %d", since, after, limit)
		}
		if since == 0 {
			t.Error("no dials after the flood: the budget must slow dialling, not stop it")
		}
		if d.most > MaxDialsInFlight {
			t.Errorf("%d dials in flight at once, want at most %d", d.most, MaxDialsInFlight)
		}
		// The book is scanned only when the budget allows a dial, on the
		// maintainer's retry tick, and when the budget's wait ends: never
		// once per failed dial beyond the budget.
		pn.Node.mu.Lock()
		scans := pn.Node.scans
		pn.Node.mu.Unlock()
		secs := int(end.Sub(begin) / time.Second)
		budget := DialBurst + DialsPerSecond*secs
		if limit := 2*budget + secs/int(DefaultRetryBase/time.Second); scans > limit {
			t.Errorf("%d scans of the address book in %ds, want at most %d", scans, secs, limit)
		}
		t.Logf("%d scans of the address book", scans)
	})
}

// The budget still lets a fresh node dial every seed at once.
func TestFreshNodeDialsItsSeedsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seeds []netip.AddrPort
		for i := range DefaultTarget {
			seeds = append(seeds, mustAddr(fmt.Sprintf("127.0.0.%d:8000", 10+i)))
		}
		pn := startPipeNode(t, Config{Seeds: seeds})
		start := time.Now()
		for range seeds {
			r := <-pn.dialled
			completeOutbound(r, r.addr.String(), uint64(r.addr.Port())+uint64(r.addr.Addr().As4()[3]))
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("the %d seeds were dialled over %s, want all at once", len(seeds), took)
		}
		synctest.Wait()
		if s := pn.Snapshot(); s.Outbound != len(seeds) {
			t.Errorf("%d outbound connections, want %d", s.Outbound, len(seeds))
		}
	})
}

// With a target above MaxDialsInFlight, the dials held back by the
// in-flight limit start as soon as earlier ones end, not at the next retry
// tick.
func TestDialsHeldBackGoWhenOthersEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const dialTime = time.Second
		var mu sync.Mutex
		var started []time.Duration
		begin := time.Now()
		slow := func(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
			mu.Lock()
			started = append(started, time.Since(begin))
			mu.Unlock()
			select {
			case <-time.After(dialTime):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			ours, theirs := net.Pipe()
			go func() { // a far end that reads and never answers
				defer theirs.Close()
				io.Copy(io.Discard, theirs)
			}()
			return addrConn{ours, mustAddr("127.0.0.1:40000"), a}, nil
		}
		var seeds []netip.AddrPort
		for i := range MaxDialsInFlight + 4 {
			seeds = append(seeds, mustAddr(fmt.Sprintf("127.0.0.%d:8000", 10+i)))
		}
		startPipeNode(t, Config{Seeds: seeds, Target: len(seeds), RetryBase: time.Minute, HandshakeTimeout: time.Hour},
			WithDialer(slow))
		time.Sleep(dialTime + time.Millisecond)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(started) != len(seeds) {
			t.Fatalf("%d dials started by %s, want %d: %v", len(started), dialTime, len(seeds), started)
		}
		for i, at := range started {
			want := time.Duration(0)
			if i >= MaxDialsInFlight {
				want = dialTime
			}
			if at != want {
				t.Errorf("dial %d started at %s, want %s: %v", i, at, want, started)
				break
			}
		}
	})
}
