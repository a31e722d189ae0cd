package humanize

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 21, 30, 0, 0, time.UTC)

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", -time.Second: "0s", 59 * time.Second: "59s", 61 * time.Second: "1m01s",
		5*time.Minute + 7*time.Second: "5m07s", 2*time.Hour + 5*time.Minute: "2h05m", 50 * time.Hour: "2d02h",
	} {
		if got := Age(t0.Add(d), t0); got != want {
			t.Errorf("Age(+%v) = %q, want %q", d, got, want)
		}
	}
	if got := Age(t0, time.Time{}); got != "-" {
		t.Errorf("Age(zero) = %q, want -", got)
	}
}

func TestMillis(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "-", 250 * time.Microsecond: "0.2", 1500 * time.Microsecond: "1.5", 42 * time.Millisecond: "42", 2 * time.Second: "2000",
	} {
		if got := Millis(d); got != want {
			t.Errorf("Millis(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 1023: "1023", 1536: "1.5K", 5 << 20: "5.0M", 34 << 20: "34M", 3 << 30: "3.0G", 1 << 50: "1024T"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{1, "peer", "1 peer"}, {0, "peer", "0 peers"}, {3, "peer", "3 peers"},
		{2, "entry", "2 entries"}, {1, "entry", "1 entry"}, {2, "key", "2 keys"},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
