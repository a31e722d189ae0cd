package stress

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitclone/bitclone/headless"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// AttackAll runs every attack at once (see RunAll).
const AttackAll = "all"

// The targets issue 9 sets for the all scenario.
const (
	TargetP99  = 20 * time.Millisecond
	TargetHeap = 64 << 20
)

// All is the all scenario: every attack at once on one target, beside an
// honest peer. Zero fields take the defaults in brackets (the sizes).
type All struct {
	Duration         time.Duration // how long the attacks run [30s]
	FDLimit          int           // the process's descriptor limit during the attack [1024]
	PingInterval     time.Duration // the target's and the honest peer's [100ms]
	HandshakeTimeout time.Duration // the target's [2s]
	WarnPeers        int           // peers in the warning flood [20]
	WarnRate         int           // unsolicited pongs, and as many malformed rejects, per peer per second [900]; a dropped peer reconnects
	// Target is the target's connection target [64]: more than the
	// attackers hold, so that it keeps dialling the addr flood's addresses.
	Target       int
	Slowloris    int           // connections sending their version a byte at a time [200]
	SlowlorisGap time.Duration // between two bytes of one connection [200ms]
	PingsPerConn int           // pings per connection of the ping flooder [1000000]
	AddrMsgs     int           // addr messages in the addr flood [1000]
	PerAddr      int           // made-up addresses per addr message [1000]
	// Stalled leaves the target's events unread during the attack, as a
	// front end that has stopped would; otherwise the headless printer
	// writes them to a byte counter.
	Stalled bool
}

// advertiseInterval is the target's during the all scenario: frequent
// enough to matter, rare enough not to be an attack of our own.
const advertiseInterval = 2 * time.Second

func (a All) withDefaults() All {
	peer.OrDefault(&a.Duration, 30*time.Second)
	peer.OrDefault(&a.FDLimit, 1024)
	peer.OrDefault(&a.PingInterval, 100*time.Millisecond)
	peer.OrDefault(&a.HandshakeTimeout, 2*time.Second)
	peer.OrDefault(&a.WarnPeers, 20)
	peer.OrDefault(&a.WarnRate, 900)
	peer.OrDefault(&a.Target, bitclone.DefaultMaxInbound)
	peer.OrDefault(&a.Slowloris, 200)
	peer.OrDefault(&a.SlowlorisGap, 200*time.Millisecond)
	peer.OrDefault(&a.PingsPerConn, 1_000_000)
	peer.OrDefault(&a.AddrMsgs, 1000)
	peer.OrDefault(&a.PerAddr, 1000)
	return a
}

// FrontEnd names the front-end phase of a scenario.
func (a All) FrontEnd() string {
	if a.Stalled {
		return "stalled"
	}
	return "live"
}

// AllReport is what the all scenario measured.
type AllReport struct {
	All
	Took time.Duration // how long the attacks ran

	// The honest peer: HonestKept says its connection survived; RTT are its
	// pings' round trips during the attack and two intervals after.
	HonestKept bool
	// HonestEnd is why the honest peer's connection ended, as its own node
	// said, when it did not survive.
	HonestEnd string
	RTT       RTT

	// Memory of the whole process (target, honest peer, attackers) before
	// the attack and at its peak during it.
	MemBefore, MemPeak Memory

	// Dials counts the target's outbound connection attempts during the
	// attack; DialsPeak the most in one second.
	Dials, DialsPeak int

	// LogBytes is what the headless printer wrote of the target's events
	// during the attack (live front end only).
	LogBytes uint64
	// Backlog is how many events were waiting when the stalled front end
	// started reading again (after the attack); EventsDropped how many message events the
	// target's bus dropped for a slow front end.
	Backlog       int
	EventsDropped uint64
	// EventsSuppressed is how many warnings, errors and connection events
	// the target's bus folded into summaries for a slow front end.
	EventsSuppressed uint64

	// What the target reported in its events (for a stalled front end,
	// read once it resumed): connections closed by reason kind, warnings,
	// failed accepts.
	Reasons      map[string]int
	Warnings     int
	AcceptErrors int

	// What each attacker achieved, seen from its side.
	Silent     SilentResult
	Pings      PingResult
	Addrs      AddrResult
	Slowloris  SlowlorisResult
	NeverRead  NeverReadResult
	NeverReadQ uint64 // bytes the target wrote to the never-reading peer by the end
	Warn       WarnResult

	Book, Limit int // the target's address book afterwards, and its bound
}

// DialsPerSecond is the target's average dial rate during the attack.
func (r AllReport) DialsPerSecond() float64 { return perSecond(float64(r.Dials), r.Took) }

// LogBytesPerSecond is the headless log's average rate during the attack.
func (r AllReport) LogBytesPerSecond() float64 { return perSecond(float64(r.LogBytes), r.Took) }

func perSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}

