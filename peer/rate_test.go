package peer

import (
	"math"
	"testing"
	"time"
)

func TestRateSteadyStreamAndStall(t *testing.T) {
	var r Rate
	t0 := time.Unix(1_000_000, 0)
	now := t0
	for ; now.Before(t0.Add(10*time.Second + 500*time.Millisecond)); now = now.Add(100 * time.Millisecond) {
		r.Add(100, now) // 1000 bytes a second
	}
	if got := r.PerSecond(now); math.Abs(got-1000) > 100 {
		t.Errorf("steady 1000 B/s measured as %.0f", got)
	}
	if r.Total() != 10500 {
		t.Errorf("total %d, want 10500", r.Total())
	}
	if got := r.PerSecond(now.Add(RateWindow + time.Second)); got != 0 {
		t.Errorf("stalled for a whole window: %.0f B/s, want 0", got)
	}
}

func TestRateYoungMeter(t *testing.T) {
	var r Rate
	if r.PerSecond(time.Unix(5, 0)) != 0 {
		t.Error("an empty meter has a rate")
	}
	t0 := time.Unix(1_000_000, 200_000_000)
	r.Add(500, t0)
	// Half a second in: the first byte is not taken for a rate of 1000/s,
	// nor spread over the whole window.
	if got := r.PerSecond(t0.Add(500 * time.Millisecond)); got != 500 {
		t.Errorf("after half a second: %.0f B/s, want 500 (over the minimum second)", got)
	}
	r.Add(1500, t0.Add(1500*time.Millisecond))
	if got := r.PerSecond(t0.Add(2 * time.Second)); got != 1000 {
		t.Errorf("2000 bytes in 2 s: %.0f B/s, want 1000", got)
	}
}

func TestRateLongGapClearsEverySlot(t *testing.T) {
	var r Rate
	t0 := time.Unix(1_000_000, 0)
	for i := range rateSlots {
		r.Add(1000, t0.Add(time.Duration(i)*time.Second))
	}
	later := t0.Add(time.Hour)
	r.Add(10, later)
	if got := r.PerSecond(later.Add(500 * time.Millisecond)); got != 10/4.5 {
		t.Errorf("after an hour's gap: %.3f B/s, want only the new 10 bytes over 4.5 s", got)
	}
}
