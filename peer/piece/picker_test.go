package piece

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"
)

// newPicker returns a picker for n one-byte pieces with a seeded source.
func newPicker(t testing.TB, n int, seed uint64) *Picker {
	t.Helper()
	g, err := NewGeometry(int64(n), 1, n)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPicker(PickerConfig{Geometry: g, Rand: rand.New(rand.NewPCG(seed, seed))})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bits builds a bitfield from a string of 0s and 1s, piece 0 first.
func bits(s string) bitfield.Bitfield {
	f := bitfield.New(len(s))
	for i, c := range s {
		if c == '1' {
			f.Set(i)
		}
	}
	return f
}

func addPeer(t testing.TB, p *Picker, id PeerID, has string) {
	t.Helper()
	if err := p.AddPeer(id, bits(has)); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, p)
}

// checkInvariants verifies the picker's indexes against its plain state.
func checkInvariants(t testing.TB, p *Picker) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.geo.Pieces()
	inFlight := make(map[PeerID]int)
	for i := range n {
		for _, id := range p.requesters(i) {
			if p.peers[id] == nil {
				t.Fatalf("piece %d requested from unknown peer %d", i, id)
			}
			inFlight[id]++
		}
	}
	for id, ps := range p.peers {
		if ps.inFlight != inFlight[id] {
			t.Fatalf("peer %d: %d in flight, requested for %d pieces", id, ps.inFlight, inFlight[id])
		}
	}
	nHave := 0
	for i := range n {
		holders := 0
		for _, ps := range p.peers {
			if ps.has.Has(i) {
				holders++
			}
		}
		if int(p.avail[i]) != holders {
			t.Fatalf("piece %d: avail %d, %d holders", i, p.avail[i], holders)
		}
		if r := p.requesters(i); len(r) != len(slices.Compact(slices.Sorted(slices.Values(r)))) {
			t.Fatalf("piece %d: a peer asked twice: %v", i, r)
		}
		have := p.have.Has(i)
		if have {
			nHave++
		}
		fresh := !have && len(p.requesters(i)) == 0
		if (p.freshPos[i] >= 0) != fresh {
			t.Fatalf("piece %d: fresh %v, freshPos %d", i, fresh, p.freshPos[i])
		}
		if fresh && p.buckets[p.avail[i]][p.freshPos[i]] != int32(i) {
			t.Fatalf("piece %d: not at its place in bucket %d", i, p.avail[i])
		}
		inflight := !have && len(p.requesters(i)) > 0
		if (p.inflightPos[i] >= 0) != inflight || inflight && p.inflight[p.inflightPos[i]] != int32(i) {
			t.Fatalf("piece %d: in flight %v, inflightPos %d", i, inflight, p.inflightPos[i])
		}
		if have && len(p.requesters(i)) > 0 {
			t.Fatalf("piece %d: had but requested from %v", i, p.requesters(i))
		}
	}
	total := len(p.inflight)
	for _, b := range p.buckets {
		total += len(b)
	}
	if nHave != p.nHave || total+nHave != n {
		t.Fatalf("have %d (counted %d), fresh+inflight %d, pieces %d", p.nHave, nHave, total, n)
	}
}

func TestNextRarestFirst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		peers []string // peer i+1's bitfield
		ask   PeerID
		want  [][]int // groups in order; order within a group is the tie-break's
	}{
		{"three rarities", []string{"111111", "111100", "110000"}, 1, [][]int{{4, 5}, {2, 3}, {0, 1}}},
		{"only what the peer has", []string{"001101", "111111"}, 1, [][]int{{2, 3, 5}}},
		{"single seeder, all tied", []string{"1111"}, 1, [][]int{{0, 1, 2, 3}}},
		{"rare piece held by the asker only", []string{"1000", "0111", "0111"}, 2, [][]int{{1, 2, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPicker(t, len(tc.peers[0]), 1)
			for k, has := range tc.peers {
				addPeer(t, p, PeerID(k+1), has)
			}
			got := p.Next(tc.ask, 100)
			checkInvariants(t, p)
			var flat []int
			for _, g := range tc.want {
				flat = append(flat, g...)
			}
			if len(got) != len(flat) {
				t.Fatalf("got %v, want groups %v", got, tc.want)
			}
			k := 0
			for _, g := range tc.want {
				part := slices.Clone(got[k : k+len(g)])
				slices.Sort(part)
				if !slices.Equal(part, g) {
					t.Fatalf("got %v, want groups %v", got, tc.want)
				}
				k += len(g)
			}
		})
	}
}

