package peer

import "time"

// RateWindow is how far back a Rate looks: long enough to smooth the
// bursts of piece transfers, short enough that a stalled peer shows as
// stalled within seconds (rtorrent and Transmission use a few seconds too).
const RateWindow = 5 * time.Second

const rateSlots = int(RateWindow / time.Second)

// Rate measures a throughput (bytes per second) over the last RateWindow,
// in one-second slots: the download and upload rates of a Progress, and of
// each peer. Time is passed in, so tests need no clock. Not safe for
// concurrent use.
type Rate struct {
	slots [rateSlots]int64
	last  int64     // the Unix second of the newest slot
	first time.Time // the first Add (zero: none yet)
	total int64
}

// advance clears the slots of the seconds that passed since the last one.
func (r *Rate) advance(sec int64) {
	if sec <= r.last {
		return
	}
	for s := r.last + 1; s <= sec && s <= r.last+int64(rateSlots); s++ {
		r.slots[s%int64(rateSlots)] = 0
	}
	r.last = sec
}

// Add counts n bytes moved at now.
func (r *Rate) Add(n int64, now time.Time) {
	if r.first.IsZero() {
		r.first, r.last = now, now.Unix()
	}
	r.advance(now.Unix())
	r.slots[now.Unix()%int64(rateSlots)] += n
	r.total += n
}

// Total is every byte counted.
func (r *Rate) Total() int64 { return r.total }

// PerSecond is the rate at now over the window: the full seconds before
// this one and the part of this one gone by, or, for a meter younger than
// the window, the time since its first byte (at least a second, so the
// first byte is not taken for a huge rate).
func (r *Rate) PerSecond(now time.Time) float64 {
	if r.first.IsZero() {
		return 0
	}
	r.advance(now.Unix())
	var sum int64
	for _, v := range r.slots {
		sum += v
	}
	span := float64(rateSlots-1) + float64(now.Nanosecond())/1e9
	if since := now.Sub(r.first).Seconds(); since < span {
		span = max(since, 1)
	}
	return float64(sum) / span
}
