package stress

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// memSampleEvery is how often the memory sampler looks: often enough to
// catch a backlog's peak, rarely enough to cost nothing (runtime/metrics
// does not stop the world).
const memSampleEvery = 20 * time.Millisecond

// Memory is the process's memory, as runtime/metrics names it: Heap is the
// heap's objects (live and not yet swept), Sys all memory mapped by the Go
// runtime (what MemStats calls Sys).
type Memory struct{ Heap, Sys uint64 }

var memSamples = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes"}

func readMemory() Memory {
	s := make([]metrics.Sample, len(memSamples))
	for i, name := range memSamples {
		s[i].Name = name
	}
	metrics.Read(s)
	return Memory{Heap: s[0].Value.Uint64(), Sys: s[1].Value.Uint64()}
}

// sampleMemory records the peak of each figure until ctx ends, then sends it.
func sampleMemory(ctx context.Context) <-chan Memory {
	out := make(chan Memory, 1)
	go func() {
		tick := time.NewTicker(memSampleEvery)
		defer tick.Stop()
		var peak Memory
		for {
			m := readMemory()
			peak.Heap, peak.Sys = max(peak.Heap, m.Heap), max(peak.Sys, m.Sys)
			select {
			case <-ctx.Done():
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// byteCounter is an io.Writer that only counts: where the headless
// printer writes the target's log, to measure its rate without a disk.
type byteCounter struct{ n atomic.Uint64 }

func (c *byteCounter) Write(p []byte) (int, error) {
	c.n.Add(uint64(len(p)))
	return len(p), nil
}

// errNotLoopback refuses a dial that would leave the machine.
var errNotLoopback = errors.New("stress: the target may dial loopback addresses only")

// dialCounter is the target's dialer: it counts every outbound attempt, per
// second since start, and dials loopback only, so that the made-up
// addresses of an addr flood never reach another machine.
type dialCounter struct {
	start   time.Time
	timeout time.Duration
	mu      sync.Mutex
	perSec  []int // attempts in each second since start
}

func newDialCounter(timeout time.Duration) *dialCounter {
	return &dialCounter{start: time.Now(), timeout: timeout}
}

// maxDialSeconds bounds the per-second table; later attempts count in its last second.
const maxDialSeconds = 3600

func (d *dialCounter) dial(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
	sec := min(int(time.Since(d.start)/time.Second), maxDialSeconds-1)
	d.mu.Lock()
	for len(d.perSec) <= sec {
		d.perSec = append(d.perSec, 0)
	}
	d.perSec[sec]++
	d.mu.Unlock()
	if !a.Addr().Unmap().IsLoopback() {
		return nil, errNotLoopback
	}
	nd := net.Dialer{Timeout: d.timeout}
	return nd.DialContext(ctx, "tcp", a.String())
}

// counts returns the total attempts from second from on, and the most in any one second.
func (d *dialCounter) counts(from time.Time) (total, peak int) {
	first := max(0, int(from.Sub(d.start)/time.Second))
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := first; i < len(d.perSec); i++ {
		total += d.perSec[i]
		peak = max(peak, d.perSec[i])
	}
	return total, peak
}

// rttProbe times the honest peer's pings from its own events: a sent ping
// and the pong with the same nonce, each stamped when it crossed the socket.
type rttProbe struct {
	mu      sync.Mutex
	from    time.Time            // pings sent before this are not counted
	pending map[string]time.Time // by nonce
	rtts    []time.Duration
}

// maxPending bounds the pings waiting for an answer; an honest peer pings
// once per interval, so only a pong-less target fills it.
const maxPending = 1 << 16

func newRTTProbe() *rttProbe { return &rttProbe{pending: map[string]time.Time{}} }

// startAt makes only pings sent from t on count.
func (p *rttProbe) startAt(t time.Time) {
	p.mu.Lock()
	p.from = t
	p.mu.Unlock()
}

func (p *rttProbe) event(e peer.Event) {
	_, nonce, ok := strings.Cut(e.Text, "|")
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case e.Kind == peer.KindSend && e.Command == "ping" && !p.from.IsZero() && !e.At.Before(p.from) && len(p.pending) < maxPending:
		p.pending[nonce] = e.At
	case e.Kind == peer.KindRecv && e.Command == "pong":
		if sent, ok := p.pending[nonce]; ok {
			delete(p.pending, nonce)
			p.rtts = append(p.rtts, e.At.Sub(sent))
		}
	}
}

// RTT summarises round trips: pings still unanswered at the end count with
// the time they had waited by then.
type RTT struct {
	Samples    int
	Unanswered int
	P99, Worst time.Duration
}

func (p *rttProbe) result(end time.Time) RTT {
	p.mu.Lock()
	all := slices.Clone(p.rtts)
	r := RTT{Unanswered: len(p.pending)}
	for _, sent := range p.pending {
		all = append(all, end.Sub(sent))
	}
	p.mu.Unlock()
	r.Samples = len(all)
	if len(all) == 0 {
		return r
	}
	slices.Sort(all)
	r.Worst = all[len(all)-1]
	r.P99 = all[percentileIndex(len(all), 99)]
	return r
}

// percentileIndex is the nearest-rank index of the pct-th percentile of n sorted samples.
func percentileIndex(n, pct int) int {
	i := (n*pct + 99) / 100 // ceil(n*pct/100), 1-based
	return max(0, min(n, i)-1)
}
