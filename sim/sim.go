// Package sim runs a whole BitClone network of real nodes over loopback
// sockets in one process, and measures how it converges and what it costs.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// Options shape a simulated network. Zero values take the defaults shown.
type Options struct {
	Nodes             int           // network size (default 10)
	Target            int           // connections each node keeps (default 5)
	PingInterval      time.Duration // default 2s
	AdvertiseInterval time.Duration // default 2s
	IdleTimeout       time.Duration // default 6s
	Steady            time.Duration // steady-state window for traffic figures (default 10s)
	Timeout           time.Duration // give up converging after this (default 2m)
	Seed              uint64        // who seeds whom (default 1)
	Progress          io.Writer     // progress lines while it runs (nil: none)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.Nodes == 0 {
		o.Nodes = 10
	}
	if o.Target == 0 {
		o.Target = bitclone.DefaultTarget
	}
	def(&o.PingInterval, 2*time.Second)
	def(&o.AdvertiseInterval, 2*time.Second)
	def(&o.IdleTimeout, 6*time.Second)
	def(&o.Steady, 10*time.Second)
	def(&o.Timeout, 2*time.Minute)
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// Report is what a run measured.
type Report struct {
	Nodes  int
	Target int
	// Connected is the time from the first dial until every node had
	// min(Target, Nodes-1) established connections.
	Connected time.Duration
	// Known is the time until every node knew at least 95% of the other
	// nodes' addresses.
	Known time.Duration
	// ConnEnds counts established connections at steady state, each end
	// once (so twice the number of TCP connections).
	ConnEnds int
	// MsgsPerNodeMin and BytesPerNodeMin are what one node sends per minute
	// at steady state, averaged over the nodes.
	MsgsPerNodeMin  float64
	BytesPerNodeMin float64
	// HeapPerNode is the heap an idle node costs; HeapPerConn what one
	// connection end adds. GoroutinesPerNode and GoroutinesPerConn likewise.
	HeapPerNode       float64
	HeapPerConn       float64
	GoroutinesPerNode float64
	GoroutinesPerConn float64
	// Dropped counts events dropped because the (draining) front end fell
	// behind, over all nodes.
	Dropped uint64
}

// Run builds the network, waits for it to converge, measures it at steady
// state and tears it down.
func Run(ctx context.Context, opts Options) (Report, error) {
	o := opts.withDefaults()
	if o.Nodes < 2 {
		return Report{}, errors.New("sim: need at least 2 nodes")
	}
	rep := Report{Nodes: o.Nodes, Target: o.Target}

	heap0, g0 := settle()
	net := &network{}
	defer net.stop()
	for range o.Nodes {
		if err := net.start(bitclone.Config{
			ListenHost:        "127.0.0.1",
			UserAgent:         "sim",
			Target:            o.Target,
			PingInterval:      o.PingInterval,
			AdvertiseInterval: o.AdvertiseInterval,
			IdleTimeout:       o.IdleTimeout,
			RetryBase:         200 * time.Millisecond,
			RetryMax:          5 * time.Second,
			EventBacklog:      64,
		}); err != nil {
			return rep, err
		}
	}
	heap1, g1 := settle()
	rep.HeapPerNode = float64(heap1-heap0) / float64(o.Nodes)
	rep.GoroutinesPerNode = float64(g1-g0) / float64(o.Nodes)
	fmt.Fprintf(o.Progress, "sim: %d nodes listening\n", o.Nodes)

	// Each node dials one random node started before it: a random tree,
	// which gossip must turn into a well-connected network.
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed))
	start := time.Now()
	for i := 1; i < o.Nodes; i++ {
		seed := net.nodes[rng.IntN(i)].Addr().String()
		if err := net.nodes[i].Do(peer.Command{Op: peer.OpConnect, Targets: []string{seed}}); err != nil {
			return rep, fmt.Errorf("sim: node %d: %w", i, err)
		}
	}

	want := min(o.Target, o.Nodes-1)
	deadline := time.After(o.Timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for rep.Connected == 0 || rep.Known == 0 {
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-deadline:
			return rep, fmt.Errorf("sim: not converged after %s: %s", o.Timeout, net.status(want))
		case <-tick.C:
		}
		conns, known := net.progress(want)
		if rep.Connected == 0 && conns {
			rep.Connected = time.Since(start)
			fmt.Fprintf(o.Progress, "sim: every node has %d connections after %s\n", want, rep.Connected.Round(time.Millisecond))
		}
		if rep.Known == 0 && known {
			rep.Known = time.Since(start)
			fmt.Fprintf(o.Progress, "sim: every node knows 95%% of the network after %s\n", rep.Known.Round(time.Millisecond))
		}
	}

	// Steady state: traffic over a window, then memory and goroutines.
	before := net.sent()
	select {
	case <-ctx.Done():
		return rep, ctx.Err()
	case <-time.After(o.Steady):
	}
	after := net.sent()
	perMin := float64(time.Minute) / float64(o.Steady) / float64(o.Nodes)
	rep.MsgsPerNodeMin = float64(after.msgs-before.msgs) * perMin
	rep.BytesPerNodeMin = float64(after.bytes-before.bytes) * perMin
	rep.ConnEnds = after.conns
	heap2, g2 := settle()
	if rep.ConnEnds > 0 {
		rep.HeapPerConn = float64(int64(heap2)-int64(heap1)) / float64(rep.ConnEnds)
		rep.GoroutinesPerConn = float64(g2-g1) / float64(rep.ConnEnds)
	}
	rep.Dropped = net.dropped()
	return rep, nil
}

