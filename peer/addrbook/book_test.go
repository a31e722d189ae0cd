package addrbook

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"
)

// t0 is an arbitrary fixed "now"; nothing in these tests reads the clock.
var t0 = time.Unix(1_700_000_000, 0)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func sec(n int64) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func addrs(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Addr.String()
	}
	return out
}

func mustGet(t *testing.T, b *Book, s string) Entry {
	t.Helper()
	e, ok := b.Get(ap(s))
	if !ok {
		t.Fatalf("Get(%s): not found", s)
	}
	return e
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{
		SourceCommandLine: "cli",
		SourcePeersFile:   "file",
		SourceGossip:      "gossip",
		SourceInbound:     "inbound",
		SourceOutbound:    "outbound",
		0:                 "Source(0)",
		42:                "Source(42)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Source(%d).String() = %q, want %q", s, got, want)
		}
		got, err := ParseSource(want)
		if s.known() && (err != nil || got != s) {
			t.Errorf("ParseSource(%q) = %v, %v; want %v", want, got, err, s)
		}
		if !s.known() && err == nil {
			t.Errorf("ParseSource(%q) succeeded", want)
		}
	}
	if _, err := ParseSource(""); err == nil {
		t.Error(`ParseSource("") succeeded`)
	}
}

func TestLearn(t *testing.T) {
	peer := ap("10.0.0.1:8088")
	teller := ap("10.0.0.9:8088")
	type step struct {
		ts  time.Time
		src Source
		now time.Time
	}
	tests := []struct {
		name       string
		steps      []step
		wantAdded  []bool
		wantActive time.Time
		wantSource Source
	}{
		{
			name:       "new address",
			steps:      []step{{sec(-60), SourceGossip, t0}},
			wantAdded:  []bool{true},
			wantActive: sec(-60),
			wantSource: SourceGossip,
		},
		{
			name:       "unknown time stays never-active",
			steps:      []step{{time.Time{}, SourceGossip, t0}},
			wantAdded:  []bool{true},
			wantActive: time.Time{},
			wantSource: SourceGossip,
		},
		{
			name:       "unix 0 from the wire means unknown",
			steps:      []step{{time.Unix(0, 0), SourceGossip, t0}},
			wantAdded:  []bool{true},
			wantActive: time.Time{},
			wantSource: SourceGossip,
		},
		{
			name:       "update moves forward",
			steps:      []step{{sec(-60), SourceGossip, t0}, {sec(-10), SourceInbound, t0}},
			wantAdded:  []bool{true, false},
			wantActive: sec(-10),
			wantSource: SourceGossip, // first source kept
		},
		{
			name:       "never moves back",
			steps:      []step{{sec(-10), SourceGossip, t0}, {sec(-60), SourceGossip, t0}},
			wantAdded:  []bool{true, false},
			wantActive: sec(-10),
			wantSource: SourceGossip,
		},
		{
			name:       "unknown time does not erase a known one",
			steps:      []step{{sec(-10), SourceGossip, t0}, {time.Time{}, SourceGossip, t0}},
			wantAdded:  []bool{true, false},
			wantActive: sec(-10),
			wantSource: SourceGossip,
		},
		{
			name:       "future beyond slack is clamped to now minus penalty",
			steps:      []step{{t0.Add(FutureSlack + time.Second), SourceGossip, t0}},
			wantAdded:  []bool{true},
			wantActive: t0.Add(-FuturePenalty),
			wantSource: SourceGossip,
		},
		{
			name:       "future within slack is clamped to now",
			steps:      []step{{t0.Add(FutureSlack), SourceGossip, t0}},
			wantAdded:  []bool{true},
			wantActive: t0,
			wantSource: SourceGossip,
		},
		{
			name:       "clamped future lie does not move a fresher entry back",
			steps:      []step{{sec(-30), SourceGossip, t0}, {t0.Add(time.Hour), SourceGossip, t0}},
			wantAdded:  []bool{true, false},
			wantActive: sec(-30),
			wantSource: SourceGossip,
		},
		{
			name:       "command line upgrades the source",
			steps:      []step{{sec(-30), SourceGossip, t0}, {time.Time{}, SourceCommandLine, t0}},
			wantAdded:  []bool{true, false},
			wantActive: sec(-30),
			wantSource: SourceCommandLine,
		},
		{
			name:       "command line is not downgraded",
			steps:      []step{{time.Time{}, SourceCommandLine, t0}, {sec(-5), SourceGossip, t0}},
			wantAdded:  []bool{true, false},
			wantActive: sec(-5),
			wantSource: SourceCommandLine,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(0)
			for i, s := range tt.steps {
				if got := b.Learn(peer, s.ts, s.src, teller, s.now); got != tt.wantAdded[i] {
					t.Errorf("step %d: Learn = %v, want %v", i, got, tt.wantAdded[i])
				}
			}
			e := mustGet(t, b, peer.String())
			if !e.LastActive.Equal(tt.wantActive) {
				t.Errorf("LastActive = %v, want %v", e.LastActive, tt.wantActive)
			}
			if e.Source != tt.wantSource {
				t.Errorf("Source = %v, want %v", e.Source, tt.wantSource)
			}
			if !e.Added.Equal(tt.steps[0].now) {
				t.Errorf("Added = %v, want %v", e.Added, tt.steps[0].now)
			}
			if b.Len() != 1 {
				t.Errorf("Len = %d, want 1", b.Len())
			}
		})
	}
}

