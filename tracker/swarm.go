package tracker

import (
	"container/list"
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"
)

// Memory bounds of a Server: with every swarm full, a few MiB.
const (
	// MaxTorrents is how many swarms a Server tracks at once.
	MaxTorrents = 1024
	// MaxPeersPerTorrent is how many peers one swarm holds (and one reply
	// lists): the course's classes are far smaller.
	MaxPeersPerTorrent = 512
	// MaxPeers is how many peers a Server holds in all its swarms.
	MaxPeers = 16384
)

// Refusals for lack of room, answered 503: they pass once peers expire.
var (
	errTooManyTorrents = errors.New("tracker full: too many torrents")
	errSwarmFull       = errors.New("swarm full: too many peers for this torrent")
	errTooManyPeers    = errors.New("tracker full: too many peers")
)

// protocol keeps swarms of different protocols apart: a NibbleTorrent peer
// cannot talk to a BitTorrent client with the same 20-byte id.
type protocol uint8

const (
	protoNibble protocol = iota + 1
	protoBitTorrent
)

func (p protocol) String() string {
	if p == protoNibble {
		return "nibble"
	}
	return "bittorrent"
}

// swarmKey names a swarm: NibbleTorrent's torrent_id and BitTorrent's
// info_hash are both 20 bytes.
type swarmKey struct {
	proto protocol
	id    [20]byte
}

// peerEntry is one peer of one swarm.
type peerEntry struct {
	id           string // peer_id as last announced
	addr         netip.AddrPort
	seeder       bool // BitTorrent: announced left=0
	joined, seen time.Time
	elem         *list.Element // in swarm.bySeen
	gone         bool          // expired; about to leave swarm.order

	// Announce reporting: a peer announcing in a tight loop is reported
	// once per reportGap, with the count of announces in between.
	reported time.Time
	quiet    int
}

// swarm is the peers of one torrent.
type swarm struct {
	peers  map[string]*peerEntry // by peerKey(id)
	order  []*peerEntry          // join order, which replies keep
	bySeen list.List             // *peerEntry, least recently seen first
	// replies caches encoded replies by format, until the members or
	// their addresses change: a re-announce costs a map lookup, not an
	// encoding of the whole swarm.
	replies map[string][]byte
	seeders int // peers with seeder set
	// cursor starts the next window of a reply that lists fewer peers
	// than the swarm holds (BitTorrent's numwant), so that successive
	// announces see every member in turn.
	cursor int
}

// registry holds every swarm, under one lock. Expiry is exact and lazy: a
// swarm drops its stale peers when it is announced to or looked at, and
// every swarm does when room is needed.
type registry struct {
	ttl time.Duration // a peer expires this long after its last announce

	mu     sync.Mutex
	swarms map[swarmKey]*swarm
	peers  int // in all swarms
}

func newRegistry(ttl time.Duration) *registry {
	return &registry{ttl: ttl, swarms: make(map[swarmKey]*swarm)}
}

// announced is what the registry says to one announce.
type announced struct {
	reply   []byte // the encoded reply, shared: never modify it
	joined  bool   // new in the swarm (first announce, or after expiring)
	peers   int    // the swarm's size, the announcer included
	report  bool   // worth a log line (see peerEntry.quiet)
	repeats int    // announces by this peer not reported since the last one
}

// counts are a swarm's seeders (complete) and the rest (incomplete).
type counts struct{ complete, incomplete int }

func (s *swarm) counts() counts {
	return counts{s.seeders, len(s.peers) - s.seeders}
}

// encoder renders peers of a swarm, in join order, as a reply body.
type encoder func(peers []*peerEntry, c counts) []byte

// member is what one announce says of its peer.
type member struct {
	id     string // peer_id
	addr   netip.AddrPort
	seeder bool
}

// format is how a reply is rendered: name keys the cache, want bounds the
// peers listed (< 0: all of them).
type format struct {
	name string
	want int
	enc  encoder
}

// announce adds or refreshes m in swarm key, and returns the reply in f,
// encoded by f.enc when the cache has none.
func (r *registry) announce(key swarmKey, m member, now time.Time, f format) (announced, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.swarms[key]
	if s != nil {
		r.expire(key, s, now)
		s = r.swarms[key]
	}
	var out announced
	id, addr := m.id, m.addr
	pk := peerKey(id)
	var p *peerEntry
	if s != nil {
		p = s.peers[pk]
	}
	if p == nil {
		var err error
		if s, err = r.room(key, now); err != nil {
			return announced{}, err
		}
		p = &peerEntry{joined: now}
		p.elem = s.bySeen.PushBack(p)
		s.peers[pk] = p
		s.order = append(s.order, p)
		r.peers++
		clear(s.replies)
		out.joined = true
	} else {
		s.bySeen.MoveToBack(p.elem)
		if p.id != id || p.addr != addr || p.seeder != m.seeder {
			clear(s.replies)
		}
	}
	if p.seeder != m.seeder {
		s.seeders += seederDelta(m.seeder)
	}
	p.id, p.addr, p.seeder, p.seen = id, addr, m.seeder, now

	if p.reported.IsZero() || now.Sub(p.reported) >= reportGap {
		out.report, out.repeats = true, p.quiet
		p.reported, p.quiet = now, 0
	} else {
		p.quiet++
	}
	out.reply, out.peers = s.reply(f), len(s.peers)
	return out, nil
}

