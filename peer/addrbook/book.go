package addrbook

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"
)

const (
	// DefaultMaxEntries is the book size used when New is given zero or less.
	DefaultMaxEntries = 2048
	// FutureSlack is how far ahead of now a claimed timestamp may be before it
	// is treated as a lie.
	FutureSlack = 10 * time.Minute
	// FuturePenalty is subtracted from now to replace a timestamp that was too
	// far in the future (Bitcoin Core's rule): the address is kept, but as stale.
	FuturePenalty = 5 * 24 * time.Hour
)

// Source says where the book first learned an address.
type Source uint8

const (
	SourceCommandLine Source = iota + 1 // "cli": given by the user; never evicted
	SourcePeersFile                     // "file": read from the peers file
	SourceGossip                        // "gossip": in an addr message from a peer
	SourceInbound                       // "inbound": a peer that connected to us, its listening address
	SourceOutbound                      // "outbound": we connected to it
)

var sourceNames = [...]string{
	SourceCommandLine: "cli",
	SourcePeersFile:   "file",
	SourceGossip:      "gossip",
	SourceInbound:     "inbound",
	SourceOutbound:    "outbound",
}

// String returns the word used in the peers file and the UI.
func (s Source) String() string {
	if s.known() {
		return sourceNames[s]
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

func (s Source) known() bool { return int(s) < len(sourceNames) && sourceNames[s] != "" }

// ParseSource is the inverse of Source.String.
func ParseSource(word string) (Source, error) {
	for s, name := range sourceNames {
		if name != "" && name == word {
			return Source(s), nil
		}
	}
	return 0, fmt.Errorf("unknown source %q", word)
}

// Entry is one address in the book. Entries handed out are copies.
type Entry struct {
	Addr        netip.AddrPort
	LastActive  time.Time      // zero = never seen active
	Source      Source         // first place we learned it (a later command-line mention wins, see Learn)
	From        netip.AddrPort // for SourceGossip: the peer that told us; zero otherwise
	Added       time.Time
	Attempts    int // failed dials since the last success
	LastAttempt time.Time
	// Reached is set once a connection we dialled to Addr completed its
	// handshake in this run: the address is known to work. (Not kept in the
	// peers file.)
	Reached bool
}

// Doubtful reports whether the address was never reached by a dial of ours
// and a dial to it has failed since: it is not worth passing on to others.
func (e Entry) Doubtful() bool { return !e.Reached && e.Attempts > 0 }

// Live reports whether the entry was active within expiry of now (inclusive).
func (e Entry) Live(now time.Time, expiry time.Duration) bool {
	return !e.LastActive.IsZero() && now.Sub(e.LastActive) <= expiry
}

// Book is a bounded set of addresses. The zero value is not usable; call New.
// A Book is not safe for concurrent use.
type Book struct {
	max    int
	byAddr map[netip.AddrPort]*slot
	evict  evictHeap // stalest first, so a full book evicts in O(log n)
}

// New returns an empty book holding at most maxEntries addresses
// (DefaultMaxEntries when maxEntries <= 0).
func New(maxEntries int) *Book {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &Book{
		max:    maxEntries,
		byAddr: make(map[netip.AddrPort]*slot),
	}
}

// Learn records an address. ts is the claimed last-active time: the zero time,
// or any time at or before the Unix epoch (the wire's "0"), means unknown. A ts
// more than FutureSlack ahead of now becomes now-FuturePenalty, a smaller skew
// becomes now, and LastActive only ever moves forward. from is kept only for
// SourceGossip. It returns true when the address was new to the book.
//
// Source records the first place the address was learned, except that a
// command-line mention always upgrades an entry to SourceCommandLine: the user
// asked for it, so it must be protected from eviction.
//
// When the book is full, the new address competes with the stalest entry
// (never-active first, then oldest LastActive, then most Attempts, then lowest
// address): the loser is dropped, and on a tie the existing entry stays, so a
// flood of old or unknown-time gossip cannot flush fresher addresses out.
// Command-line entries are never evicted, and a new command-line address always
// wins against any other kind; if only command-line entries remain the new
// address is dropped. Addresses that cannot be dialled (invalid, unspecified IP,
// port 0) are ignored and return false.
func (b *Book) Learn(addr netip.AddrPort, ts time.Time, src Source, from netip.AddrPort, now time.Time) (added bool) {
	if checkAddr(addr) != nil {
		return false
	}
	addr = normalize(addr)
	ts = clamp(ts, now)

	if s, ok := b.byAddr[addr]; ok {
		changed := false
		if ts.After(s.LastActive) {
			s.LastActive = ts
			changed = true
		}
		if src == SourceCommandLine && s.Source != SourceCommandLine {
			s.Source, s.From = SourceCommandLine, netip.AddrPort{}
			changed = true
		}
		if changed {
			heap.Fix(&b.evict, s.index)
		}
		return false
	}

	if len(b.evict) >= b.max {
		victim := b.evict[0]
		if victim.Source == SourceCommandLine {
			return false // only command-line entries left
		}
		if src != SourceCommandLine && !fresherThan(ts, victim) {
			return false
		}
		heap.Pop(&b.evict)
		delete(b.byAddr, victim.Addr)
	}

	s := &slot{Entry: Entry{Addr: addr, LastActive: ts, Source: src, Added: now}}
	if src == SourceGossip {
		s.From = normalize(from)
	}
	b.byAddr[addr] = s
	heap.Push(&b.evict, s)
	return true
}

// fresherThan reports whether a new address last active at ts (with no failed
// attempts) deserves victim's slot.
func fresherThan(ts time.Time, victim *slot) bool {
	if !ts.Equal(victim.LastActive) {
		return ts.After(victim.LastActive)
	}
	return victim.Attempts > 0
}

// MarkActive records that addr was seen alive at now. Unknown addresses are
// ignored: the caller decides what to learn, and from which source.
func (b *Book) MarkActive(addr netip.AddrPort, now time.Time) {
	if s, ok := b.byAddr[normalize(addr)]; ok && now.After(s.LastActive) {
		s.LastActive = now
		heap.Fix(&b.evict, s.index)
	}
}

// MarkAttempt records that a dial to addr started at now; the backoff in
// Candidates counts from here.
func (b *Book) MarkAttempt(addr netip.AddrPort, now time.Time) {
	if s, ok := b.byAddr[normalize(addr)]; ok {
		s.LastAttempt = now
	}
}

// MarkFailed records that a dial or handshake with addr failed.
func (b *Book) MarkFailed(addr netip.AddrPort) {
	if s, ok := b.byAddr[normalize(addr)]; ok {
		s.Attempts++
		heap.Fix(&b.evict, s.index)
	}
}

// MarkSuccess records a completed handshake with addr at now: the failure count
// resets and the address is live.
func (b *Book) MarkSuccess(addr netip.AddrPort, now time.Time) {
	if s, ok := b.byAddr[normalize(addr)]; ok {
		s.Attempts = 0
		if now.After(s.LastActive) {
			s.LastActive = now
		}
		heap.Fix(&b.evict, s.index)
	}
}

// MarkReached records that a connection we dialled to addr completed its
// handshake (see Entry.Reached).
func (b *Book) MarkReached(addr netip.AddrPort) {
	if s, ok := b.byAddr[normalize(addr)]; ok {
		s.Reached = true
	}
}

// Get returns a copy of addr's entry.
func (b *Book) Get(addr netip.AddrPort) (Entry, bool) {
	if s, ok := b.byAddr[normalize(addr)]; ok {
		return s.Entry, true
	}
	return Entry{}, false
}

// Len returns the number of addresses in the book.
func (b *Book) Len() int { return len(b.evict) }

// Remove forgets addr and reports whether it was in the book.
func (b *Book) Remove(addr netip.AddrPort) bool {
	addr = normalize(addr)
	s, ok := b.byAddr[addr]
	if ok {
		heap.Remove(&b.evict, s.index)
		delete(b.byAddr, addr)
	}
	return ok
}

// Entries returns a copy of every entry, most recently active first, then by
// address.
func (b *Book) Entries() []Entry {
	ss := b.collect(nil)
	slices.SortFunc(ss, byRecency)
	return copyOut(ss, 0)
}

// Live returns the entries active within expiry of now, most recently active
// first, at most limit of them (limit <= 0: all).
func (b *Book) Live(now time.Time, expiry time.Duration, limit int) []Entry {
	ss := b.collect(func(s *slot) bool { return s.Live(now, expiry) })
	slices.SortFunc(ss, byRecency)
	return copyOut(ss, limit)
}

// EachLive calls fn with the entries Live would return, in its order, until
// fn returns false. It copies no slice of entries: an addr answer, built for
// every getaddr, reads a full book's live entries and keeps only a wire
// form of each.
func (b *Book) EachLive(now time.Time, expiry time.Duration, fn func(Entry) bool) {
	ss := b.collect(func(s *slot) bool { return s.Live(now, expiry) })
	slices.SortFunc(ss, byRecency)
	for _, s := range ss {
		if !fn(s.Entry) {
			return
		}
	}
}

// Candidates returns the addresses worth dialling now, best first: live ones
// (most recently active first), then stale and never-active ones in the same
// order, ties going to fewer failed attempts, then the lower address.
//
// Every entry, live or not, must have waited out its backoff: with Attempts=k
// it may be retried min(base*2^(k-1), maxDelay) after LastAttempt (k=0: at
// once). Live entries are not exempt because gossip keeps refreshing the
// timestamps of unreachable addresses, which would otherwise be redialled on
// every tick. skip (may be nil) excludes addresses: connected, being dialled,
// banned, ourselves; it is asked only about entries out of backoff. At most n
// results (n <= 0: all). O(m log m) for m eligible entries; when n live
// candidates exist the stale ones are not even sorted.
func (b *Book) Candidates(now time.Time, expiry time.Duration, base, maxDelay time.Duration, n int, skip func(netip.AddrPort) bool) []Entry {
	eligible := func(s *slot) bool {
		if s.Attempts > 0 && now.Sub(s.LastAttempt) < Backoff(s.Attempts, base, maxDelay) {
			return false
		}
		return skip == nil || !skip(s.Addr)
	}
	ss := b.collect(eligible)

	// Live ones to the front, sorted; the rest are sorted only if needed.
	live := 0
	for i, s := range ss {
		if s.Live(now, expiry) {
			ss[live], ss[i] = ss[i], ss[live]
			live++
		}
	}
	slices.SortFunc(ss[:live], byPromise)
	if n <= 0 || live < n {
		slices.SortFunc(ss[live:], byPromise)
	}
	return copyOut(ss, n)
}

// byPromise orders dial candidates: most recently active, then fewest
// failures, then lowest address.
func byPromise(x, y *slot) int {
	if c := y.LastActive.Compare(x.LastActive); c != 0 {
		return c
	}
	if x.Attempts != y.Attempts {
		return x.Attempts - y.Attempts
	}
	return x.Addr.Compare(y.Addr)
}

// collect returns the slots that pass keep (all when keep is nil). Callers sort
// the pointers rather than Entry values, which keeps the swaps cheap.
func (b *Book) collect(keep func(*slot) bool) []*slot {
	ss := make([]*slot, 0, len(b.evict))
	for _, s := range b.evict {
		if keep == nil || keep(s) {
			ss = append(ss, s)
		}
	}
	return ss
}

// copyOut copies at most limit (<= 0: all) entries out of ss.
func copyOut(ss []*slot, limit int) []Entry {
	if limit > 0 && len(ss) > limit {
		ss = ss[:limit]
	}
	if len(ss) == 0 {
		return nil
	}
	out := make([]Entry, len(ss))
	for i, s := range ss {
		out[i] = s.Entry
	}
	return out
}

// Backoff is the wait after attempts failed dials: min(base*2^(attempts-1),
// maxDelay), zero for no failures. maxDelay <= 0 means no cap.
func Backoff(attempts int, base, maxDelay time.Duration) time.Duration {
	if attempts <= 0 || base <= 0 {
		return 0
	}
	d := base
	for i := 1; i < attempts; i++ {
		if maxDelay > 0 && d >= maxDelay {
			break
		}
		if d > math.MaxInt64/2 {
			return math.MaxInt64
		}
		d *= 2
	}
	if maxDelay > 0 && d > maxDelay {
		d = maxDelay
	}
	return d
}

func byRecency(x, y *slot) int {
	if c := y.LastActive.Compare(x.LastActive); c != 0 {
		return c
	}
	return x.Addr.Compare(y.Addr)
}

// clamp applies the timestamp rules described at Learn.
func clamp(ts, now time.Time) time.Time {
	switch {
	case ts.IsZero() || ts.Unix() <= 0:
		return time.Time{}
	case ts.Sub(now) > FutureSlack:
		return now.Add(-FuturePenalty)
	case ts.After(now):
		return now
	}
	return ts
}

// normalize makes one key per peer: an IPv4 peer seen on a dual-stack socket
// arrives as ::ffff:a.b.c.d and must not become a second entry.
func normalize(ap netip.AddrPort) netip.AddrPort {
	if !ap.Addr().Is4In6() {
		return ap
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// checkAddr rejects addresses no one can dial.
func checkAddr(ap netip.AddrPort) error {
	switch {
	case !ap.IsValid():
		return errors.New("invalid address")
	case ap.Addr().Unmap().IsUnspecified():
		return errors.New("unspecified IP")
	case ap.Port() == 0:
		return errors.New("port 0")
	}
	return nil
}

// slot is an entry plus its place in the eviction heap.
type slot struct {
	Entry
	index int
}

// evictHeap orders slots by how willingly we would lose them: everything
// else before command-line entries, then never-active, then oldest
// LastActive, then most Attempts, then lowest address (for determinism).
type evictHeap []*slot

func (h evictHeap) Len() int { return len(h) }

func (h evictHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if ac, bc := a.Source == SourceCommandLine, b.Source == SourceCommandLine; ac != bc {
		return bc
	}
	if !a.LastActive.Equal(b.LastActive) {
		return a.LastActive.Before(b.LastActive) // the zero time sorts first
	}
	if a.Attempts != b.Attempts {
		return a.Attempts > b.Attempts
	}
	return a.Addr.Compare(b.Addr) < 0
}

func (h evictHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *evictHeap) Push(x any) {
	s := x.(*slot)
	s.index = len(*h)
	*h = append(*h, s)
}

func (h *evictHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.index = -1
	return s
}