// settle collects garbage and reads the live heap and goroutine count.
func settle() (heap uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, runtime.NumGoroutine()
}

// network is the running nodes, each with its events drained.
type network struct {
	nodes   []*bitclone.Node
	cancels []context.CancelFunc
	wg      sync.WaitGroup
}

func (w *network) start(cfg bitclone.Config) error {
	n := bitclone.New(cfg)
	if err := n.Listen(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.nodes = append(w.nodes, n)
	w.cancels = append(w.cancels, cancel)
	w.wg.Add(2)
	go func() { defer w.wg.Done(); n.Run(ctx) }()
	go func() {
		defer w.wg.Done()
		for range n.Events() {
		}
	}()
	return nil
}

func (w *network) stop() {
	for _, c := range w.cancels {
		c()
	}
	w.wg.Wait()
}

// progress reports whether every node has want connections, and whether
// every node knows 95% of the others' addresses.
func (w *network) progress(want int) (connected, known bool) {
	connected, known = true, true
	for _, n := range w.nodes {
		s := n.Snapshot()
		if s.Inbound+s.Outbound < want {
			connected = false
		}
		if float64(len(s.Addrs)) < 0.95*float64(len(w.nodes)-1) {
			known = false
		}
	}
	return connected, known
}

func (w *network) status(want int) string {
	short, unaware := 0, 0
	for _, n := range w.nodes {
		s := n.Snapshot()
		if s.Inbound+s.Outbound < want {
			short++
		}
		if float64(len(s.Addrs)) < 0.95*float64(len(w.nodes)-1) {
			unaware++
		}
	}
	return fmt.Sprintf("%d nodes below %d connections, %d knowing under 95%% of the network", short, want, unaware)
}

type traffic struct {
	msgs, bytes uint64
	conns       int
}

// sent totals what every node has sent on its current connections.
func (w *network) sent() traffic {
	var t traffic
	for _, n := range w.nodes {
		for _, c := range n.Snapshot().Conns {
			t.msgs += c.MsgsOut
			t.bytes += c.BytesOut
			if c.State == peer.StateEstablished {
				t.conns++
			}
		}
	}
	return t
}

func (w *network) dropped() uint64 {
	var d uint64
	for _, n := range w.nodes {
		d += n.Snapshot().Dropped
	}
	return d
}