func TestNextTiesFollowTheSeededSource(t *testing.T) {
	const n = 64
	seq := func(seed uint64) []int {
		p := newPicker(t, n, seed)
		addPeer(t, p, 1, bitfield.Full(n).String())
		return p.Next(1, n)
	}
	a := seq(7)
	if !slices.Equal(a, seq(7)) {
		t.Fatal("the same seed gave different orders")
	}
	firsts := map[int]bool{}
	for seed := range uint64(8) {
		firsts[seq(seed)[0]] = true
	}
	if len(firsts) < 2 {
		t.Fatalf("eight seeds all started at %v: ties are not broken at random", firsts)
	}
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("not a permutation of the pieces: %v", a)
		}
	}
}

func TestNextSkipsWhatWeHaveAndWhatOthersFetch(t *testing.T) {
	g, _ := NewGeometry(4, 1, 4)
	p, err := NewPicker(PickerConfig{Geometry: g, Have: bits("1000"), Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		t.Fatal(err)
	}
	addPeer(t, p, 1, "1111")
	addPeer(t, p, 2, "1111")
	a := p.Next(1, 2)
	b := p.Next(2, 1) // the one piece left, not one of peer 1's
	checkInvariants(t, p)
	all := append(slices.Clone(a), b...)
	slices.Sort(all)
	if !slices.Equal(all, []int{1, 2, 3}) {
		t.Fatalf("peer 1 got %v, peer 2 got %v", a, b)
	}
	if p.Next(7, 1) != nil {
		t.Fatal("an unknown peer was given a piece")
	}
}

func TestEndgameSecondPeerAndCancelReport(t *testing.T) {
	p := newPicker(t, 3, 1)
	addPeer(t, p, 1, "111")
	addPeer(t, p, 2, "111")
	addPeer(t, p, 3, "111")
	a := p.Next(1, 2)
	// One piece is still fresh: peer 2 gets it, not a duplicate.
	b := p.Next(2, 1)
	if len(b) != 1 || slices.Contains(a, b[0]) {
		t.Fatalf("before endgame peer 2 got %v while peer 1 holds %v", b, a)
	}
	// Now every piece is in flight: peer 2 may take one of peer 1's.
	dup := p.Next(2, 5)
	checkInvariants(t, p)
	if len(dup) != 2 || !slices.Contains(a, dup[0]) || !slices.Contains(a, dup[1]) {
		t.Fatalf("endgame gave peer 2 %v, want peer 1's %v", dup, a)
	}
	// Peer 3 gets the one piece with a single requester; the cap is two.
	c := p.Next(3, 5)
	if !slices.Equal(c, b) {
		t.Fatalf("peer 3 got %v, want only %v (the others have two requesters)", c, b)
	}
	// The piece arrives from peer 2: peer 1's request is reported.
	if others := p.Done(2, a[0]); !slices.Equal(others, []PeerID{1}) {
		t.Fatalf("Done reported %v, want [1]", others)
	}
	if st, _ := p.Peer(1); st.InFlight != 1 {
		t.Fatalf("peer 1 still has %d in flight, want 1", st.InFlight)
	}
	// The late copy from peer 1 changes nothing.
	if others := p.Done(1, a[0]); others != nil {
		t.Fatalf("duplicate reported %v", others)
	}
	checkInvariants(t, p)
	if pr := p.Progress(); pr.Have != 1 || pr.Requested != 2 || pr.Missing != 0 {
		t.Fatalf("progress %+v", pr)
	}
}

func TestEndgameIgnoresPiecesNobodyHas(t *testing.T) {
	p := newPicker(t, 3, 1)
	addPeer(t, p, 1, "110")
	addPeer(t, p, 2, "110")
	p.Next(1, 2)
	if got := p.Next(2, 2); len(got) != 2 {
		t.Fatalf("piece 2 (held by nobody) held off endgame: peer 2 got %v", got)
	}
}

func TestFailedStrikesThenDrop(t *testing.T) {
	p := newPicker(t, 2, 1)
	addPeer(t, p, 1, "11")
	addPeer(t, p, 2, "11")
	for strike := 1; strike <= DefaultMaxStrikes; strike++ {
		got := p.Next(1, 1)
		if len(got) != 1 {
			t.Fatalf("strike %d: no piece for peer 1", strike)
		}
		drop := p.Failed(1, got[0])
		checkInvariants(t, p)
		if drop != (strike == DefaultMaxStrikes) {
			t.Fatalf("strike %d: drop = %v", strike, drop)
		}
		if pr := p.Progress(); pr.Requested != 0 || pr.Missing != 2 {
			t.Fatalf("strike %d: failed piece not put back: %+v", strike, pr)
		}
	}
	if st, _ := p.Peer(1); st.Strikes != DefaultMaxStrikes {
		t.Fatalf("strikes %d", st.Strikes)
	}
	if p.Failed(9, 0) {
		t.Fatal("an unknown peer should not be dropped again")
	}
}

func TestRefusedPieceIsNotAskedAgain(t *testing.T) {
	// Peer 1 claims everything and has nothing (a student peer); peer 2 has
	// piece 0 only.
	p := newPicker(t, 3, 1)
	addPeer(t, p, 1, "111")
	addPeer(t, p, 2, "100")
	got := p.Next(1, 3) // 1 and 2 (rarest), then 0
	for _, i := range got {
		p.Refused(1, i)
		checkInvariants(t, p)
	}
	if again := p.Next(1, 3); again != nil {
		t.Fatalf("peer 1 asked again for %v after refusing them", again)
	}
	if p.Wants(1) {
		t.Fatal("Wants(1) after it refused everything")
	}
	if st, _ := p.Peer(1); st.Pieces != 0 || st.InFlight != 0 || st.Strikes != 0 {
		t.Fatalf("peer 1 after refusing everything: %+v", st)
	}
	if pr := p.Progress(); pr.Requested != 0 || pr.Missing != 3 {
		t.Fatalf("refused requests still in flight: %+v", pr)
	}
	if b := p.Next(2, 3); !slices.Equal(b, []int{0}) {
		t.Fatalf("peer 2 got %v, want the refused piece 0", b)
	}
}

func TestRemovePeerGivesRequestsBack(t *testing.T) {
	p := newPicker(t, 4, 1)
	addPeer(t, p, 1, "1111")
	addPeer(t, p, 2, "0011")
	a := p.Next(1, 4)
	p.RemovePeer(1)
	checkInvariants(t, p)
	if pr := p.Progress(); pr.Requested != 0 || pr.Missing != 4 {
		t.Fatalf("after removal: %+v (peer 1 had %v)", pr, a)
	}
	if _, ok := p.Peer(1); ok {
		t.Fatal("removed peer still known")
	}
	b := p.Next(2, 4)
	slices.Sort(b)
	if !slices.Equal(b, []int{2, 3}) {
		t.Fatalf("peer 2 got %v, want [2 3]", b)
	}
	p.RemovePeer(1) // twice is harmless
}

func TestReleaseAndPeerHave(t *testing.T) {
	p := newPicker(t, 2, 1)
	addPeer(t, p, 1, "10")
	addPeer(t, p, 2, "11")
	p.PeerHave(1, 1) // now piece 1 is as common as piece 0
	p.PeerHave(1, 5) // out of range: ignored
	checkInvariants(t, p)
	got := p.Next(1, 1)
	p.Release(1, got[0])
	checkInvariants(t, p)
	if st, _ := p.Peer(1); st.InFlight != 0 || st.Strikes != 0 || st.Pieces != 2 {
		t.Fatalf("after release: %+v", st)
	}
}

func TestAddPeerRefusesBadBitfields(t *testing.T) {
	p := newPicker(t, 3, 1)
	if err := p.AddPeer(1, bits("11")); err == nil {
		t.Fatal("short bitfield accepted")
	}
	addPeer(t, p, 1, "111")
	if err := p.AddPeer(1, bits("111")); err == nil {
		t.Fatal("peer added twice")
	}
}

func TestProgressCountsAndBytes(t *testing.T) {
	g, err := NewGeometry(10, 4, 3) // pieces of 4, 4, 2
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewPicker(PickerConfig{Geometry: g, Rand: rand.New(rand.NewPCG(1, 1))})
	addPeer(t, p, 1, "111")
	got := p.Next(1, 2)
	p.Done(1, got[0])
	want := Progress{Have: 1, Requested: 1, Missing: 1, BytesDone: int64(g.PieceLen(got[0])), BytesTotal: 10, States: make([]State, 3)}
	want.States[got[0]] = StateHave
	want.States[got[1]] = StateRequested
	pr := p.Progress()
	if pr.Have != want.Have || pr.Requested != want.Requested || pr.Missing != want.Missing ||
		pr.BytesDone != want.BytesDone || pr.BytesTotal != want.BytesTotal || !slices.Equal(pr.States, want.States) {
		t.Fatalf("progress %+v, want %+v", pr, want)
	}
	p.Done(1, 2)
	p.Done(1, 0)
	p.Done(1, 1)
	if pr := p.Progress(); pr.BytesDone != 10 || !p.Complete() {
		t.Fatalf("complete: %+v", pr)
	}
}

func TestEndgamePrefersFewestRequesters(t *testing.T) {
	for seed := range uint64(20) {
		p := newPicker(t, 3, seed)
		for id := range PeerID(4) {
			addPeer(t, p, id+1, "111")
		}
		p.Next(1, 3)
		dup := p.Next(2, 2) // two pieces now have two requesters
		got := p.Next(3, 1)
		if len(got) != 1 || slices.Contains(dup, got[0]) {
			t.Fatalf("seed %d: peer 3 got %v, want the piece with one requester (not %v)", seed, got, dup)
		}
		if extra := p.Next(4, 3); extra != nil {
			t.Fatalf("seed %d: peer 4 got %v past the cap of %d requesters", seed, extra, DefaultEndgameRequesters)
		}
	}
}

func TestEndgameFewestRequestersUnderAHigherCap(t *testing.T) {
	g, _ := NewGeometry(3, 1, 3)
	for seed := range uint64(20) {
		p, _ := NewPicker(PickerConfig{Geometry: g, EndgameRequesters: 3, Rand: rand.New(rand.NewPCG(seed, 0))})
		for id := range PeerID(3) {
			addPeer(t, p, id+1, "111")
		}
		p.Next(1, 3)
		dup := p.Next(2, 1) // that piece has two requesters, the others one
		if got := p.Next(3, 1); len(got) != 1 || got[0] == dup[0] {
			t.Fatalf("seed %d: peer 3 got %v, want a piece with one requester (not %v)", seed, got, dup)
		}
	}
}

// Five connection goroutines download at once, as the protocol will drive
// the picker; one of them leaves half way. Run under -race.
func TestPickerConcurrentConnections(t *testing.T) {
	const n, conns = 500, 5
	p := newPicker(t, n, 1)
	var wg sync.WaitGroup
	for c := range PeerID(conns) {
		wg.Go(func() {
			if err := p.AddPeer(c, bitfield.Full(n)); err != nil {
				t.Error(err)
				return
			}
			var buf []int
			for round := 0; !p.Complete(); round++ {
				if c == 0 && round == 20 {
					p.RemovePeer(c) // its requests go back to the others
					return
				}
				buf = p.AppendNext(buf[:0], c, 4)
				for k, i := range buf {
					switch {
					case c == 1 && k == 3 && round%5 == 0: // the others still hold i
						p.Refused(c, i)
					case k == 2 && round%7 == 0:
						p.Failed(c, i)
					default:
						p.Done(c, i)
					}
				}
				if len(buf) == 0 {
					runtime.Gosched() // the rest is in flight elsewhere
				}
			}
		})
	}
	wg.Wait()
	checkInvariants(t, p)
	if pr := p.Progress(); pr.Have != n || pr.BytesDone != n {
		t.Fatalf("progress %+v", pr)
	}
}
