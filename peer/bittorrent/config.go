// Package bt is the BitTorrent peer (specs/bittorrent-peer-wire.md) as a
// protocol on the neutral peer.Host: it downloads one torrent from every
// peer it is connected to, inbound or outbound, and serves the verified
// pieces to every peer it unchokes, while downloading and after.
//
// # The wire
//
// The handshake goes both ways (a wrong info_hash, or our own peer_id, ends
// the connection with a log line); our bitfield follows it at once. The
// peer's bitfield is taken only as its first message (a lazy bitfield
// followed by have messages is legal); a later one, one of the wrong length
// or with spare bits set drops the connection. Reserved bits are ignored.
//
// # Downloading
//
// The picker (peer/piece) chooses pieces rarest first; each piece is
// fetched in blocks of 16 KiB (at least MinRequests of them in flight per
// peer, more on a fast link), put together by an assembly, verified
// against its SHA-1 by the store and written; then a have goes to every
// peer. In endgame a piece in flight is also asked of a second peer, and
// the slower one gets a cancel for its blocks. A piece that fails its hash
// is fetched again, and its sender earns a strike.
//
// # Choking
//
// UploadSlots interested peers are unchoked, the fastest first (by what
// they send us while we download, by what we send them once we seed), and
// one more, the optimistic unchoke, rotates every OptimisticInterval. A
// choked peer's requests are not served.
//
// # The snapshot
//
// Each connection's row has a field "flags" of four letters in two pairs,
// ours then the peer's, in rtorrent's spirit: C (choking) or c (not), then
// I (interested) or i (not). "cI/Ci": we unchoke the peer and want its
// pieces; it chokes us and wants nothing.
package bt

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer"
)

// Config holds every setting of a node. The zero value of a field means
// its default.
type Config struct {
	// Torrent is the torrent to download and seed (required).
	Torrent *metainfo.Torrent
	// Dir is where the files are downloaded to and seeded from (default ".").
	Dir string
	// PeerID is ours (zero: NewPeerID's).
	PeerID bittorrent.PeerID
	// ListenHost and Port are the bind address; Port 0 picks a free one.
	ListenHost string
	Port       int
	// AnnounceIP is the ip handed to the tracker (zero: none, the tracker
	// takes the source address).
	AnnounceIP netip.Addr
	// Tracker, if set, makes the tracker client; nil never announces (the
	// peers come from Peers and from those that dial us).
	Tracker func(TrackerRequest) (Tracker, error)
	// Peers are dialled besides the tracker's, and retried while the node
	// downloads.
	Peers []netip.AddrPort
	// MaxPeers is how many connections we dial to download (default 30).
	MaxPeers int
	// UploadSlots is how many interested peers are unchoked by rate,
	// besides the optimistic unchoke (default 4).
	UploadSlots int
	// MinRequests and MaxRequests bound the block requests in flight on
	// one connection (defaults 16 and 128); between them the number
	// follows the connection's download rate (RequestQueueTime of it).
	MinRequests, MaxRequests int
	// ChokeInterval is how often the upload slots are handed out again
	// (default 10s); OptimisticInterval how often the optimistic unchoke
	// moves on (default 30s).
	ChokeInterval, OptimisticInterval time.Duration
	// KeepAliveAfter sends a keep-alive after this long without sending
	// (default 2m); DropSilentAfter closes a connection with nothing
	// received for this long (default 5m).
	KeepAliveAfter, DropSilentAfter time.Duration
	// RequestTimeout gives back the blocks of a peer that unchoked us but
	// has sent nothing for this long, for other peers to fetch (default 60s).
	RequestTimeout time.Duration
	// HandshakeTimeout closes a connection with no handshake in time
	// (default 30s).
	HandshakeTimeout time.Duration
	// Tick is the period of the maintenance loop: dialling, choking,
	// keep-alives, timeouts (default 1s).
	Tick time.Duration
	// ProgressEvery is how often a progress summary is logged while the
	// download moves (default 5s).
	ProgressEvery time.Duration
	// RetryBase and RetryMax bound the wait before a peer is dialled
	// again (defaults peer.DefaultRetryBase and peer.DefaultRetryMax).
	RetryBase, RetryMax time.Duration
	// ShunFor is how long a peer dropped for bad pieces is banned
	// (default peer.DefaultBanFor; loopback peers are never banned).
	ShunFor time.Duration
	// MaxStrikes is how many pieces failing their hash drop a peer
	// (default piece.DefaultMaxStrikes).
	MaxStrikes int
	// Rand picks the optimistic unchoke and breaks the picker's ties (nil:
	// seeded at random).
	Rand *rand.Rand
	// NoMessageEvents keeps frame events off the bus; EventBacklog is how
	// many events wait for a slow front end (default the bus's).
	NoMessageEvents bool
	EventBacklog    int
	// Pace is the minimum gap between writes on one connection (default 0).
	Pace time.Duration
}

