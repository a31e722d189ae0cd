package addrbook

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// fullBook returns a book of size entries with a spread of ages and failures:
// a quarter live, a quarter never active, some in backoff.
func fullBook(size int) *Book {
	b := New(size)
	for i := range size {
		a := benchAddr(i)
		var ts time.Time
		if i%4 != 0 {
			ts = t0.Add(-time.Duration(i) * time.Second)
		}
		b.Learn(a, ts, SourceGossip, netip.AddrPort{}, t0)
		if i%3 == 0 {
			b.MarkAttempt(a, t0)
			for range i % 5 {
				b.MarkFailed(a)
			}
		}
	}
	return b
}

func benchAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 8088)
}

// BenchmarkLearnFull learns fresh addresses into a full book, so every call
// evicts one entry; the small book is the baseline (log n growth expected).
func BenchmarkLearnFull(b *testing.B) {
	for _, size := range []int{256, DefaultMaxEntries} {
		b.Run(fmt.Sprint("entries=", size), func(b *testing.B) {
			book := fullBook(size)
			i := size
			now := t0
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(time.Millisecond)
				if !book.Learn(benchAddr(i), now, SourceGossip, netip.AddrPort{}, now) {
					b.Fatal("fresh address not added to a full book")
				}
				i++
			}
		})
	}
}

// BenchmarkCandidates runs on a small and a full book, asking for the usual
// handful (n=8) and for every candidate (n=all, the full sort). The ratio
// between sizes shows the growth: n log n means about 10x for 8x the entries.
func BenchmarkCandidates(b *testing.B) {
	for _, size := range []int{256, DefaultMaxEntries} {
		for _, n := range []int{8, 0} {
			name := fmt.Sprintf("entries=%d/n=%d", size, n)
			if n == 0 {
				name = fmt.Sprintf("entries=%d/n=all", size)
			}
			b.Run(name, func(b *testing.B) {
				book := fullBook(size)
				skip := func(a netip.AddrPort) bool { return a.Addr().As4()[3] == 7 }
				now := t0.Add(3 * time.Second)
				b.ReportAllocs()
				for b.Loop() {
					if got := book.Candidates(now, 90*time.Second, time.Second, 8*time.Second, n, skip); len(got) < 8 {
						b.Fatalf("only %d candidates", len(got))
					}
				}
			})
		}
	}
}

// BenchmarkLoadFullBook loads a full book's worth of addresses from a file
// that holds about that many (the baseline) and from a 20 MiB file. Load stops
// once the book is full, so the ratio of both time and B/op should be about 1,
// not the file-size ratio (about 250x).
func BenchmarkLoadFullBook(b *testing.B) {
	const lineLen = len("10.0.7.255:8088 1700000000 gossip\n") // the longest in a full book
	for _, size := range []int{len(fileHeader) + DefaultMaxEntries*lineLen, 20 << 20} {
		b.Run(fmt.Sprintf("file=%dKiB", size>>10), func(b *testing.B) {
			path := bigPeersFile(b, size)
			b.ReportAllocs()
			for b.Loop() {
				entries, _, err := NewFile(path).Load(DefaultMaxEntries, nil)
				if err != nil || len(entries) != DefaultMaxEntries {
					b.Fatalf("loaded %d entries, %v", len(entries), err)
				}
			}
		})
	}
}
