package peer

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func TestBusDropsOnlyLossyEventsAndCountsThem(t *testing.T) {
	b := NewBus(10)
	// Nobody reads yet: 100 message lines, and connection events among them.
	for i := range 100 {
		b.Publish(Event{Kind: KindRecv, Text: fmt.Sprint(i)})
		if i%10 == 0 {
			b.Publish(Event{Kind: KindClosed, Text: fmt.Sprint("closed ", i)})
		}
	}
	b.Close()
	var recv, closed int
	for e := range b.Events() {
		switch e.Kind {
		case KindRecv:
			recv++
		case KindClosed:
			closed++
		}
	}
	if closed != 10 {
		t.Errorf("delivered %d closed events, want all 10", closed)
	}
	if recv != 10 || b.Dropped() != 90 {
		t.Errorf("delivered %d message lines and dropped %d, want 10 and 90", recv, b.Dropped())
	}
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
	for e := range b.Events() {
		if e.Text != fmt.Sprint(next) {
			t.Fatalf("got event %q, want %d", e.Text, next)
		}
		next++
	}
	if next != 1000 {
		t.Fatalf("got %d events, want 1000", next)
	}
}

func TestBusCloseGivesUpOnAnAbsentReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBus(0)
		for range 1000 { // more than the channel holds
			b.Publish(Event{Kind: KindInfo})
		}
		start := time.Now()
		b.Close() // nobody reads: Close must still return
		if waited := time.Since(start); waited != flushGrace {
			t.Errorf("Close waited %s, want the %s grace", waited, flushGrace)
		}
		b.Publish(Event{Kind: KindInfo}) // after Close: dropped, no panic
	})
}