// Missed lists the targets that the run missed: the honest peer
// dropped, its 99th-percentile round trip at or over TargetP99, the heap's
// peak at or over TargetHeap.
func (r AllReport) Missed() []string {
	var missed []string
	if !r.HonestKept {
		missed = append(missed, "the honest peer was dropped: "+cmp.Or(r.HonestEnd, "its node gave no reason"))
	}
	if r.RTT.Samples == 0 || r.RTT.P99 >= TargetP99 {
		missed = append(missed, fmt.Sprintf("honest p99 round trip %s, want under %s", r.RTT.P99.Round(100*time.Microsecond), TargetP99))
	}
	if r.MemPeak.Heap >= TargetHeap {
		missed = append(missed, fmt.Sprintf("peak heap %.1f MiB, want under %d MiB", float64(r.MemPeak.Heap)/(1<<20), TargetHeap>>20))
	}
	return missed
}

// readyWait bounds how long the silent connections wait for the other
// attackers' first connections before filling the descriptor table.
const readyWait = 5 * time.Second

// RunAll starts a target and an honest peer on loopback, lowers the
// process's descriptor limit, runs every attack at once for sc.Duration,
// restores the limit and reports what it measured.
func RunAll(ctx context.Context, sc All) (AllReport, error) {
	sc = sc.withDefaults()
	rep := AllReport{All: sc}
	cfg := bitclone.Config{
		ListenHost: "127.0.0.1", UserAgent: "target",
		PingInterval: sc.PingInterval, AdvertiseInterval: advertiseInterval,
		IdleTimeout:      max(4*sc.PingInterval, 2*sc.HandshakeTimeout),
		HandshakeTimeout: sc.HandshakeTimeout,
		Target:           sc.Target,
	}

	log := &targetLog{}
	resume := make(chan struct{})
	var resumeOnce sync.Once
	resumeFront := func() { resumeOnce.Do(func() { close(resume) }) }
	counter := &byteCounter{}
	frontEnd := func(ch <-chan []peer.Event) { log.print(ch, counter) }
	if sc.Stalled {
		frontEnd = func(ch <-chan []peer.Event) { <-resume; log.drain(ch) }
	}
	dials := newDialCounter(sc.HandshakeTimeout)
	target, stopTarget, err := launch(cfg, frontEnd, bitclone.WithDialer(dials.dial))
	if err != nil {
		return rep, err
	}
	defer stopTarget()
	defer resumeFront() // before stopTarget: it waits for the front end

	probe := newRTTProbe()
	var ends sync.Map // the honest node's closed connections: ConnID -> reason
	honestCfg := cfg
	honestCfg.UserAgent, honestCfg.Target = "honest", 1
	honest, stopHonest, err := launch(honestCfg, func(ch <-chan []peer.Event) {
		for batch := range ch {
			for _, e := range batch {
				probe.event(e)
				if e.Kind == peer.KindClosed {
					ends.Store(e.ConnID, e.Text)
				}
			}
		}
	})
	if err != nil {
		return rep, err
	}
	defer stopHonest()
	conn, err := connectTo(ctx, honest, target.Addr().String())
	if err != nil {
		return rep, err
	}
	log.exclude(conn.Local)

	restore, err := lowerFDLimit(sc.FDLimit)
	if err != nil {
		return rep, err
	}
	defer restore()

	rep.MemBefore = readMemory()
	begin := time.Now() // before the timeout starts, so that Took >= Duration
	attackCtx, endAttack := context.WithTimeout(ctx, sc.Duration)
	defer endAttack()
	attackers, stopAttackers := context.WithCancel(ctx)
	defer stopAttackers()
	watch := newWatcher(honest, conn)
	watched := make(chan struct{})
	go func() { defer close(watched); watch.run(attackers) }()
	memCtx, stopMem := context.WithCancel(ctx)
	defer stopMem()
	peak := sampleMemory(memCtx)

	probe.startAt(begin)
	counter.n.Store(0)
	addr := target.Addr().String()
	var wg sync.WaitGroup
	ready := make(chan struct{}, 5) // one place per signal: a late one never blocks
	signal := func() { ready <- struct{}{} }
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	// All at once, in three steps a fraction of a second apart: the
	// attackers that hold one connection first, then the slowloris
	// connections (which would get the others evicted mid-handshake), then
	// the silent connections that fill the descriptor table.
	run(func() { rep.Warn = floodWarnings(attackers, addr, sc.WarnPeers, sc.WarnRate, signal) })
	var neverReadLocal atomic.Pointer[string]
	run(func() {
		rep.NeverRead = neverRead(attackers, addr, func(local string) { neverReadLocal.Store(&local); signal() })
	})
	run(func() { rep.Pings = floodPingsUntil(attackers, addr, sc.PingsPerConn, signal) })
	run(func() {
		cl, err := dialRetry(attackers, addr)
		signal()
		if err == nil {
			sent := cl.floodAddrs(attackers, sc.AddrMsgs, sc.PerAddr, 1)
			rep.Addrs = AddrResult{Msgs: sent, Addrs: sent * sc.PerAddr}
		}
	})
	waitReady(attackCtx, ready, 4)
	run(func() { rep.Slowloris = slowloris(attackers, addr, sc.Slowloris, sc.SlowlorisGap, signal) })
	waitReady(attackCtx, ready, 1)
	started := time.Since(begin)
	run(func() { rep.Silent = holdSilent(attackers, addr); rep.Silent.StartedAfter = started })

	<-attackCtx.Done()
	rep.Took = time.Since(begin)
	rep.LogBytes = counter.n.Load()
	rep.Dials, rep.DialsPeak = dials.counts(begin)
	snap := target.Snapshot()
	for _, c := range snap.Conns {
		if local := neverReadLocal.Load(); local != nil && c.Remote == *local {
			rep.NeverReadQ = c.BytesOut
		}
	}
	stopAttackers()
	wg.Wait()
	if err := restore(); err != nil {
		return rep, err
	}
	// Two more ping rounds, so that pings sent late in the attack are answered.
	pause(ctx, 2*sc.PingInterval)
	<-watched
	stopMem()
	rep.MemPeak = <-peak
	rep.HonestKept = watch.kept && connStillUp(honest, conn.ID)
	rep.RTT = probe.result(time.Now())

	if sc.Stalled {
		log.resume(resumeFront)
	}
	snap = target.Snapshot()
	rep.Book, rep.Limit, rep.EventsDropped = len(snap.Addrs), bitclone.DefaultMaxAddrs, snap.Dropped
	rep.EventsSuppressed = snap.Suppressed
	stopHonest() // its front end has read every event, the close too
	if why, ok := ends.Load(conn.ID); ok && !rep.HonestKept {
		rep.HonestEnd = why.(string)
	}
	stopTarget() // the log has every event once the target stopped
	rep.Reasons, rep.Warnings, rep.AcceptErrors, rep.Backlog = log.tally()
	return rep, ctx.Err()
}

