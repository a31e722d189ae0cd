package peer

import "time"

// TokenBucket allows Rate events a second on average and Burst of them at
// once. The zero time means full. Not safe for concurrent use.
type TokenBucket struct {
	Rate   float64 // tokens added per second
	Burst  float64 // most tokens held
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// tokenSlack absorbs float rounding, so that a token due at Wait's time is
// there when that time comes.
const tokenSlack = 1e-9

func (b *TokenBucket) refill(now time.Time) {
	if b.at.IsZero() {
		b.tokens = b.Burst
	} else if now.After(b.at) {
		b.tokens = min(b.Burst, b.tokens+now.Sub(b.at).Seconds()*b.Rate)
	}
	if now.After(b.at) {
		b.at = now
	}
}

// Available is how many events the bucket allows at now.
func (b *TokenBucket) Available(now time.Time) int {
	b.refill(now)
	return int(b.tokens + tokenSlack)
}

// Take spends one token (callers check Available first).
func (b *TokenBucket) Take(now time.Time) {
	b.refill(now)
	b.tokens--
}

// Wait is how long after now the next token is there (0: now).
func (b *TokenBucket) Wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens+tokenSlack >= 1 || b.Rate <= 0 {
		return 0
	}
	d := time.Duration((1 - b.tokens) / b.Rate * float64(time.Second))
	return max(d, time.Millisecond)
}