// Defaults.
const (
	DefaultPort               = 6881
	DefaultMaxPeers           = 30
	DefaultUploadSlots        = 4
	DefaultMinRequests        = 16
	DefaultMaxRequests        = 128
	DefaultChokeInterval      = 10 * time.Second
	DefaultOptimisticInterval = 30 * time.Second
	DefaultKeepAliveAfter     = 2 * time.Minute
	DefaultDropSilentAfter    = 5 * time.Minute
	DefaultRequestTimeout     = time.Minute
	DefaultHandshakeTimeout   = 30 * time.Second
	DefaultTick               = time.Second
	DefaultProgressEvery      = 5 * time.Second
	// RequestQueueTime is how much of a connection's download rate is
	// kept in flight as requests, so that a fast link never waits.
	RequestQueueTime = time.Second
	// BlockSize is the block we request: the spec's 16 KiB.
	BlockSize = bittorrent.BlockSize
)

func (c Config) withDefaults() Config {
	if c.Dir == "" {
		c.Dir = "."
	}
	peer.OrDefault(&c.MaxPeers, DefaultMaxPeers)
	peer.OrDefault(&c.UploadSlots, DefaultUploadSlots)
	peer.OrDefault(&c.MinRequests, DefaultMinRequests)
	peer.OrDefault(&c.MaxRequests, DefaultMaxRequests)
	c.MaxRequests = max(c.MaxRequests, c.MinRequests)
	peer.OrDefault(&c.ChokeInterval, DefaultChokeInterval)
	peer.OrDefault(&c.OptimisticInterval, DefaultOptimisticInterval)
	peer.OrDefault(&c.KeepAliveAfter, DefaultKeepAliveAfter)
	peer.OrDefault(&c.DropSilentAfter, DefaultDropSilentAfter)
	peer.OrDefault(&c.RequestTimeout, DefaultRequestTimeout)
	peer.OrDefault(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	peer.OrDefault(&c.Tick, DefaultTick)
	peer.OrDefault(&c.ProgressEvery, DefaultProgressEvery)
	peer.OrDefault(&c.RetryBase, peer.DefaultRetryBase)
	peer.OrDefault(&c.RetryMax, peer.DefaultRetryMax)
	peer.OrDefault(&c.ShunFor, peer.DefaultBanFor)
	if c.PeerID == (bittorrent.PeerID{}) {
		c.PeerID = NewPeerID()
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return c
}

// PeerIDPrefix starts our peer_ids, in the Azureus style clients use
// ("-BC0100-": bitclone 0.1.0.0).
const PeerIDPrefix = "-BC0100-"

// NewPeerID is PeerIDPrefix and 12 random letters and digits.
func NewPeerID() bittorrent.PeerID {
	const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var id bittorrent.PeerID
	copy(id[:], PeerIDPrefix)
	for i := len(PeerIDPrefix); i < len(id); i++ {
		id[i] = alnum[rand.IntN(len(alnum))]
	}
	return id
}

// TrackerRequest is what a tracker client announces.
type TrackerRequest struct {
	InfoHash bittorrent.InfoHash
	PeerID   bittorrent.PeerID
	IP       netip.Addr // zero: none
	Port     uint16
	// Stats are the payload bytes moved so far and those still missing,
	// read at each announce.
	Stats func() (uploaded, downloaded, left int64)
	// Completed is closed when the download completes (the completed
	// event), or at once when it was complete at start (CompleteAtStart:
	// no completed event then, the tracker never saw it incomplete).
	Completed       <-chan struct{}
	CompleteAtStart bool
}

// Tracker is a tracker client: Run announces until ctx ends (then says
// stopped) and sends every peer list it gets on peers; it reports its
// outcomes through note.
type Tracker interface {
	Run(ctx context.Context, peers chan<- []netip.AddrPort, note func(kind peer.Kind, text string))
}

// Option changes how a Node is built.
type Option func(*options)

type options struct {
	host peer.HostConfig
}

// WithListener serves on l instead of binding the configured address.
func WithListener(l net.Listener) Option {
	return func(o *options) { o.host.Listener = l }
}

// WithRecorder has every connection's traffic recorded, byte for byte.
func WithRecorder(r peer.Recorder) Option {
	return func(o *options) { o.host.Recorder = r }
}
