package piece

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/bitclone/bitclone/codec/bitfield"
)

// PeerID names a peer to the picker: the host's connection id.
type PeerID uint64

const (
	// DefaultMaxStrikes is how many pieces failing their hash a peer may
	// send before the picker says to drop it (libtorrent bans on the first;
	// a few forgive a flaky disk or a one-off bug).
	DefaultMaxStrikes = 3
	// DefaultEndgameRequesters is how many peers may fetch one piece at once
	// in endgame: the first asker and one more, the spec's "second peer for
	// the last pieces".
	DefaultEndgameRequesters = 2
	// MaxEndgameRequesters bounds the cap (more copies of one piece only
	// waste bandwidth).
	MaxEndgameRequesters = 8
)

// ErrPeer is wrapped by errors about a peer's bitfield or identity.
var ErrPeer = errors.New("piece: bad peer")

// PickerConfig configures a Picker. Zero values take the defaults.
type PickerConfig struct {
	Geometry Geometry
	// Have is what is already verified on disk (Store.Have); the zero
	// Bitfield means nothing.
	Have              bitfield.Bitfield
	MaxStrikes        int
	EndgameRequesters int
	// Rand breaks ties between equally rare pieces. Inject a seeded one for
	// reproducible tests; nil seeds one at random, so that leechers of one
	// swarm spread over different pieces.
	Rand *rand.Rand
}

// Picker decides which piece to request from which peer: rarest first among
// the pieces a peer has, we lack and nobody is fetching; then, once every
// missing piece some peer has is in flight, endgame: a free peer also asks
// for a piece already in flight elsewhere (at most EndgameRequesters at
// once), and the arrival reports the other requesters for cancelling.
//
// Every method is safe for concurrent use and O(1) or O(pieces) at worst.
type Picker struct {
	mu          sync.Mutex
	geo         Geometry
	maxStrikes  int
	endgameReqs int
	rng         *rand.Rand

	have      bitfield.Bitfield
	nHave     int
	bytesDone int64
	avail     []int32 // connected peers that have piece i
	// Piece i is requested from reqFlat[i*stride:][:nreq[i]] (missing
	// pieces only); stride is the endgame cap, so the table never grows.
	reqFlat []PeerID
	nreq    []uint8
	// Fresh pieces (missing, requested from nobody) sit in buckets[avail[i]]
	// at freshPos[i]; freshPos is -1 otherwise. Rarest first scans the
	// buckets from 1 up, so a pick costs O(1) when the first candidate
	// checked is one the peer has.
	buckets  [][]int32
	freshPos []int32
	// In-flight pieces (missing, requested from someone), for endgame scans.
	inflight    []int32
	inflightPos []int32
	peers       map[PeerID]*peerState
}

type peerState struct {
	has       bitfield.Bitfield
	inFlight  int // requests to this peer that are still wanted
	strikes   int
	delivered int
}

// NewPicker returns a picker with no peers.
func NewPicker(cfg PickerConfig) (*Picker, error) {
	n := cfg.Geometry.Pieces()
	have := cfg.Have
	switch {
	case have.Len() == 0 && n > 0:
		have = bitfield.New(n)
	case have.Len() != n:
		return nil, fmt.Errorf("%w: have-set of %d pieces for a torrent of %d", ErrGeometry, have.Len(), n)
	default:
		have = have.Clone()
	}
	p := &Picker{
		geo:         cfg.Geometry,
		maxStrikes:  cfg.MaxStrikes,
		endgameReqs: cfg.EndgameRequesters,
		rng:         cfg.Rand,
		have:        have,
		avail:       make([]int32, n),
		buckets:     make([][]int32, 1),
		freshPos:    make([]int32, n),
		inflightPos: make([]int32, n),
		peers:       make(map[PeerID]*peerState),
	}
	if p.maxStrikes <= 0 {
		p.maxStrikes = DefaultMaxStrikes
	}
	if p.endgameReqs <= 0 {
		p.endgameReqs = DefaultEndgameRequesters
	}
	p.endgameReqs = min(p.endgameReqs, MaxEndgameRequesters)
	p.reqFlat = make([]PeerID, n*p.endgameReqs)
	p.nreq = make([]uint8, n)
	if p.rng == nil {
		p.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	for i := range n {
		p.freshPos[i], p.inflightPos[i] = -1, -1
		if have.Has(i) {
			p.nHave++
			p.bytesDone += int64(cfg.Geometry.PieceLen(i))
		} else {
			p.addFresh(i)
		}
	}
	return p, nil
}

// AddPeer registers a peer and the pieces it claims (a copy is kept). The
// bitfield must cover the torrent's pieces; a peer is added once.
func (p *Picker) AddPeer(id PeerID, has bitfield.Bitfield) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if has.Len() != p.geo.Pieces() {
		return fmt.Errorf("%w: bitfield of %d pieces for a torrent of %d", ErrPeer, has.Len(), p.geo.Pieces())
	}
	if _, ok := p.peers[id]; ok {
		return fmt.Errorf("%w: peer %d added twice", ErrPeer, id)
	}
	ps := &peerState{has: has.Clone()}
	p.peers[id] = ps
	for i := range p.geo.Pieces() {
		if ps.has.Has(i) {
			p.moveAvail(i, +1)
		}
	}
	return nil
}