func TestLearnFrom(t *testing.T) {
	b := New(0)
	teller := ap("10.0.0.9:8088")
	b.Learn(ap("10.0.0.1:1"), t0, SourceGossip, teller, t0)
	b.Learn(ap("10.0.0.2:1"), t0, SourceInbound, teller, t0)
	if got := mustGet(t, b, "10.0.0.1:1").From; got != teller {
		t.Errorf("gossip From = %v, want %v", got, teller)
	}
	if got := mustGet(t, b, "10.0.0.2:1").From; got.IsValid() {
		t.Errorf("inbound From = %v, want zero", got)
	}
	// Upgrading to the command line drops the gossip provenance.
	b.Learn(ap("10.0.0.1:1"), time.Time{}, SourceCommandLine, netip.AddrPort{}, t0)
	if got := mustGet(t, b, "10.0.0.1:1").From; got.IsValid() {
		t.Errorf("From after cli = %v, want zero", got)
	}
}

func TestLearnRejectsUndialable(t *testing.T) {
	b := New(0)
	for _, a := range []netip.AddrPort{
		{},
		ap("0.0.0.0:8088"),
		ap("[::]:8088"),
		ap("[::ffff:0.0.0.0]:8088"),
		ap("10.0.0.1:0"),
	} {
		if b.Learn(a, t0, SourceGossip, netip.AddrPort{}, t0) {
			t.Errorf("Learn(%v) = true, want false", a)
		}
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d, want 0", b.Len())
	}
}

func TestMappedIPv4IsOneEntry(t *testing.T) {
	b := New(0)
	if !b.Learn(ap("[::ffff:10.0.0.1]:8088"), sec(-5), SourceInbound, netip.AddrPort{}, t0) {
		t.Fatal("first Learn = false")
	}
	if b.Learn(ap("10.0.0.1:8088"), sec(-1), SourceGossip, netip.AddrPort{}, t0) {
		t.Error("plain IPv4 form was a second entry")
	}
	e := mustGet(t, b, "[::ffff:10.0.0.1]:8088")
	if e.Addr != ap("10.0.0.1:8088") || !e.LastActive.Equal(sec(-1)) {
		t.Errorf("entry = %v %v, want 10.0.0.1:8088 at -1s", e.Addr, e.LastActive)
	}
	b.Remove(ap("[::ffff:10.0.0.1]:8088"))
	if b.Len() != 0 {
		t.Error("Remove by mapped form left the entry")
	}
}

