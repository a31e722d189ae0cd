package peer

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestBusDropsOnlyLossyEventsAndCountsThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(10)
		// Nobody reads yet: fill the channel, and the pump's hands, so the
		// pump is stuck.
		for range 300 {
			b.Publish(Event{Kind: KindInfo})
			synctest.Wait()
		}
		// 100 message lines with connection events among them: only the
		// backlog of message lines fits, every connection event does.
		for i := range 100 {
			b.Publish(Event{Kind: KindRecv, Text: fmt.Sprint(i)})
			if i%10 == 0 {
				b.Publish(Event{Kind: KindClosed, Text: fmt.Sprint("closed ", i)})
			}
		}
		counts := map[Kind]int{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for batch := range b.Events() {
				for _, e := range batch {
					counts[e.Kind]++
				}
			}
		}()
		b.Close()
		<-done
		if counts[KindClosed] != 10 || counts[KindInfo] != 300 {
			t.Errorf("delivered %d closed and %d info events, want all 10 and 300", counts[KindClosed], counts[KindInfo])
		}
		if counts[KindRecv] != 10 || b.Dropped() != 90 {
			t.Errorf("delivered %d message lines and dropped %d, want 10 and 90", counts[KindRecv], b.Dropped())
		}
	})
}

func TestBusKeepsOrder(t *testing.T) {
	b := NewBus(0)
	go func() {
		for i := range 1000 {
			kind := KindSend
			if i%7 == 0 {
				kind = KindInfo
			}
			b.Publish(Event{Kind: kind, Text: fmt.Sprint(i)})
		}
		b.Close()
	}()
	next := 0
	for batch := range b.Events() {
		if len(batch) == 0 {
			t.Fatal("an empty batch")
		}
		for _, e := range batch {
			if e.Text != fmt.Sprint(next) {
				t.Fatalf("got event %q, want %d", e.Text, next)
			}
			next++
		}
	}
	if next != 1000 {
		t.Fatalf("got %d events, want 1000", next)
	}
}

func TestBusCloseGivesUpOnAnAbsentReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(0)
		for range 3 { // a batch in the channel, one in the pump's hands, one queued
			b.Publish(Event{Kind: KindInfo})
			synctest.Wait()
		}
		start := time.Now()
		b.Close() // nobody reads: Close must still return
		if waited := time.Since(start); waited != flushGrace {
			t.Errorf("Close waited %s, want the %s grace", waited, flushGrace)
		}
		b.Publish(Event{Kind: KindInfo}) // after Close: dropped, no panic
	})
}

func TestBusReusesReleasedBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(0)
		defer b.Close()
		first := make([]Event, 1, 8)
		first[0] = Event{Kind: KindRecv, Text: "1"}
		if next := b.publishBatch(first); cap(next) != 0 {
			t.Fatalf("a spare batch before any was released: cap %d", cap(next))
		}
		got := <-b.Events()
		if &got[0] != &first[0] {
			t.Fatal("the batch was copied, not handed over")
		}
		b.Release(got)
		if got[0].Text != "" {
			t.Error("a released batch still holds its events")
		}
		synctest.Wait()
		next := b.publishBatch([]Event{{Kind: KindRecv, Text: "2"}})
		if cap(next) == 0 || &next[:1][0] != &first[0] {
			t.Fatalf("the next batch does not reuse the released one")
		}
		if e := (<-b.Events())[0]; e.Text != "2" {
			t.Errorf("delivered %q, want 2", e.Text)
		}
	})
}

// stallBus returns a bus whose pump is stuck: one batch waits in the
// channel, one in the pump's hands, so that what is published next queues.
func stallBus(t *testing.T) *Bus {
	b := NewBus(10)
	for range 2 {
		b.Publish(Event{Kind: KindInfo, Text: "stall"})
		synctest.Wait()
	}
	return b
}

// queued is how many events, and how many non-lossy ones, wait in b's queue.
func (b *Bus) queued() (events, notices, folds int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue), b.notices, len(b.folds.order)
}

// readAll closes b and returns every event it delivers, the stalled ones
// left out.
func readAll(b *Bus) []Event {
	var got []Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range b.Events() {
			for _, e := range batch {
				if e.Text != "stall" {
					got = append(got, e)
				}
			}
		}
	}()
	b.Close()
	<-done
	return got
}

func TestBusCapsWarningsAndSummarisesThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := stallBus(t)
		peers := []string{"127.0.0.1:5000", "127.0.0.1:5001"}
		texts := []string{"pong nonce %d matches no outstanding ping", "malformed reject: bad code %d"}
		const total = 100_000
		for i := range total {
			b.Publish(Event{Kind: KindWarn, Peer: peers[i%2], Text: fmt.Sprintf(texts[i/2%2], i)})
		}
		if events, notices, folds := b.queued(); events > MaxQueuedNotices || notices > MaxQueuedNotices || folds != 4 {
			t.Fatalf("queued %d events (%d non-lossy) and %d counts, want at most %d and 4", events, notices, folds, MaxQueuedNotices)
		}
		if got := b.Suppressed(); got != total-MaxQueuedNotices {
			t.Errorf("Suppressed() = %d, want %d", got, total-MaxQueuedNotices)
		}
		// Each peer and kind of warning, verbatim plus summarised, adds up.
		seen := map[string]uint64{}
		summaries := 0
		for _, e := range readAll(b) {
			key := e.Peer + " " + SimilarKey(e.Text)
			if e.Suppressed > 0 {
				summaries++
				want := fmt.Sprintf("%d similar warnings from %s suppressed", e.Suppressed, e.Peer)
				if e.Kind != KindWarn || !strings.HasPrefix(e.Text, want) {
					t.Errorf("summary %v %q, want a warning %q...", e.Kind, e.Text, want)
				}
				key = e.Peer + " " + strings.TrimSuffix(e.Text[strings.LastIndex(e.Text, "(")+1:], ")")
				seen[key] += e.Suppressed
				continue
			}
			seen[key]++
		}
		if summaries != 4 {
			t.Errorf("%d summaries, want 4", summaries)
		}
		for _, p := range peers {
			for _, k := range []string{"pong nonce", "malformed reject"} {
				if n := seen[p+" "+k]; n != total/4 {
					t.Errorf("%s %q: %d warnings delivered or summarised, want %d", p, k, n, total/4)
				}
			}
		}
	})
}

func TestBusFoldsConnectionEventsPastTheCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := stallBus(t)
		// A peer reconnecting in a loop: a new port each time.
		const loops = 5000
		for i := range loops {
			p := fmt.Sprintf("127.0.0.1:%d", 10000+i)
			b.Publish(Event{Kind: KindConnected, Peer: p, ConnID: uint64(i + 1)})
			b.Publish(Event{Kind: KindClosed, Peer: p, ConnID: uint64(i + 1), Text: "EOF"})
		}
		if events, _, folds := b.queued(); events > MaxQueuedNotices || folds != 2 {
			t.Fatalf("queued %d events and %d counts, want at most %d and 2", events, folds, MaxQueuedNotices)
		}
		counts := map[Kind]uint64{}
		for _, e := range readAll(b) {
			counts[e.Kind] += max(1, e.Suppressed)
		}
		if counts[KindConnected] != loops || counts[KindClosed] != loops {
			t.Errorf("%d connected and %d closed delivered or counted, want %d each", counts[KindConnected], counts[KindClosed], loops)
		}
		if got := b.Suppressed(); got != 2*loops-MaxQueuedNotices {
			t.Errorf("Suppressed() = %d, want %d", got, 2*loops-MaxQueuedNotices)
		}
	})
}

func TestBusBoundsItsCountsWhenManyPeersWarn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := stallBus(t)
		const peers, each = 10_000, 3
		for i := range peers * each {
			b.Publish(Event{Kind: KindWarn, Peer: fmt.Sprintf("127.0.0.1:%d", i/each), Text: "malformed reject: x"})
		}
		if _, _, folds := b.queued(); folds > maxFolds+1 {
			t.Fatalf("%d counts kept, want at most %d", folds, maxFolds+1)
		}
		var total uint64
		others := false
		for _, e := range readAll(b) {
			total += max(1, e.Suppressed)
			others = others || strings.Contains(e.Text, "from other peers suppressed")
		}
		if total != peers*each || !others {
			t.Errorf("%d warnings delivered or counted (a summary for other peers: %v), want %d and one", total, others, peers*each)
		}
	})
}

// TestBusCapsTheBytesOfWaitingLines checks that huge message lines (a full
// addr is 30 kB) waiting for a stalled front end hold at most
// MaxQueuedEventBytes, not a backlog's worth, and that the rest are counted
// as dropped.
func TestBusCapsTheBytesOfWaitingLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(DefaultBusBacklog)
		for range 3 { // the pump's hands and the channel: it is stuck
			b.Publish(Event{Kind: KindInfo})
			synctest.Wait()
		}
		line := "addr|1000" + strings.Repeat("|1700000000|10.0.0.1:8333", 1000)
		const sent = 1000
		for range sent / 10 { // as a Conn publishes: batches of a socket read
			batch := make([]Event, 10)
			for i := range batch {
				batch[i] = Event{Kind: KindRecv, Text: line, Raw: []byte(line[:MaxEventRaw])}
			}
			b.publishBatch(batch)
		}
		if room, wanted := b.room(); room != 0 || !wanted {
			t.Errorf("room() = %d, %v with the bytes cap reached, want 0, true: lines that would be dropped are not worth building", room, wanted)
		}
		lines, bytes := 0, 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			for batch := range b.Events() {
				for _, e := range batch {
					if e.Kind == KindRecv {
						lines++
						bytes += len(e.Text) + len(e.Raw)
					}
				}
			}
		}()
		b.Close()
		<-done
		if bytes > MaxQueuedEventBytes || lines == 0 {
			t.Errorf("%d lines of %d bytes waited for the front end, %d bytes in all; want some, at most %d bytes", lines, len(line), bytes, MaxQueuedEventBytes)
		}
		if got := uint64(lines) + b.Dropped(); got != sent {
			t.Errorf("delivered %d and dropped %d of %d lines", lines, b.Dropped(), sent)
		}
	})
}