// PeerHave records that a peer now has piece i (BitTorrent's have).
func (p *Picker) PeerHave(id PeerID, i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil || i < 0 || i >= p.geo.Pieces() || ps.has.Has(i) {
		return
	}
	ps.has.Set(i)
	p.moveAvail(i, +1)
}

// RemovePeer forgets a peer: its requests go back to be picked again.
func (p *Picker) RemovePeer(id PeerID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil {
		return
	}
	// Backwards: unassign swap-removes index k with the last entry, one
	// already visited.
	for k := len(p.inflight) - 1; k >= 0 && ps.inFlight > 0; k-- {
		p.unassign(id, ps, int(p.inflight[k]))
	}
	for i := range p.geo.Pieces() {
		if ps.has.Has(i) {
			p.moveAvail(i, -1)
		}
	}
	delete(p.peers, id)
}

// Next chooses up to n more pieces to request from a peer and records them
// as in flight from it. The caller decides n from its own pipeline depth.
// Fewer (or none) come back when the peer has nothing more we want.
func (p *Picker) Next(id PeerID, n int) []int { return p.AppendNext(nil, id, n) }

// AppendNext is Next appending to dst, so a connection can reuse one slice.
func (p *Picker) AppendNext(dst []int, id PeerID, n int) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil {
		return dst
	}
	for picked := 0; picked < n; picked++ {
		i := p.pickFresh(ps)
		if i < 0 {
			i = p.pickEndgame(id, ps)
		}
		if i < 0 {
			break
		}
		p.assign(id, ps, i)
		dst = append(dst, i)
	}
	return dst
}

// pickFresh is rarest first: the first bucket (fewest holders) with a piece
// the peer has, searched from a random start so ties spread over peers.
func (p *Picker) pickFresh(ps *peerState) int {
	for a := 1; a < len(p.buckets); a++ {
		b := p.buckets[a]
		k := len(b)
		if k == 0 {
			continue
		}
		start := p.rng.IntN(k)
		for j := range k {
			if i := int(b[(start+j)%k]); ps.has.Has(i) {
				return i
			}
		}
	}
	return -1
}

// inEndgame: every missing piece that some connected peer has is in flight.
// Pieces nobody has (bucket 0) cannot be requested and do not hold it off.
func (p *Picker) inEndgame() bool {
	for a := 1; a < len(p.buckets); a++ {
		if len(p.buckets[a]) > 0 {
			return false
		}
	}
	return true
}