func TestMarks(t *testing.T) {
	b := New(0)
	a := ap("10.0.0.1:8088")
	b.Learn(a, sec(-100), SourceGossip, netip.AddrPort{}, t0)

	b.MarkAttempt(a, sec(1))
	b.MarkFailed(a)
	b.MarkAttempt(a, sec(2))
	b.MarkFailed(a)
	e := mustGet(t, b, a.String())
	if e.Attempts != 2 || !e.LastAttempt.Equal(sec(2)) {
		t.Errorf("after two failures: Attempts=%d LastAttempt=%v", e.Attempts, e.LastAttempt)
	}

	b.MarkSuccess(a, sec(3))
	e = mustGet(t, b, a.String())
	if e.Attempts != 0 || !e.LastActive.Equal(sec(3)) {
		t.Errorf("after success: Attempts=%d LastActive=%v", e.Attempts, e.LastActive)
	}

	b.MarkActive(a, sec(10))
	if e := mustGet(t, b, a.String()); !e.LastActive.Equal(sec(10)) {
		t.Errorf("after MarkActive: LastActive=%v", e.LastActive)
	}
	b.MarkActive(a, sec(5)) // a clock step back must not move it back
	if e := mustGet(t, b, a.String()); !e.LastActive.Equal(sec(10)) {
		t.Errorf("MarkActive moved back: LastActive=%v", e.LastActive)
	}

	// Unknown addresses are ignored, not added.
	other := ap("10.0.0.2:8088")
	b.MarkActive(other, t0)
	b.MarkAttempt(other, t0)
	b.MarkFailed(other)
	b.MarkSuccess(other, t0)
	b.Remove(other)
	if b.Len() != 1 {
		t.Errorf("Len = %d after marking an unknown address, want 1", b.Len())
	}

	b.Remove(a)
	if _, ok := b.Get(a); ok || b.Len() != 0 {
		t.Error("Remove left the entry")
	}
}