func waitReady(ctx context.Context, ready <-chan struct{}, n int) {
	deadline := time.NewTimer(readyWait)
	defer deadline.Stop()
	for range n {
		select {
		case <-ready:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func connStillUp(n *bitclone.Node, id uint64) bool {
	c, ok := n.Conn(id)
	return ok && c.State == peer.StateEstablished
}

// targetLog is the target's front end during the all scenario: it counts
// what the scenario reports and, when live, prints every event with the
// headless printer.
type targetLog struct {
	mu       sync.Mutex
	honest   string // the honest peer's address: its events are not the attack's
	reasons  map[string]int
	warnings int
	accepts  int
	// For a stalled front end: when it resumed, and how many of the events
	// it read happened before then (they waited for it).
	resumedAt time.Time
	backlog   int
}

func (l *targetLog) exclude(peerAddr string) {
	l.mu.Lock()
	l.honest = peerAddr
	l.mu.Unlock()
}

func (l *targetLog) count(batch []peer.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reasons == nil {
		l.reasons = map[string]int{}
	}
	for _, e := range batch {
		if e.At.Before(l.resumedAt) {
			l.backlog++
		}
		switch {
		case e.Kind == peer.KindClosed && e.Suppressed > 0:
			l.reasons["not shown one by one"] += int(e.Suppressed)
		case e.Kind == peer.KindClosed && e.Peer != l.honest:
			l.reasons[reasonKind(e.Text)]++
		case e.Kind == peer.KindWarn:
			l.warnings += int(max(1, e.Suppressed)) // a summary stands for many
		case e.Kind == peer.KindError && strings.HasPrefix(e.Text, "accept:"):
			l.accepts++
		}
	}
}

func (l *targetLog) tally() (reasons map[string]int, warnings, accepts, backlog int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reasons, l.warnings, l.accepts, l.backlog
}

// resume lets a stalled front end read from now on.
func (l *targetLog) resume(start func()) {
	l.mu.Lock()
	l.resumedAt = time.Now()
	l.mu.Unlock()
	start()
}

// print counts the events and hands them to the headless printer, which
// writes them to w, until ch closes.
func (l *targetLog) print(ch <-chan []peer.Event, w *byteCounter) {
	// Unbuffered: a buffered tee would be one more batch of the target's
	// events held in memory, the harness's, on top of the bus's stages.
	tee := make(chan []peer.Event)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		headless.Run(context.Background(), eventsOnly{tee}, nil, w, headless.Options{Location: time.UTC})
	}()
	for batch := range ch {
		l.count(batch)
		tee <- batch
	}
	close(tee)
	<-printed
}

// drain counts events until ch closes.
func (l *targetLog) drain(ch <-chan []peer.Event) {
	for batch := range ch {
		l.count(batch)
	}
}

// eventsOnly is a node for the headless printer: the events of the target,
// through the tee, and nothing else (it reads no commands).
type eventsOnly struct{ ch chan []peer.Event }

func (e eventsOnly) Events() <-chan []peer.Event { return e.ch }
func (eventsOnly) Do(peer.Command) error         { return fmt.Errorf("stress: no commands") }
func (eventsOnly) Snapshot() peer.Snapshot       { return peer.Snapshot{} }
func (eventsOnly) Validate(string) peer.Verdict  { return peer.Verdict{} }
