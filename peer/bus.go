package peer

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBusBacklog is how many message events may wait for a slow front end
// before further ones are dropped (and counted).
const DefaultBusBacklog = 4096

// MaxQueuedEventBytes caps the bytes (Text and Raw) of the message events
// waiting for a slow front end, as DefaultBusBacklog caps their number: an
// addr line is 30 kB, so a backlog of them held a flood's worth of memory
// (in the stress scenario, with the front end stalled). Beyond it message events are dropped and counted as the
// backlog's are. 4096 lines of up to 128 bytes (text and wire copy) fit.
const MaxQueuedEventBytes = 1 << 20

// MaxQueuedNotices caps the events that are never dropped (warnings,
// errors, connection changes, notes) waiting for a slow front end. A peer
// chooses how many of them we see (bad lines, reconnections), so past the
// cap they are folded into counts, per kind, peer and SimilarKey, and each
// count reaches the front end as one summary event once it reads again.
// Connection changes are counted per kind only: Node.Snapshot stays the
// exact truth of the connections.
const MaxQueuedNotices = 1024

// maxFolds caps the distinct counts kept while folding; events that would
// need a new one share one count per kind ("from other peers").
const maxFolds = 256

// Released batches kept for reuse: a few, and none so big that keeping it
// would hold a flood's memory.
const (
	maxFreeBatches = 4
	maxKeptBatch   = 4 * DefaultBusBacklog
)

// flushGrace bounds how long Close waits for a front end to take the last events.
const flushGrace = time.Second

// dropNoticeEvery is how often, at most, the front end is told that message
// events were dropped: a transcript or log then says where it has gaps,
// without a line per batch in a flood.
const dropNoticeEvery = time.Second

// Bus carries events from the node to one front end. Publish never blocks:
// lossy events (message lines, learned addresses) beyond the backlog are dropped and counted, while the
// others (connection changes, warnings, errors, notes) are never lost: beyond
// MaxQueuedNotices they are counted, and summarised once the front end reads. A pump goroutine, started by NewBus and ended by Close,
// moves queued events onto the channel that Events returns.
type Bus struct {
	mu      sync.Mutex
	queue   []Event
	backlog int
	closed  bool
	// notices counts the non-lossy events queued, and folds what came past
	// MaxQueuedNotices (both under mu).
	notices int
	folds   folds
	// lossy counts lossy events queued. It changes under mu; Conns read it
	// without the lock, once per socket read, to know how many message
	// events are worth building.
	lossy atomic.Int64
	// lossyBytes is the Text and Raw bytes of the lossy events queued.
	// Like lossy it changes under mu and room reads it without.
	lossyBytes atomic.Int64
	// quiet: nobody wants lossy events; they are neither built nor counted.
	quiet atomic.Bool

	dropped    atomic.Uint64
	suppressed atomic.Uint64
	publishes  atomic.Uint64 // times events were queued (one lock, one wake each)
	free       [][]Event     // batches released by the front end, for reuse
	told       uint64        // dropped events the front end was told of (pump only)
	toldAt     time.Time     // when it was last told (pump only)
	wake       chan struct{}
	out        chan []Event
	stop       chan struct{}
	done       chan struct{}
}

