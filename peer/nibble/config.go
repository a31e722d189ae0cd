// Package nibble is the NibbleTorrent peer (specs/nibbletorrent.md) as a
// protocol on the neutral peer.Host: it downloads one torrent from the
// peers it dials (from the tracker and the command line), several pieces in
// flight per peer, rarest first with an endgame (peer/piece's Picker), every
// piece checked against its SHA-1 before it counts (peer/piece's Store),
// and serves the verified pieces to every peer that asks, while
// downloading and after, until it is stopped.
//
// # Who asks whom
//
// The spec's hello flows from the dialer to the acceptor, so a node
// downloads only over the connections it dialled (up to MaxPeers of them)
// and serves on every connection, inbound or outbound, whatever frame
// comes. A hello response carries the peer's bitfield at that moment; a
// leecher's grows, so a node re-sends hello on a dialled connection that
// has nothing more for it every RehelloInterval, and adds what the answer
// newly claims (two leechers then upload to each other).
//
// # Matching answers to requests
//
// A piece response carries no index: each connection keeps its requests in
// a FIFO, in the order they went on the wire, and an answer (a piece or an
// error frame) settles the oldest. An error frame for a piece the peer's
// hello claimed tells the picker the peer lacks it (a hello that claims
// everything is a known quirk).
package nibble

import (
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
)

// Config holds every setting of a node. The zero value of a field means
// its default.
type Config struct {
	// Torrent is the torrent to download and seed (required).
	Torrent *nibble.Torrent
	// Dir is where the file is downloaded to and seeded from (default ".").
	Dir string
	// NetID makes our peer_id, -ECEN426-NETID (required unless NoTracker).
	NetID string
	// ListenHost and Port are the bind address; Port 0 picks a free one.
	ListenHost string
	Port       int
	// AnnounceIP is the ip we announce (zero: the listening address's, or
	// none when that is unspecified, so the tracker takes the source).
	AnnounceIP netip.Addr
	// TrackerURL replaces the torrent's tracker_url ("" keeps it);
	// NoTracker never announces.
	TrackerURL string
	NoTracker  bool
	// Peers are dialled besides the tracker's, and retried for as long as
	// the node runs.
	Peers []netip.AddrPort
	// MaxPeers is how many connections we dial to download (default 5, the
	// spec's "up to 5 concurrent connections").
	MaxPeers int
	// Pipeline is how many piece requests wait for answers on one
	// connection (default DefaultPipeline).
	Pipeline int
	// RehelloInterval is how often a dialled peer that has nothing we
	// want is asked for its bitfield again (default 5s).
	RehelloInterval time.Duration
	// RequestTimeout closes a connection whose oldest request has gone
	// unanswered this long (default 60s): NibbleTorrent cannot cancel a
	// request, and answers come in order, so nothing else would move.
	RequestTimeout time.Duration
	// IdleAfter is how long a dialled peer may have nothing for us before
	// it is left for a peer that waits, when MaxPeers are taken (default
	// 30s).
	IdleAfter time.Duration
	// HandshakeTimeout closes a connection with no hello exchanged in time
	// (default 30s).
	HandshakeTimeout time.Duration
	// Tick is the period of the maintenance loop: dialling, timeouts,
	// re-hellos (default 1s).
	Tick time.Duration
	// ProgressEvery is how often a progress summary is logged while the
	// download moves (default 5s).
	ProgressEvery time.Duration
	// RetryBase and RetryMax bound the wait before a peer whose connection
	// failed is dialled again (defaults peer.DefaultRetryBase and
	// peer.DefaultRetryMax).
	RetryBase, RetryMax time.Duration
	// ShunFor is how long a peer dropped for bad pieces is not dialled
	// again (default peer.DefaultBanFor).
	ShunFor time.Duration
	// MaxStrikes is how many pieces failing their hash drop a peer
	// (default piece.DefaultMaxStrikes).
	MaxStrikes int
	// NoMessageEvents keeps frame events off the bus (a front end that
	// shows only summaries).
	NoMessageEvents bool
	// EventBacklog is how many events wait for a slow front end (default
	// the bus's).
	EventBacklog int
	// Pace is the minimum gap between writes on one connection (default 0;
	// tests slow seeders down with it).
	Pace time.Duration
}

// Defaults.
const (
	DefaultPort             = 8088
	DefaultMaxPeers         = 5
	DefaultPipeline         = 16
	DefaultRehelloInterval  = 5 * time.Second
	DefaultRequestTimeout   = time.Minute
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultIdleAfter        = 30 * time.Second
	DefaultTick             = time.Second
	DefaultProgressEvery    = 5 * time.Second
	// MaxPipeline bounds Pipeline: a request is answered with up to 64 KiB,
	// and the peer must hold them all in its send buffer.
	MaxPipeline = 64
)

func (c Config) withDefaults() Config {
	if c.Dir == "" {
		c.Dir = "."
	}
	peer.OrDefault(&c.MaxPeers, DefaultMaxPeers)
	peer.OrDefault(&c.Pipeline, DefaultPipeline)
	c.Pipeline = min(c.Pipeline, MaxPipeline)
	peer.OrDefault(&c.RehelloInterval, DefaultRehelloInterval)
	peer.OrDefault(&c.RequestTimeout, DefaultRequestTimeout)
	peer.OrDefault(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	peer.OrDefault(&c.IdleAfter, DefaultIdleAfter)
	peer.OrDefault(&c.Tick, DefaultTick)
	peer.OrDefault(&c.ProgressEvery, DefaultProgressEvery)
	peer.OrDefault(&c.RetryBase, peer.DefaultRetryBase)
	peer.OrDefault(&c.RetryMax, peer.DefaultRetryMax)
	peer.OrDefault(&c.ShunFor, peer.DefaultBanFor)
	return c
}

// Option changes how a Node is built.
type Option func(*options)

type options struct {
	host peer.HostConfig
}

// WithRecorder has every connection's traffic recorded, byte for byte.
func WithRecorder(r peer.Recorder) Option {
	return func(o *options) { o.host.Recorder = r }
}
