package stress

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// The attacks a Scenario can run.
const (
	AttackHandshakes = "handshakes" // Count connections that never handshake
	AttackPings      = "pings"      // one peer sends Count pings
	AttackAddrs      = "addrs"      // one peer sends Count addr messages of PerAddr addresses
)

// Scenario is one attack on a node of ours, watched by an honest peer.
type Scenario struct {
	Attack       string
	Count        int
	PerAddr      int           // addresses per addr message (default 1000)
	PingInterval time.Duration // the target's and the honest peer's (default 500ms)
	// HandshakeTimeout is the target's (default 2s); connections that never
	// handshake are held a little longer than this.
	HandshakeTimeout time.Duration
	// NoFloodLimit turns the target's per-peer message rate limit off, to
	// see it answer a whole flood.
	NoFloodLimit bool
}

// Report is what a scenario observed.
type Report struct {
	Scenario
	Sent     int           // connections opened, pings or addr messages written
	Answered int           // pongs the ping flooder got back
	Took     time.Duration // how long the attack ran
	// Closed is how many attacking connections the target closed, and
	// Reasons why (distinct reasons, with counts).
	Closed  int
	Reasons map[string]int
	// Refused counts connections the target refused at accept.
	Refused int
	// NewcomerWait is how long an honest peer arriving during a handshake
	// attack took to establish its connection (NewcomerErr if it failed).
	NewcomerWait time.Duration
	NewcomerErr  error
	// HonestKept says the honest peer's connection survived the attack;
	// HonestPongs counts pongs it got meanwhile, and HonestWorstWait is the
	// longest one of its pings waited for an answer.
	HonestKept      bool
	HonestPongs     uint64
	HonestWorstWait time.Duration
	// HeapBefore and HeapPeak are the process's live heap before and at
	// most during the attack (sampled every 50 ms).
	HeapBefore, HeapPeak uint64
	// Book is the target's address book size afterwards, Limit its bound.
	Book, Limit int
}

// OK reports whether the target came through as it must: the honest peer
// kept its connection and had every ping answered within the interval, and
// the address book stayed within its limit.
func (r Report) OK() bool {
	return r.HonestKept && r.HonestWorstWait <= r.PingInterval && r.Book <= r.Limit && r.NewcomerErr == nil
}

func (s Scenario) withDefaults() Scenario {
	if s.PerAddr == 0 {
		s.PerAddr = 1000
	}
	if s.PingInterval == 0 {
		s.PingInterval = 500 * time.Millisecond
	}
	if s.HandshakeTimeout == 0 {
		s.HandshakeTimeout = 2 * time.Second
	}
	return s
}

// Run starts a target node and an honest peer on loopback, runs the attack
// and reports what happened.
func Run(ctx context.Context, sc Scenario) (Report, error) {
	sc = sc.withDefaults()
	rep := Report{Scenario: sc, Reasons: map[string]int{}}
	cfg := bitclone.Config{
		ListenHost: "127.0.0.1", UserAgent: "target",
		PingInterval: sc.PingInterval, AdvertiseInterval: sc.PingInterval,
		// Longer than the handshake timeout, so each limit shows as itself.
		IdleTimeout:      max(4*sc.PingInterval, 2*sc.HandshakeTimeout),
		HandshakeTimeout: sc.HandshakeTimeout,
	}
	if sc.NoFloodLimit {
		cfg.MaxMsgRate = -1
	}
	target, stopTarget, targetEvents, err := start(cfg)
	if err != nil {
		return rep, err
	}
	defer stopTarget()
	honestCfg := cfg
	honestCfg.UserAgent, honestCfg.Seeds, honestCfg.Target = "honest", nil, 1
	honest, stopHonest, _, err := start(honestCfg)
	if err != nil {
		return rep, err
	}
	defer stopHonest()
	conn, err := connectTo(ctx, honest, target.Addr().String())
	if err != nil {
		return rep, err
	}

	watch := newWatcher(honest, conn)
	rep.HeapBefore = heap()
	attackCtx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); watch.run(attackCtx) }()

	start := time.Now()
	addr := target.Addr().String()
	switch sc.Attack {
	case AttackHandshakes:
		holdCtx, stopHold := context.WithTimeout(ctx, sc.HandshakeTimeout+sc.HandshakeTimeout/2)
		held := make(chan struct{})
		go func() {
			defer close(held)
			rep.Sent, _, err = HoldHandshakes(holdCtx, addr, sc.Count)
		}()
		// While the silent connections are held, can a newcomer get in?
		time.Sleep(sc.HandshakeTimeout / 4)
		rep.NewcomerWait, rep.NewcomerErr = newcomer(ctx, cfg, addr)
		<-held
		stopHold()
	case AttackPings:
		rep.Sent, rep.Answered, err = FloodPings(ctx, addr, sc.Count)
	case AttackAddrs:
		rep.Sent, err = FloodAddrs(ctx, addr, sc.Count, sc.PerAddr, 1)
	default:
		err = fmt.Errorf("stress: unknown attack %q (want %s, %s or %s)", sc.Attack, AttackHandshakes, AttackPings, AttackAddrs)
	}
	rep.Took = time.Since(start)
	// Let the honest peer go through two more ping rounds after the attack.
	select {
	case <-ctx.Done():
	case <-time.After(2 * sc.PingInterval):
	}
	cancel()
	<-watched
	if err != nil {
		return rep, err
	}

	rep.HonestKept, rep.HonestPongs, rep.HonestWorstWait, rep.HeapPeak = watch.result()
	snap := target.Snapshot()
	rep.Book, rep.Limit, rep.Refused = len(snap.Addrs), bitclone.DefaultMaxAddrs, int(snap.Refused)
	for _, e := range targetEvents() {
		if e.Kind == peer.KindClosed && e.Peer != conn.Remote {
			rep.Closed++
			rep.Reasons[reasonKind(e.Text)]++
		}
	}
	return rep, nil
}