// NewBus starts a bus that holds at most backlog message events (<= 0:
// DefaultBusBacklog). Call Close to end it.
func NewBus(backlog int) *Bus {
	if backlog <= 0 {
		backlog = DefaultBusBacklog
	}
	b := &Bus{
		backlog: backlog,
		wake:    make(chan struct{}, 1),
		// One batch in the channel and one in the pump's hands: with the
		// queue's backlog, at most three backlogs of message events wait,
		// and three times MaxQueuedNotices other events (with summaries).
		out:  make(chan []Event, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go b.pump()
	return b
}

// Events is the channel the front end reads: each value is a batch of
// events in order, never empty, that the reader owns. It is closed after
// Close.
func (b *Bus) Events() <-chan []Event { return b.out }

// Dropped counts message events dropped because the front end fell behind.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }

// Suppressed counts non-lossy events folded into summaries because the
// front end fell behind (see MaxQueuedNotices).
func (b *Bus) Suppressed() uint64 { return b.suppressed.Load() }

// SetQuiet tells the bus whether anybody wants lossy events (message lines,
// learned addresses). While quiet, they are discarded at once and not
// counted as dropped, and connections do not even build them.
func (b *Bus) SetQuiet(quiet bool) { b.quiet.Store(quiet) }

// Publish queues e without blocking. Events published after Close are dropped.
func (b *Bus) Publish(e Event) {
	if e.Kind.Lossy() && b.quiet.Load() {
		return
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.publishes.Add(1)
	b.queueLocked([]Event{e})
	b.mu.Unlock()
	signal(b.wake)
}

// countDropped counts n message events dropped before they reached the
// bus, and wakes the pump, which tells the front end (tellDrops) even if
// no event follows them.
func (b *Bus) countDropped(n uint64) {
	b.dropped.Add(n)
	signal(b.wake)
}

// room is how many lossy events the bus would take now, and whether anybody
// wants them at all. A Conn asks once per socket read and builds no more
// message events than that, so a flood the front end cannot keep up with
// costs no allocation.
func (b *Bus) room() (n int, wanted bool) {
	if b.quiet.Load() {
		return 0, false
	}
	if b.lossyBytes.Load() > MaxQueuedEventBytes-2*MaxEventRaw {
		// Too little left for a long line (its text and wire copy), the
		// kind of line that fills the cap: do not build what would be dropped.
		return 0, true
	}
	return max(0, b.backlog-int(b.lossy.Load())), true
}

// publishBatch queues events in order with one lock and one wake; lossy
// events beyond the backlog are dropped and counted. When nothing else is
// queued it keeps the slice itself, to hand to the front end as it is. It
// returns an empty slice for the caller's next batch: events, emptied, or
// one that a front end released.
func (b *Bus) publishBatch(events []Event) []Event {
	if len(events) == 0 {
		return events
	}
	lossy, lossyBytes := 0, 0
	for i := range events {
		if events[i].Kind.Lossy() {
			lossy++
			lossyBytes += events[i].size()
		}
	}
	notices := len(events) - lossy
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		clear(events)
		return events[:0]
	}
	b.publishes.Add(1)
	if len(b.queue) == 0 && b.lossy.Load()+int64(lossy) <= int64(b.backlog) &&
		b.lossyBytes.Load()+int64(lossyBytes) <= MaxQueuedEventBytes && notices <= MaxQueuedNotices {
		// The common case: no copy, the batch goes to the front end whole.
		next := b.queue
		if next == nil {
			next = b.popFree()
		}
		b.queue = events
		b.lossy.Add(int64(lossy))
		b.lossyBytes.Add(int64(lossyBytes))
		b.notices = notices
		b.mu.Unlock()
		signal(b.wake)
		return next
	}
	b.queueLocked(events)
	b.mu.Unlock()
	signal(b.wake)
	clear(events) // the queue has copies
	return events[:0]
}

// queueLocked appends events to the queue, dropping (and counting) lossy
// ones beyond the backlog or MaxQueuedEventBytes and folding others beyond
// MaxQueuedNotices.
// Called with b.mu held.
func (b *Bus) queueLocked(events []Event) {
	lossy, bytes, dropped := b.lossy.Load(), b.lossyBytes.Load(), uint64(0)
	for _, e := range events {
		if e.Kind.Lossy() {
			size := int64(e.size())
			if lossy >= int64(b.backlog) || bytes+size > MaxQueuedEventBytes {
				dropped++
				continue
			}
			lossy++
			bytes += size
		} else {
			if b.notices >= MaxQueuedNotices {
				b.folds.add(e)
				b.suppressed.Add(1)
				continue
			}
			b.notices++
		}
		b.queue = append(b.queue, e)
	}
	b.lossy.Store(lossy)
	b.lossyBytes.Store(bytes)
	if dropped > 0 {
		b.dropped.Add(dropped)
	}
}

// size is the memory an event's texts hold, for MaxQueuedEventBytes.
func (e *Event) size() int { return len(e.Text) + len(e.Raw) }

// Release hands back a batch the front end is done with (it must not touch
// it again), so that a later batch reuses its memory: a busy connection
// brings millions of events a second, and allocating a batch for each burst
// keeps the garbage collector busy. Releasing is optional.
func (b *Bus) Release(batch []Event) {
	if cap(batch) == 0 || cap(batch) > maxKeptBatch {
		return
	}
	clear(batch) // let their texts go
	b.mu.Lock()
	if len(b.free) < maxFreeBatches {
		b.free = append(b.free, batch[:0])
	}
	b.mu.Unlock()
}

// popFree returns a released batch, emptied, or nil. Called with b.mu held.
func (b *Bus) popFree() []Event {
	n := len(b.free)
	if n == 0 {
		return nil
	}
	s := b.free[n-1]
	b.free[n-1] = nil
	b.free = b.free[:n-1]
	return s
}

// EventReleaser is a Node whose front end may hand back each batch of
// events once it is done with it (see Bus.Release).
type EventReleaser interface {
	ReleaseEvents(batch []Event)
}

// Close stops the bus: events already queued are still delivered for up to a
// second (so a front end sees the last connections close), then the channel
// closes. Close is idempotent and returns once the pump has ended.
func (b *Bus) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.stop)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *Bus) pump() {
	defer close(b.done)
	defer close(b.out)
	var grace <-chan time.Time     // set once stopping
	var noticeDue <-chan time.Time // set while drops wait to be told
	for {
		// Take the whole queue at once and hand it over as one batch: one
		// channel operation however many events a burst brought.
		batch := b.takeAll()
		batch, noticeDue = b.tellDrops(batch, grace != nil, noticeDue)
		if len(batch) == 0 {
			if grace != nil { // stopping and nothing left
				return
			}
			select {
			case <-b.wake:
			case <-noticeDue:
				noticeDue = nil
			case <-b.stop:
				grace = time.After(flushGrace)
			}
			continue
		}
		if !b.deliver(batch, &grace) {
			return
		}
	}
}

