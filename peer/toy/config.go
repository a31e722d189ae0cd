package toy

import (
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
)

// Config holds every setting of a node. The zero value of a field means
// its default.
type Config struct {
	// ListenHost and Port are the UDP bind address ("" binds every
	// interface; Port 0 picks a free port, which Addr then tells).
	ListenHost string
	Port       int
	// Seeds are the nodes we start from: asked for their peers, pinged,
	// never forgotten.
	Seeds []netip.AddrPort
	// Share is the directory whose files (plain files directly in it) we
	// answer searches and getfiles for ("": none).
	Share string
	// Get are the files to search the network for and fetch into Dest.
	Get []string
	// Dest is where fetched files are written (default ".").
	Dest string
	// TTL is the hops our own searches travel (default toy.DefaultTTL).
	TTL int
	// NoPeerExchange asks no one for peers: the peers are the seeds and
	// whoever writes to us (tests build rings with it).
	NoPeerExchange bool
	// MaxKnown caps the peers we know (default DefaultMaxKnown).
	MaxKnown int
	// PingInterval is how long a peer may be silent before we ping it;
	// ForgetAfter how long before a peer (not a seed) is forgotten and its
	// virtual connection closed (defaults 30s and 90s, BitClone's).
	PingInterval, ForgetAfter time.Duration
	// PeerListInterval is how often every known peer is asked for its
	// peers (default 60s).
	PeerListInterval time.Duration
	// SeenFor is how long a search's msgid is remembered, in the seen-set
	// and the reverse path of its results (default 2m).
	SeenFor time.Duration
	// SearchRetry is how long a --get search waits for a result it can
	// fetch before it is sent again (default 10s).
	SearchRetry time.Duration
	// ChunkTimeout is the longest a first chunk request waits before it
	// is sent again (and the wait before any chunk has come; after, 4
	// smoothed round trips, at least minChunkTimeout), doubling per try
	// up to MaxChunkTimeout; ChunkTries is how many tries a chunk gets
	// before the source is given up (defaults 1s, 8s and 8).
	ChunkTimeout, MaxChunkTimeout time.Duration
	ChunkTries                    int
	// Window is how many chunk requests of one fetch are in flight
	// (default 8).
	Window int
	// ChunkSize is the size of the chunks we serve (default
	// toy.DefaultChunkSize, at most toy.MaxChunkSize).
	ChunkSize int
	// MaxFetchSize is the largest file we fetch (it is kept in memory
	// until it is whole; default 64 MiB).
	MaxFetchSize int64
	// RelayRate and RelayBurst bound the searches of one peer we pass on:
	// RelayRate a second after a burst of RelayBurst (defaults 10 and 20).
	// Past them a search is still answered, not passed on: one peer's
	// flood of fresh msgids cannot make us flood everyone else.
	RelayRate  float64
	RelayBurst int
	// Tick is the period of the maintenance loop: pings, timeouts,
	// retries (default 100ms).
	Tick time.Duration
	// NoMessageEvents keeps datagram events off the bus; EventBacklog is
	// how many events wait for a slow front end (default the bus's).
	NoMessageEvents bool
	EventBacklog    int
}

// Defaults and limits.
const (
	DefaultMaxKnown         = 64
	DefaultPingInterval     = 30 * time.Second
	DefaultForgetAfter      = 90 * time.Second
	DefaultPeerListInterval = time.Minute
	DefaultSeenFor          = 2 * time.Minute
	DefaultSearchRetry      = 10 * time.Second
	DefaultChunkTimeout     = time.Second
	DefaultMaxChunkTimeout  = 8 * time.Second
	DefaultChunkTries       = 8
	DefaultWindow           = 8
	DefaultMaxFetchSize     = 64 << 20
	DefaultTick             = 100 * time.Millisecond
	DefaultRelayRate        = 10
	DefaultRelayBurst       = 20
	// MaxHops caps the ttl a search is passed on with: a peer's ttl of
	// 255 would otherwise cross the whole network (Gnutella caps it at 7).
	MaxHops = 10
	// MaxSeen bounds the seen-set and the reverse paths (oldest first
	// out): a flood of searches costs at most this many entries.
	MaxSeen = 4096
	// MaxPeerListAnswer is the most peers one peerlist we send names.
	MaxPeerListAnswer = 32
	// MaxOwnSearches is how many of our own searches (and their results)
	// are kept for the pane.
	MaxOwnSearches = 32
	// MaxResults is how many distinct results one search keeps.
	MaxResults = 64
	// MaxPending is how many datagrams wait for a peer's virtual
	// connection to open.
	MaxPending = 64
	// ReceiveBuffer is the kernel receive buffer the node asks for: a
	// fetch's window of chunks (8 of 32 KiB, base64 makes them 4/3 as
	// long) from a few peers at once, with the kernel's overhead per
	// datagram. The default (208 KiB on Linux) lost one or two chunks of
	// a single fetch on loopback; the kernel caps the ask at
	// net.core.rmem_max.
	ReceiveBuffer = 2 << 20
	// MaxAsked bounds the requests (getpeerlist, ping) awaiting answers.
	MaxAsked = 1024
)

func (c Config) withDefaults() Config {
	if c.Dest == "" {
		c.Dest = "."
	}
	peer.OrDefault(&c.TTL, toy.DefaultTTL)
	peer.OrDefault(&c.MaxKnown, DefaultMaxKnown)
	peer.OrDefault(&c.PingInterval, DefaultPingInterval)
	peer.OrDefault(&c.ForgetAfter, DefaultForgetAfter)
	peer.OrDefault(&c.PeerListInterval, DefaultPeerListInterval)
	peer.OrDefault(&c.SeenFor, DefaultSeenFor)
	peer.OrDefault(&c.SearchRetry, DefaultSearchRetry)
	peer.OrDefault(&c.ChunkTimeout, DefaultChunkTimeout)
	peer.OrDefault(&c.MaxChunkTimeout, DefaultMaxChunkTimeout)
	peer.OrDefault(&c.ChunkTries, DefaultChunkTries)
	peer.OrDefault(&c.Window, DefaultWindow)
	peer.OrDefault(&c.ChunkSize, toy.DefaultChunkSize)
	c.ChunkSize = min(c.ChunkSize, toy.MaxChunkSize)
	peer.OrDefault(&c.MaxFetchSize, DefaultMaxFetchSize)
	peer.OrDefault(&c.Tick, DefaultTick)
	peer.OrDefault(&c.RelayRate, DefaultRelayRate)
	peer.OrDefault(&c.RelayBurst, DefaultRelayBurst)
	return c
}

// Option changes how a Node is built.
type Option func(*options)

type options struct {
	host peer.HostConfig
}

// WithRecorder has every datagram recorded, byte for byte.
func WithRecorder(r peer.Recorder) Option {
	return func(o *options) { o.host.Recorder = r }
}