func TestEviction(t *testing.T) {
	type learn struct {
		addr     string
		ago      int64 // seconds before t0; -1 = never active
		src      Source
		failures int
	}
	tests := []struct {
		name      string
		max       int
		fill      []learn
		add       learn
		wantAdded bool
		wantGone  string // "" = nothing evicted
	}{
		{
			name:      "never-active goes first",
			max:       3,
			fill:      []learn{{"10.0.0.1:1", 500, SourceGossip, 0}, {"10.0.0.2:1", -1, SourceGossip, 0}, {"10.0.0.3:1", 900, SourceGossip, 0}},
			add:       learn{"10.0.0.9:1", 10, SourceGossip, 0},
			wantAdded: true,
			wantGone:  "10.0.0.2:1",
		},
		{
			name:      "then the oldest",
			max:       3,
			fill:      []learn{{"10.0.0.1:1", 500, SourceGossip, 0}, {"10.0.0.2:1", 100, SourceGossip, 0}, {"10.0.0.3:1", 900, SourcePeersFile, 0}},
			add:       learn{"10.0.0.9:1", 10, SourceGossip, 0},
			wantAdded: true,
			wantGone:  "10.0.0.3:1",
		},
		{
			name:      "ties: most attempts",
			max:       3,
			fill:      []learn{{"10.0.0.1:1", 500, SourceGossip, 1}, {"10.0.0.2:1", 500, SourceGossip, 3}, {"10.0.0.3:1", 500, SourceGossip, 2}},
			add:       learn{"10.0.0.9:1", 10, SourceGossip, 0},
			wantAdded: true,
			wantGone:  "10.0.0.2:1",
		},
		{
			name:      "new address staler than all is dropped",
			max:       2,
			fill:      []learn{{"10.0.0.1:1", 10, SourceGossip, 0}, {"10.0.0.2:1", 20, SourceGossip, 0}},
			add:       learn{"10.0.0.9:1", 30, SourceGossip, 0},
			wantAdded: false,
		},
		{
			name:      "never-active new address cannot flush an active book",
			max:       2,
			fill:      []learn{{"10.0.0.1:1", 10, SourceGossip, 5}, {"10.0.0.2:1", 20, SourceGossip, 5}},
			add:       learn{"10.0.0.9:1", -1, SourceGossip, 0},
			wantAdded: false,
		},
		{
			name:      "equal staleness keeps the existing entry",
			max:       1,
			fill:      []learn{{"10.0.0.1:1", -1, SourceGossip, 0}},
			add:       learn{"10.0.0.9:1", -1, SourceGossip, 0},
			wantAdded: false,
		},
		{
			name:      "equal time but the old one keeps failing: replaced",
			max:       1,
			fill:      []learn{{"10.0.0.1:1", -1, SourceGossip, 1}},
			add:       learn{"10.0.0.9:1", -1, SourceGossip, 0},
			wantAdded: true,
			wantGone:  "10.0.0.1:1",
		},
		{
			name:      "command-line entries are never evicted",
			max:       3,
			fill:      []learn{{"10.0.0.1:1", -1, SourceCommandLine, 9}, {"10.0.0.2:1", 100, SourceGossip, 0}, {"10.0.0.3:1", -1, SourceCommandLine, 0}},
			add:       learn{"10.0.0.9:1", 10, SourceGossip, 0},
			wantAdded: true,
			wantGone:  "10.0.0.2:1",
		},
		{
			name:      "only command-line entries left: new address dropped",
			max:       2,
			fill:      []learn{{"10.0.0.1:1", -1, SourceCommandLine, 9}, {"10.0.0.2:1", -1, SourceCommandLine, 0}},
			add:       learn{"10.0.0.9:1", 0, SourceGossip, 0},
			wantAdded: false,
		},
		{
			name:      "only command-line entries left: new command-line address dropped too",
			max:       1,
			fill:      []learn{{"10.0.0.1:1", -1, SourceCommandLine, 0}},
			add:       learn{"10.0.0.9:1", 0, SourceCommandLine, 0},
			wantAdded: false,
		},
		{
			name:      "a new command-line address beats a fresher gossiped one",
			max:       1,
			fill:      []learn{{"10.0.0.1:1", 0, SourceGossip, 0}},
			add:       learn{"10.0.0.9:1", -1, SourceCommandLine, 0},
			wantAdded: true,
			wantGone:  "10.0.0.1:1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.max)
			do := func(l learn) bool {
				ts := time.Time{}
				if l.ago >= 0 {
					ts = sec(-l.ago)
				}
				added := b.Learn(ap(l.addr), ts, l.src, netip.AddrPort{}, t0)
				for range l.failures {
					b.MarkFailed(ap(l.addr))
				}
				return added
			}
			for _, l := range tt.fill {
				if !do(l) {
					t.Fatalf("fill %s: not added", l.addr)
				}
			}
			before := addrs(b.Entries())
			if got := do(tt.add); got != tt.wantAdded {
				t.Errorf("Learn = %v, want %v", got, tt.wantAdded)
			}
			if b.Len() != tt.max {
				t.Errorf("Len = %d, want %d", b.Len(), tt.max)
			}
			_, present := b.Get(ap(tt.add.addr))
			if present != tt.wantAdded {
				t.Errorf("new address present = %v, want %v", present, tt.wantAdded)
			}
			for _, a := range before {
				_, ok := b.Get(ap(a))
				if gone := a == tt.wantGone; ok == gone {
					t.Errorf("%s present = %v, want %v", a, ok, !gone)
				}
			}
		})
	}
}