// pickEndgame hands a free peer a piece in flight elsewhere: one it has,
// has not been asked for, with the fewest requesters (below the cap), ties
// broken at random.
func (p *Picker) pickEndgame(id PeerID, ps *peerState) int {
	if !p.inEndgame() {
		return -1
	}
	best, bestReqs, ties := -1, 0, 0
	for _, i32 := range p.inflight {
		i := int(i32)
		r := int(p.nreq[i])
		if r >= p.endgameReqs || !ps.has.Has(i) {
			continue
		}
		if p.asked(id, i) {
			continue
		}
		switch {
		case best < 0 || r < bestReqs:
			best, bestReqs, ties = i, r, 1
		case r == bestReqs: // keep one of the ties, uniformly
			ties++
			if p.rng.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}

// Done records that piece i arrived from a peer and passed its hash. It
// returns the other peers the piece was still requested from: their
// requests are dropped here, and the caller cancels them (BitTorrent) or
// ignores their answers (NibbleTorrent, which has no cancel). A piece we
// already had changes nothing and reports nobody.
func (p *Picker) Done(id PeerID, i int) (others []PeerID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= p.geo.Pieces() {
		return nil
	}
	if ps := p.peers[id]; ps != nil {
		ps.delivered++
	}
	if p.have.Has(i) {
		return nil
	}
	p.have.Set(i)
	p.nHave++
	p.bytesDone += int64(p.geo.PieceLen(i))
	if p.freshPos[i] >= 0 {
		p.removeFresh(i)
	}
	if p.nreq[i] > 0 {
		p.removeInflight(i)
	}
	for _, q := range p.requesters(i) {
		if qs := p.peers[q]; qs != nil {
			qs.inFlight--
		}
		if q != id {
			others = append(others, q)
		}
	}
	p.nreq[i] = 0
	return others
}

// Failed records that piece i from a peer failed its hash: the request goes
// back, and the peer earns a strike. It reports true once the peer has
// reached MaxStrikes and should be dropped.
func (p *Picker) Failed(id PeerID, i int) (drop bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil {
		return false
	}
	p.unassign(id, ps, i)
	ps.strikes++
	return ps.strikes >= p.maxStrikes
}

// Refused records that a peer answered a request for piece i with an error:
// whatever its bitfield claimed, it is not asked for i again, and the
// request goes back for another peer.
func (p *Picker) Refused(id PeerID, i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil || i < 0 || i >= p.geo.Pieces() {
		return
	}
	if ps.has.Has(i) {
		ps.has.Clear(i)
		p.moveAvail(i, -1)
	}
	p.unassign(id, ps, i)
}

// Release gives a request back without blame (a timeout, a choke).
func (p *Picker) Release(id PeerID, i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ps := p.peers[id]; ps != nil {
		p.unassign(id, ps, i)
	}
}

// Has says whether piece i is verified.
func (p *Picker) Has(i int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.have.Has(i)
}

// Complete says whether every piece is verified.
func (p *Picker) Complete() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nHave == p.geo.Pieces()
}

// Wants says whether a peer has any piece we lack (BitTorrent's interest).
func (p *Picker) Wants(id PeerID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil {
		return false
	}
	mine := p.have.Bytes()
	for k, b := range ps.has.Bytes() {
		if b&^mine[k] != 0 {
			return true
		}
	}
	return false
}

// PeerStats is what the picker knows of one peer, for the UI and policy.
type PeerStats struct {
	Pieces    int // pieces it has, as far as we know (claims minus refusals)
	InFlight  int // requests to it that are still wanted
	Strikes   int // pieces it sent that failed their hash
	Delivered int // verified pieces it sent (duplicates included)
}

// Peer returns one peer's stats; false if the peer is unknown.
func (p *Picker) Peer(id PeerID) (PeerStats, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.peers[id]
	if ps == nil {
		return PeerStats{}, false
	}
	return PeerStats{Pieces: ps.has.Count(), InFlight: ps.inFlight, Strikes: ps.strikes, Delivered: ps.delivered}, true
}

// assign records piece i as requested from a peer.
func (p *Picker) assign(id PeerID, ps *peerState, i int) {
	if p.nreq[i] == 0 {
		p.removeFresh(i)
		p.addInflight(i)
	}
	p.reqFlat[i*p.endgameReqs+int(p.nreq[i])] = id
	p.nreq[i]++
	ps.inFlight++
}

// requesters is the peers piece i is requested from (the table's memory).
func (p *Picker) requesters(i int) []PeerID {
	return p.reqFlat[i*p.endgameReqs : i*p.endgameReqs+int(p.nreq[i])]
}

// asked says whether piece i is requested from a peer.
func (p *Picker) asked(id PeerID, i int) bool {
	return slices.Contains(p.requesters(i), id)
}

// unassign drops a peer's request for piece i, if any; a missing piece that
// nobody else is fetching becomes fresh again.
func (p *Picker) unassign(id PeerID, ps *peerState, i int) {
	if i < 0 || i >= p.geo.Pieces() {
		return
	}
	r := p.requesters(i)
	k := slices.Index(r, id)
	if k < 0 {
		return
	}
	r[k] = r[len(r)-1]
	p.nreq[i]--
	ps.inFlight--
	if p.nreq[i] == 0 && !p.have.Has(i) {
		p.removeInflight(i)
		p.addFresh(i)
	}
}

// moveAvail changes piece i's holder count, moving it between buckets if
// it is fresh.
func (p *Picker) moveAvail(i int, delta int32) {
	fresh := p.freshPos[i] >= 0
	if fresh {
		p.removeFresh(i)
	}
	p.avail[i] += delta
	if fresh {
		p.addFresh(i)
	}
}

func (p *Picker) addFresh(i int) {
	a := int(p.avail[i])
	for len(p.buckets) <= a {
		p.buckets = append(p.buckets, nil)
	}
	p.freshPos[i] = int32(len(p.buckets[a]))
	p.buckets[a] = append(p.buckets[a], int32(i))
}

func (p *Picker) removeFresh(i int) {
	p.freshPos[i] = removeIndexed(&p.buckets[p.avail[i]], p.freshPos, i)
}

func (p *Picker) addInflight(i int) {
	p.inflightPos[i] = int32(len(p.inflight))
	p.inflight = append(p.inflight, int32(i))
}

func (p *Picker) removeInflight(i int) {
	p.inflightPos[i] = removeIndexed(&p.inflight, p.inflightPos, i)
}

// removeIndexed swap-removes piece i from an indexed set (pos maps a piece
// to its index in the set) and returns -1 for pos[i].
func removeIndexed(set *[]int32, pos []int32, i int) int32 {
	s := *set
	k := pos[i]
	last := s[len(s)-1]
	s[k] = last
	pos[last] = k
	*set = s[:len(s)-1]
	return -1
}
