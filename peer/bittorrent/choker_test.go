package bt

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/peer/nodetest"
	"github.com/bitclone/bitclone/peer/piece"
)

func TestChooseUnchokedFastestAndOneOptimistic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cands := []candidate{
		{id: 1, interested: true, rate: 10},
		{id: 2, interested: true, rate: 50},
		{id: 3, interested: false, rate: 900}, // fast but not interested: stays choked
		{id: 4, interested: true, rate: 40},
		{id: 5, interested: true, rate: 30},
		{id: 6, interested: true, rate: 20},
		{id: 7, interested: true, rate: 0},
	}
	got, opt := chooseUnchoked(cands, 4, 0, true, r)
	for _, id := range []piece.PeerID{2, 4, 5, 6} {
		if !got[id] {
			t.Errorf("peer %d (among the 4 fastest interested) is choked: %v", id, got)
		}
	}
	if got[3] {
		t.Error("a peer that is not interested is unchoked")
	}
	if opt != 1 && opt != 7 || !got[opt] || len(got) != 5 {
		t.Fatalf("optimistic %d, unchoked %v: want one of the slower interested peers, 5 in all", opt, got)
	}
	// Kept until the rotation, then moved on among the others.
	if again, opt2 := chooseUnchoked(cands, 4, opt, false, r); opt2 != opt || !again[opt] {
		t.Errorf("without rotation the optimistic unchoke moved from %d to %d", opt, opt2)
	}
	seen := map[piece.PeerID]bool{}
	for range 50 {
		_, o := chooseUnchoked(cands, 4, opt, true, r)
		seen[o] = true
	}
	if !seen[1] || !seen[7] || len(seen) != 2 {
		t.Errorf("rotation chose %v, want both 1 and 7 over 50 rounds", seen)
	}
	if _, o := chooseUnchoked(cands[:3], 4, 0, true, r); o != 0 {
		t.Errorf("optimistic %d with free slots for every interested peer", o)
	}
}

func TestKeepAliveAndSilentPeerDropped(t *testing.T) {
	data := nodetest.Pattern(64<<10, 10)
	tor := testTorrent(t, data, 32<<10)
	cfg := fastConfig(tor, t.TempDir(), 1)
	cfg.KeepAliveAfter, cfg.DropSilentAfter = 50*time.Millisecond, 400*time.Millisecond
	n := runNode(t, cfg)
	w := dialWire(t, n)
	w.handshake(tor.InfoHash, "-XX0000-silentpeer00")
	for {
		f, ok := w.next()
		if !ok {
			t.Fatalf("closed before a keep-alive:\n%s", n.Log())
		}
		if bittorrent.CommandName(f) == bittorrent.CmdKeepAlive {
			break
		}
	}
	w.expectClosed(func(m bittorrent.Message) bool { return m.KeepAlive })
	n.WaitEvent("closed: silent", closedWith("nothing received for 400ms"))
}

// More blocks in flight on a fast link: a second's worth of its rate,
// within MinRequests and MaxRequests; one while snubbed.
func TestRequestsInFlightFollowTheRate(t *testing.T) {
	s := &session{n: &Node{cfg: Config{}.withDefaults()}}
	t0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	if got := s.targetLocked(t0); got != DefaultMinRequests {
		t.Errorf("idle link: %d in flight, want %d", got, DefaultMinRequests)
	}
	for sec := range 5 {
		s.down.Add(64*BlockSize, t0.Add(time.Duration(sec)*time.Second)) // 1 MiB/s
	}
	got := s.targetLocked(t0.Add(5 * time.Second))
	if got <= DefaultMinRequests || got > DefaultMaxRequests {
		t.Errorf("at 1 MiB/s: %d in flight, want more than %d", got, DefaultMinRequests)
	}
	for sec := 5; sec < 10; sec++ {
		s.down.Add(1024*BlockSize, t0.Add(time.Duration(sec)*time.Second))
	}
	if got := s.targetLocked(t0.Add(10 * time.Second)); got != DefaultMaxRequests {
		t.Errorf("at 16 MiB/s: %d in flight, want the cap %d", got, DefaultMaxRequests)
	}
	s.snubbed = true
	if got := s.targetLocked(t0.Add(10 * time.Second)); got != 1 {
		t.Errorf("snubbed: %d in flight, want 1", got)
	}
}
