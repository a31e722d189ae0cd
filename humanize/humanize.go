// Package humanize writes the compact forms of ages, byte counts and round
// trips that the front ends print in their tables.
package humanize

import (
	"strconv"
	"strings"
	"time"
)

// Age is how long before now t was: 42s, 3m07s, 2h05m, 3d04h; "-" for the
// zero time, and 0s for a time in the future.
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	s := int64(max(now.Sub(t), 0) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m" + two(s%60) + "s"
	case s < 86400:
		return strconv.FormatInt(s/3600, 10) + "h" + two(s/60%60) + "m"
	}
	return strconv.FormatInt(s/86400, 10) + "d" + two(s/3600%24) + "h"
}

func two(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// Millis is a round trip in milliseconds, with one decimal below 10 ms;
// "-" for none.
func Millis(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	ms := float64(d) / float64(time.Millisecond)
	if ms < 10 {
		return strconv.FormatFloat(ms, 'f', 1, 64)
	}
	return strconv.FormatFloat(ms, 'f', 0, 64)
}

// Bytes is a byte count in binary units: 900, 1.5K, 34M, 5.0G.
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10)
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"K", "M", "G", "T"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + suffix
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + suffix
}

// Count is n things in words: "1 peer", "3 peers", "2 entries" (a noun
// ending in a consonant and y takes -ies).
func Count(n int, noun string) string {
	s := strconv.Itoa(n) + " "
	if n == 1 {
		return s + noun
	}
	if k := len(noun); k > 1 && noun[k-1] == 'y' && !strings.ContainsRune("aeiou", rune(noun[k-2])) {
		return s + noun[:k-1] + "ies"
	}
	return s + noun + "s"
}