func seederDelta(seeder bool) int {
	if seeder {
		return 1
	}
	return -1
}

// reply renders s in f: the whole swarm from the cache, or a window of
// f.want peers from the cursor on, encoded afresh (it is at most f.want
// long, and the next window is another).
func (s *swarm) reply(f format) []byte {
	if f.want >= 0 && f.want < len(s.order) {
		window := make([]*peerEntry, f.want)
		for i := range window {
			window[i] = s.order[(s.cursor+i)%len(s.order)]
		}
		s.cursor = (s.cursor + f.want) % len(s.order)
		return f.enc(window, s.counts())
	}
	reply, ok := s.replies[f.name]
	if !ok {
		reply = f.enc(s.order, s.counts())
		s.replies[f.name] = reply
	}
	return reply
}

// leave removes peer id from swarm key (BitTorrent's event=stopped) and
// returns the swarm's counts after it left; left is false if it was not
// there.
func (r *registry) leave(key swarmKey, id string, now time.Time) (c counts, left bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.swarms[key]
	if s == nil {
		return counts{}, false
	}
	r.expire(key, s, now)
	p := s.peers[peerKey(id)]
	if p == nil {
		return s.counts(), false
	}
	p.gone = true
	r.drop(key, s, []*peerEntry{p})
	return s.counts(), true
}

// drop removes gone peers from s, and s once it is empty.
func (r *registry) drop(key swarmKey, s *swarm, gone []*peerEntry) {
	for _, p := range gone {
		s.bySeen.Remove(p.elem)
		delete(s.peers, peerKey(p.id))
		if p.seeder {
			s.seeders--
		}
	}
	r.peers -= len(gone)
	s.order = slices.DeleteFunc(s.order, func(p *peerEntry) bool { return p.gone })
	clear(s.replies)
	if len(s.peers) == 0 {
		delete(r.swarms, key)
	}
}

// room returns swarm key, made if need be, once there is room in it for one
// more peer; stale peers of every swarm go first when the tracker is full.
func (r *registry) room(key swarmKey, now time.Time) (*swarm, error) {
	s := r.swarms[key]
	if r.peers >= MaxPeers || (s == nil && len(r.swarms) >= MaxTorrents) {
		r.expireAll(now)
		s = r.swarms[key]
	}
	switch {
	case r.peers >= MaxPeers:
		return nil, errTooManyPeers
	case s == nil && len(r.swarms) >= MaxTorrents:
		return nil, errTooManyTorrents
	case s != nil && len(s.peers) >= MaxPeersPerTorrent:
		return nil, errSwarmFull
	}
	if s == nil {
		s = &swarm{peers: make(map[string]*peerEntry), replies: make(map[string][]byte)}
		r.swarms[key] = s
	}
	return s, nil
}

// expire drops the peers of s not seen for longer than the ttl, and s
// itself once it is empty.
func (r *registry) expire(key swarmKey, s *swarm, now time.Time) {
	var gone []*peerEntry
	for e := s.bySeen.Front(); e != nil; e = e.Next() {
		p := e.Value.(*peerEntry)
		if now.Sub(p.seen) <= r.ttl {
			break
		}
		p.gone = true
		gone = append(gone, p)
	}
	if len(gone) > 0 {
		r.drop(key, s, gone)
	}
}

func (r *registry) expireAll(now time.Time) {
	for key, s := range r.swarms {
		r.expire(key, s, now)
	}
}

// Swarm is one torrent's peers, as the status page shows them.
type Swarm struct {
	Protocol string // "nibble" or "bittorrent"
	ID       string // torrent_id or info_hash, lower-case hex
	Peers    []SwarmPeer
}

// SwarmPeer is one peer of a Swarm.
type SwarmPeer struct {
	ID           string // peer_id as announced: untrusted text
	Addr         netip.AddrPort
	Joined, Seen time.Time // first and last announce
	Seeder       bool      // BitTorrent: announced left=0
}

// snapshot copies every live swarm, sorted by id, peers in join order.
func (r *registry) snapshot(now time.Time) []Swarm {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireAll(now)
	out := make([]Swarm, 0, len(r.swarms))
	for key, s := range r.swarms {
		sw := Swarm{Protocol: key.proto.String(), ID: hex.EncodeToString(key.id[:]), Peers: make([]SwarmPeer, len(s.order))}
		for i, p := range s.order {
			sw.Peers[i] = SwarmPeer{ID: p.id, Addr: p.addr, Joined: p.joined, Seen: p.seen, Seeder: p.seeder}
		}
		out = append(out, sw)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}