// TestBusTellsTheFrontEndWhatItDropped: message events dropped for a slow
// front end are not a silent gap: the front end gets a warning with their
// number after the events that did fit, at most once a second, and the
// last count before the bus closes.
func TestBusTellsTheFrontEndWhatItDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(10)
		stall := func() { // fill the channel and the pump's hands
			for range 2 {
				b.Publish(Event{Kind: KindInfo})
				synctest.Wait()
			}
		}
		var got []Event
		read := func() {
			for {
				select {
				case batch := <-b.Events():
					got = append(got, batch...)
				default:
					synctest.Wait()
					if len(b.Events()) == 0 {
						return
					}
				}
			}
		}
		notices := func() (n []string, at []time.Time) {
			for _, e := range got {
				if e.Kind == KindWarn {
					n, at = append(n, e.Text), append(at, e.At)
				}
			}
			return n, at
		}

		stall()
		for i := range 100 {
			b.Publish(Event{Kind: KindRecv, Text: fmt.Sprint(i)})
		}
		read()
		texts, _ := notices()
		if len(texts) != 1 || !strings.HasPrefix(texts[0], "90 message events not shown") {
			t.Fatalf("after 90 drops, warnings %q", texts)
		}
		if last := got[len(got)-1]; last.Kind != KindWarn {
			t.Errorf("the warning is not after the events that fit: last event %s %q", last.Kind, last.Text)
		}

		// More drops at once: told a second after the first warning, not before.
		got = nil
		stall()
		for i := range 15 {
			b.Publish(Event{Kind: KindRecv, Text: fmt.Sprint(i)})
		}
		read()
		if texts, _ := notices(); len(texts) != 0 {
			t.Fatalf("told again within a second: %q", texts)
		}
		time.Sleep(dropNoticeEvery)
		read()
		texts, _ = notices()
		if len(texts) != 1 || !strings.HasPrefix(texts[0], "5 message events not shown") {
			t.Fatalf("a second later, warnings %q, want the 5 new drops", texts)
		}

		// Drops just before Close are told at once.
		got = nil
		stall()
		for i := range 12 {
			b.Publish(Event{Kind: KindRecv, Text: fmt.Sprint(i)})
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for batch := range b.Events() {
				got = append(got, batch...)
			}
		}()
		b.Close()
		<-done
		if texts, _ := notices(); len(texts) != 1 || !strings.HasPrefix(texts[0], "2 message events not shown") {
			t.Fatalf("at close, warnings %q, want the last 2 drops", texts)
		}
	})
}

// TestBusTellsOfDropsThatNoEventFollows: message events a connection did
// not even build, for lack of room, are told like those the bus dropped,
// though no event comes after them to wake the bus.
func TestBusTellsOfDropsThatNoEventFollows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(10)
		defer b.Close()
		synctest.Wait() // the bus waits for something to happen
		skipped := eventBatch{wanted: true, skipped: 7}
		skipped.publish(b)
		time.Sleep(dropNoticeEvery) // while the bus runs: not only at its close
		synctest.Wait()
		select {
		case batch := <-b.Events():
			if len(batch) != 1 || !strings.HasPrefix(batch[0].Text, "7 message events not shown") {
				t.Errorf("events %v, want one warning of the 7 not built", batch)
			}
		default:
			t.Error("nothing told of the 7 events not built")
		}
	})
}

// TestBusTellsEveryDropOnceQuiet: whatever the mix of a flood and a slow
// front end, once the bus has been quiet for dropNoticeEvery the warnings
// it sent add up to every event it dropped.
func TestBusTellsEveryDropOnceQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(100)
		defer b.Close()
		var told uint64
		var mu sync.Mutex
		go func() {
			for batch := range b.Events() {
				for _, e := range batch {
					var n uint64
					if _, err := fmt.Sscanf(e.Text, "%d message events not shown", &n); err == nil && e.Kind == KindWarn {
						mu.Lock()
						told += n
						mu.Unlock()
					}
				}
				time.Sleep(time.Millisecond) // a slow front end
			}
		}()
		for round := range 50 {
			for i := range 300 {
				b.Publish(Event{Kind: KindRecv, Text: fmt.Sprint(round, i)})
			}
			skipped := eventBatch{wanted: true, skipped: uint64(round)}
			skipped.publish(b)
			time.Sleep(37 * time.Millisecond)
		}
		time.Sleep(2 * dropNoticeEvery)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if told != b.Dropped() || told == 0 {
			t.Errorf("told of %d dropped events, the bus dropped %d", told, b.Dropped())
		}
	})
}
