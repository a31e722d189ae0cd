package bitclone

import "time"

// tokenBucket allows rate events a second on average and burst of them at
// once. The zero time means full. Not safe for concurrent use.
type tokenBucket struct {
	rate   float64 // tokens added per second
	burst  float64 // most tokens held
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// tokenSlack absorbs float rounding, so that a token due at wait's time is
// there when that time comes.
const tokenSlack = 1e-9

func (b *tokenBucket) refill(now time.Time) {
	if b.at.IsZero() {
		b.tokens = b.burst
	} else if now.After(b.at) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	}
	if now.After(b.at) {
		b.at = now
	}
}

// available is how many events the bucket allows at now.
func (b *tokenBucket) available(now time.Time) int {
	b.refill(now)
	return int(b.tokens + tokenSlack)
}

// take spends one token (callers check available first).
func (b *tokenBucket) take(now time.Time) {
	b.refill(now)
	b.tokens--
}

// wait is how long after now the next token is there (0: now).
func (b *tokenBucket) wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens+tokenSlack >= 1 || b.rate <= 0 {
		return 0
	}
	d := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	return max(d, time.Millisecond)
}