// tellDrops appends a warning to batch when message events were dropped
// since the front end was last told, at most once per dropNoticeEvery, and
// at once when final (the bus is stopping). When it is too early, it
// returns a timer for when it may tell (due, if one is already set).
func (b *Bus) tellDrops(batch []Event, final bool, due <-chan time.Time) ([]Event, <-chan time.Time) {
	n := b.dropped.Load() - b.told
	if n == 0 {
		return batch, due
	}
	now := time.Now()
	if wait := b.toldAt.Add(dropNoticeEvery).Sub(now); wait > 0 && !final {
		if due == nil {
			due = time.After(wait)
		}
		return batch, due
	}
	b.told += n
	b.toldAt = now
	return append(batch, Event{At: now, Kind: KindWarn, Text: fmt.Sprintf(
		"%d message events not shown: the front end fell behind (the peers table counts every message; --record writes every frame)", n)}), nil
}

// deliver sends batch to the front end; once the bus is stopping it gives
// up when the grace period ends.
func (b *Bus) deliver(batch []Event, grace *<-chan time.Time) bool {
	select {
	case b.out <- batch:
		return true
	case <-b.stop:
	}
	if *grace == nil {
		*grace = time.After(flushGrace)
	}
	select {
	case b.out <- batch:
		return true
	case <-*grace:
		return false
	}
}

// takeAll empties the queue and returns what was queued. The slice goes to
// the front end, which owns it from then on.
func (b *Bus) takeAll() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 && b.folds.empty() {
		return nil
	}
	// What was folded came after everything queued: its summaries go last.
	q := b.folds.appendSummaries(b.queue, time.Now())
	b.queue = b.popFree()
	b.lossy.Store(0) // every queued event is taken
	b.lossyBytes.Store(0)
	b.notices = 0
	return q
}

// foldKey is what folded events share: warnings, errors and notes are
// told apart by peer and SimilarKey, connection changes only by kind;
// others marks the count of those that found no room of their own.
type foldKey struct {
	kind      Kind
	peer, key string
	others    bool
}

// folds counts the events folded since the front end last took a batch, in
// the order their kinds first came.
type folds struct {
	order []foldKey
	n     map[foldKey]uint64
}

func (f *folds) empty() bool { return len(f.order) == 0 }

func (f *folds) add(e Event) {
	k := foldKey{kind: e.Kind}
	switch e.Kind {
	case KindConnected, KindEstablished, KindClosed:
	default:
		k.peer, k.key = e.Peer, SimilarKey(e.Text)
	}
	if f.n == nil {
		f.n = make(map[foldKey]uint64)
	}
	if _, ok := f.n[k]; !ok && len(f.order) >= maxFolds {
		k = foldKey{kind: e.Kind, others: true}
	}
	if _, ok := f.n[k]; !ok {
		f.order = append(f.order, k)
	}
	f.n[k]++
}

// appendSummaries appends one summary event per count to q and forgets the
// counts.
func (f *folds) appendSummaries(q []Event, at time.Time) []Event {
	for _, k := range f.order {
		n := f.n[k]
		e := Event{At: at, Kind: k.kind, Peer: k.peer, Suppressed: n}
		switch {
		case k.kind == KindConnected || k.kind == KindEstablished || k.kind == KindClosed:
			e.Text = fmt.Sprintf("%d similar connection events suppressed (the peers table is exact)", n)
		case k.others:
			e.Text = fmt.Sprintf("%d further %s from other peers suppressed", n, plural(k.kind))
		default:
			from := k.peer
			if from == "" {
				from = "the node"
			}
			e.Text = fmt.Sprintf("%d similar %s from %s suppressed", n, plural(k.kind), from)
			if k.key != "" {
				e.Text += " (" + k.key + ")"
			}
		}
		q = append(q, e)
	}
	clear(f.n)
	f.order = f.order[:0]
	return q
}

// plural names events of kind k in a summary.
func plural(k Kind) string {
	switch k {
	case KindWarn:
		return "warnings"
	case KindError:
		return "errors"
	}
	return k.String() + " events"
}
