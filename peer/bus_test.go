package peer

import (
	"fmt"
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