// TestEvictionMatchesLinearScan drives random operations through a small book
// and checks that every eviction picks the entry a brute-force scan would, so
// the heap is kept in order by every method that changes the key.
func TestEvictionMatchesLinearScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const size = 16
	b := New(size)
	now := t0
	randAddr := func() netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(40))}), 8088)
	}
	for i := range 20000 {
		now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
		a := randAddr()
		switch rng.IntN(8) {
		case 0:
			b.MarkActive(a, now)
		case 1:
			b.MarkFailed(a)
		case 2:
			b.MarkSuccess(a, now)
		case 3:
			b.Remove(a)
		default:
			var ts time.Time
			if rng.IntN(4) > 0 {
				ts = now.Add(-time.Duration(rng.IntN(100)) * time.Second)
			}
			src := Source(1 + rng.IntN(5))
			if src == SourceCommandLine && rng.IntN(8) > 0 {
				src = SourceGossip // keep command-line entries rare
			}
			var victim *Entry
			if _, known := b.Get(a); !known && b.Len() == size {
				v := linearVictim(b.Entries())
				victim = &v
			}
			added := b.Learn(a, ts, src, netip.AddrPort{}, now)
			if victim == nil {
				break
			}
			_, victimStays := b.Get(victim.Addr)
			if added == victimStays {
				t.Fatalf("op %d: Learn(%v)=%v but expected victim %v stays=%v", i, a, added, victim.Addr, victimStays)
			}
		}
		if b.Len() > size {
			t.Fatalf("op %d: Len = %d > %d", i, b.Len(), size)
		}
	}
}

func linearVictim(es []Entry) Entry {
	h := make(evictHeap, len(es))
	for i := range es {
		h[i] = &slot{Entry: es[i]}
	}
	best := 0
	for i := range h {
		if h.Less(i, best) {
			best = i
		}
	}
	return es[best]
}