// newcomer starts an honest node that dials addr and times its handshake.
func newcomer(ctx context.Context, cfg bitclone.Config, addr string) (time.Duration, error) {
	cfg.UserAgent, cfg.Target = "newcomer", 1
	n, stop, _, err := start(cfg)
	if err != nil {
		return 0, err
	}
	defer stop()
	begin := time.Now()
	if _, err := connectTo(ctx, n, addr); err != nil {
		return 0, err
	}
	return time.Since(begin), nil
}

// connectTo has n dial addr and waits for the connection to be established.
func connectTo(ctx context.Context, n *bitclone.Node, addr string) (peer.ConnInfo, error) {
	if err := n.Do(peer.Command{Op: peer.OpConnect, Targets: []string{addr}}); err != nil {
		return peer.ConnInfo{}, err
	}
	return waitEstablished(ctx, n)
}

// reasonKind shortens a close reason to its kind ("flood", "handshake
// timeout"), so that reasons can be counted.
func reasonKind(reason string) string {
	kind, _, _ := strings.Cut(reason, ":")
	if op, _, ok := strings.Cut(kind, " tcp "); ok {
		return op // "read tcp 127.0.0.1:...: connection reset by peer": "read"
	}
	return kind
}

// start runs a node whose events are recorded.
func start(cfg bitclone.Config) (*bitclone.Node, func(), func() []peer.Event, error) {
	var mu sync.Mutex
	var events []peer.Event
	n, stop, err := launch(cfg, func(ch <-chan []peer.Event) {
		for batch := range ch {
			mu.Lock()
			for _, e := range batch {
				if !e.Kind.Lossy() {
					events = append(events, e)
				}
			}
			mu.Unlock()
		}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	recorded := func() []peer.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]peer.Event(nil), events...)
	}
	return n, stop, recorded, nil
}

// launch runs a node and hands its event channel to frontEnd, which must
// read it until it closes. stop ends the node and waits for frontEnd.
func launch(cfg bitclone.Config, frontEnd func(<-chan []peer.Event), opts ...bitclone.Option) (n *bitclone.Node, stop func(), err error) {
	n = bitclone.New(cfg, opts...)
	if err := n.Listen(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran, fed := make(chan struct{}), make(chan struct{})
	go func() { defer close(ran); n.Run(ctx) }()
	go func() { defer close(fed); frontEnd(n.Events()) }()
	return n, func() { cancel(); <-ran; <-fed }, nil
}

func waitEstablished(ctx context.Context, n *bitclone.Node) (peer.ConnInfo, error) {
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, c := range n.Snapshot().Conns {
			if c.State == peer.StateEstablished {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			return peer.ConnInfo{}, ctx.Err()
		case <-deadline:
			return peer.ConnInfo{}, fmt.Errorf("stress: the honest peer never connected")
		case <-tick.C:
		}
	}
}

// heap is the heap's objects, read without stopping the world (which
// runtime.ReadMemStats does, and the watcher reads every 50 ms).
func heap() uint64 { return readMemory().Heap }

// watcher samples the honest peer's connection and the heap during an attack.
type watcher struct {
	node  *bitclone.Node
	conn  peer.ConnInfo
	kept  bool
	pongs uint64
	worst time.Duration
	peak  uint64
}

func newWatcher(n *bitclone.Node, c peer.ConnInfo) *watcher {
	return &watcher{node: n, conn: c, kept: true}
}

func (w *watcher) run(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var waitingSince time.Time
	for {
		now := time.Now()
		w.peak = max(w.peak, heap())
		// Conn, not Snapshot: a snapshot copies the honest peer's whole
		// address book, which the attack fills, and that garbage counted
		// in the peak heap the scenario reports.
		cur, ok := w.node.Conn(w.conn.ID)
		if !ok {
			w.kept = false
			return
		}
		w.pongs = cur.In["pong"].Msgs - w.conn.In["pong"].Msgs
		switch {
		case cur.PingWait && waitingSince.IsZero():
			waitingSince = now
		case !cur.PingWait && !waitingSince.IsZero():
			waitingSince = time.Time{}
		}
		if !waitingSince.IsZero() {
			w.worst = max(w.worst, now.Sub(waitingSince))
		}
		w.worst = max(w.worst, cur.PingLast)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (w *watcher) result() (kept bool, pongs uint64, worst time.Duration, peak uint64) {
	return w.kept, w.pongs, w.worst, w.peak
}
