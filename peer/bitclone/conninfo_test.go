package bitclone

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/addrbook"
)

// TestConnCostsNothingPerBookEntry checks Conn: it says what Snapshot says
// of one connection, without copying a full address book. The stress tool
// watches its honest peer this way twenty times a second; through Snapshot
// that copied 2048 entries and their strings each time.
func TestConnCostsNothingPerBookEntry(t *testing.T) {
	w := newNetwork(t)
	a := w.start(fastConfig(t))
	b := w.start(fastConfig(t))
	if err := a.Do(peer.Command{Op: peer.OpConnect, Targets: []string{b.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	w.waitUntil(5*time.Second, "connected", func() error {
		if a.established() == 0 {
			return fmt.Errorf("no connection")
		}
		return nil
	})
	now := time.Now()
	a.Node.mu.Lock()
	for i := range addrbook.DefaultMaxEntries {
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}), 8333)
		a.book.Learn(ap, now, addrbook.SourceGossip, netip.AddrPort{}, now)
	}
	a.Node.mu.Unlock()

	snap := a.Snapshot()
	if len(snap.Addrs) < addrbook.DefaultMaxEntries {
		t.Fatalf("book has %d entries, want %d", len(snap.Addrs), addrbook.DefaultMaxEntries)
	}
	want := snap.Conns[0]
	got, ok := a.Conn(want.ID)
	if !ok || got.ID != want.ID || got.State != want.State || got.Remote != want.Remote || got.Dir != want.Dir {
		t.Fatalf("Conn(%d) = %+v, %v; Snapshot says %+v", want.ID, got, ok, want)
	}
	if _, ok := a.Conn(want.ID + 1000); ok {
		t.Errorf("Conn of an unknown id reported a connection")
	}

	// Per call: a few strings and the per-command maps, nothing per entry.
	const maxConnAllocs = 64
	allocs := testing.AllocsPerRun(50, func() { a.Conn(want.ID) })
	if allocs > maxConnAllocs {
		t.Errorf("Conn allocates %.0f times per call with a full book, want at most %d", allocs, maxConnAllocs)
	}
}