func TestEntryLive(t *testing.T) {
	const expiry = 90 * time.Second
	tests := []struct {
		name       string
		lastActive time.Time
		want       bool
	}{
		{"never", time.Time{}, false},
		{"just now", t0, true},
		{"exactly at expiry", t0.Add(-expiry), true},
		{"one nanosecond past", t0.Add(-expiry - 1), false},
		{"long ago", t0.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		if got := (Entry{LastActive: tt.lastActive}).Live(t0, expiry); got != tt.want {
			t.Errorf("%s: Live = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBookLiveAndEntries(t *testing.T) {
	const expiry = 90 * time.Second
	b := New(0)
	for _, l := range []struct {
		addr string
		ago  int64
	}{
		{"10.0.0.5:1", 91},
		{"10.0.0.4:1", 90},
		{"10.0.0.3:1", 10},
		{"10.0.0.2:1", 10},
		{"10.0.0.1:1", 50},
	} {
		b.Learn(ap(l.addr), sec(-l.ago), SourceGossip, netip.AddrPort{}, t0)
	}
	b.Learn(ap("10.0.0.6:1"), time.Time{}, SourceGossip, netip.AddrPort{}, t0)

	wantLive := []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.4:1"}
	if got := addrs(b.Live(t0, expiry, 0)); !slices.Equal(got, wantLive) {
		t.Errorf("Live = %v, want %v", got, wantLive)
	}
	if got := addrs(b.Live(t0, expiry, 2)); !slices.Equal(got, wantLive[:2]) {
		t.Errorf("Live limit 2 = %v, want %v", got, wantLive[:2])
	}
	if got := b.Live(t0.Add(time.Hour), expiry, 0); len(got) != 0 {
		t.Errorf("Live an hour later = %v, want none", addrs(got))
	}
	wantAll := append(wantLive, "10.0.0.5:1", "10.0.0.6:1")
	if got := addrs(b.Entries()); !slices.Equal(got, wantAll) {
		t.Errorf("Entries = %v, want %v", got, wantAll)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts  int
		base, max time.Duration
		want      time.Duration
	}{
		{0, time.Second, 8 * time.Second, 0},
		{1, time.Second, 8 * time.Second, time.Second},
		{2, time.Second, 8 * time.Second, 2 * time.Second},
		{3, time.Second, 8 * time.Second, 4 * time.Second},
		{4, time.Second, 8 * time.Second, 8 * time.Second},
		{5, time.Second, 8 * time.Second, 8 * time.Second},
		{1000, time.Second, 8 * time.Second, 8 * time.Second},
		{3, 3 * time.Second, 10 * time.Second, 10 * time.Second},
		{1000, time.Second, 0, 1<<63 - 1}, // no cap: saturates, never overflows
		{5, 0, 8 * time.Second, 0},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempts, tt.base, tt.max); got != tt.want {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", tt.attempts, tt.base, tt.max, got, tt.want)
		}
	}
}

func TestCandidates(t *testing.T) {
	const (
		expiry = 90 * time.Second
		base   = time.Second
		max    = 8 * time.Second
	)
	b := New(0)
	learn := func(addr string, lastActive time.Time, failures int, lastAttempt time.Time) {
		b.Learn(ap(addr), lastActive, SourceGossip, netip.AddrPort{}, t0)
		b.MarkAttempt(ap(addr), lastAttempt)
		for range failures {
			b.MarkFailed(ap(addr))
		}
	}
	// Every failed attempt happened at t0.
	learn("10.0.0.1:1", sec(-5), 0, time.Time{}) // live, never failed
	learn("10.0.0.2:1", sec(-1), 1, t0)          // live, 1 failure: waits 1s
	learn("10.0.0.3:1", sec(-3), 0, time.Time{}) // live
	learn("10.0.0.4:1", sec(-500), 2, t0)        // stale, 2 failures: waits 2s
	learn("10.0.0.5:1", sec(-400), 3, t0)        // stale, 3 failures: waits 4s
	learn("10.0.0.6:1", time.Time{}, 0, time.Time{})
	learn("10.0.0.7:1", sec(-400), 0, time.Time{}) // stale, ties 5 on time, fewer attempts
	learn("10.0.0.8:1", time.Time{}, 9, t0)        // waits the 8s cap

	tests := []struct {
		at   time.Duration // after t0
		want []string
	}{
		{0, []string{"10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.6:1"}},
		{base - 1, []string{"10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.6:1"}},
		{base, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.6:1"}},
		{2*base - 1, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.6:1"}},
		{2 * base, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.4:1", "10.0.0.6:1"}},
		{4*base - 1, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.4:1", "10.0.0.6:1"}},
		{4 * base, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.5:1", "10.0.0.4:1", "10.0.0.6:1"}},
		{max - 1, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.5:1", "10.0.0.4:1", "10.0.0.6:1"}},
		{max, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.5:1", "10.0.0.4:1", "10.0.0.6:1", "10.0.0.8:1"}},
		// Much later nothing is live, so the order is by recency alone.
		{time.Hour, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.7:1", "10.0.0.5:1", "10.0.0.4:1", "10.0.0.6:1", "10.0.0.8:1"}},
	}
	for _, tt := range tests {
		got := addrs(b.Candidates(t0.Add(tt.at), expiry, base, max, 0, nil))
		if !slices.Equal(got, tt.want) {
			t.Errorf("at +%v:\n got %v\nwant %v", tt.at, got, tt.want)
		}
	}

	t.Run("limit", func(t *testing.T) {
		got := addrs(b.Candidates(t0.Add(time.Hour), expiry, base, max, 3, nil))
		if want := []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1"}; !slices.Equal(got, want) {
			t.Errorf("n=3: got %v, want %v", got, want)
		}
	})
	t.Run("skip", func(t *testing.T) {
		var asked []netip.AddrPort
		skip := func(a netip.AddrPort) bool {
			asked = append(asked, a)
			return a == ap("10.0.0.3:1") || a == ap("10.0.0.6:1")
		}
		got := addrs(b.Candidates(t0, expiry, base, max, 0, skip))
		if want := []string{"10.0.0.1:1", "10.0.0.7:1"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		// Entries still in backoff are filtered before skip is asked.
		if len(asked) != 4 {
			t.Errorf("skip asked about %d addresses, want 4: %v", len(asked), asked)
		}
	})
	t.Run("success resets backoff", func(t *testing.T) {
		b.MarkSuccess(ap("10.0.0.8:1"), t0)
		got := addrs(b.Candidates(t0, expiry, base, max, 1, nil))
		if want := []string{"10.0.0.8:1"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestCandidatesLiveFirst(t *testing.T) {
	// A stale entry with fewer failures still ranks below a live one.
	b := New(0)
	b.Learn(ap("10.0.0.1:1"), sec(-91), SourceGossip, netip.AddrPort{}, t0)
	b.Learn(ap("10.0.0.2:1"), sec(-90), SourceGossip, netip.AddrPort{}, t0)
	b.MarkFailed(ap("10.0.0.2:1"))
	got := addrs(b.Candidates(t0, 90*time.Second, time.Second, 8*time.Second, 0, nil))
	if want := []string{"10.0.0.2:1", "10.0.0.1:1"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReachedAndDoubtful(t *testing.T) {
	b := New(0)
	a := ap("10.0.0.1:8088")
	b.Learn(a, t0, SourceGossip, ap("10.0.0.9:8088"), t0)
	if e := mustGet(t, b, a.String()); e.Reached || e.Doubtful() {
		t.Fatalf("a new address: Reached=%v Doubtful=%v, want neither", e.Reached, e.Doubtful())
	}
	b.MarkFailed(a)
	if e := mustGet(t, b, a.String()); !e.Doubtful() {
		t.Error("never reached and a dial failed: want doubtful")
	}
	// An inbound handshake (MarkSuccess alone) resets the failures but does
	// not make the address reached: only a dial of ours proves it.
	b.MarkSuccess(a, sec(1))
	b.MarkReached(a)
	b.MarkFailed(a)
	if e := mustGet(t, b, a.String()); !e.Reached || e.Doubtful() {
		t.Errorf("reached once, then a failure: Reached=%v Doubtful=%v, want reached and not doubtful", e.Reached, e.Doubtful())
	}
	if !b.Remove(a) || b.Remove(a) {
		t.Error("Remove must report whether the address was there")
	}
	b.MarkReached(a) // unknown: ignored
	if b.Len() != 0 {
		t.Error("MarkReached added an address")
	}
}

// TestEachLiveCopiesNoEntries checks that EachLive visits what Live returns,
// in order, stops when asked, and allocates no copy of the entries (Live's
// is a quarter MiB for a full book): the node builds an addr answer from it
// for every getaddr.
func TestEachLiveCopiesNoEntries(t *testing.T) {
	b := New(0)
	now := time.Unix(1_700_000_000, 0)
	for i := range DefaultMaxEntries {
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}), 8333)
		b.Learn(ap, now.Add(-time.Duration(i)*time.Second), SourceGossip, netip.AddrPort{}, now)
	}
	want := b.Live(now, time.Hour, 0)
	var got []Entry
	b.EachLive(now, time.Hour, func(e Entry) bool { got = append(got, e); return true })
	if !slices.Equal(got, want) {
		t.Fatalf("EachLive visited %d entries, Live returns %d, or in another order", len(got), len(want))
	}
	visited := 0
	b.EachLive(now, time.Hour, func(Entry) bool { visited++; return visited < 10 })
	if visited != 10 {
		t.Errorf("EachLive went on to %d entries after fn returned false at 10", visited)
	}

	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		b.EachLive(now, time.Hour, func(Entry) bool { return true })
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / runs
	// The sorted pointers (8 bytes an entry) and nothing per entry beyond.
	if limit := uint64(16 * DefaultMaxEntries); perCall > limit {
		t.Errorf("EachLive over a full book allocates %d bytes per call, want at most %d", perCall, limit)
	}
}
