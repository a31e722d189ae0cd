// Package pex is the PEX bootstrap node (specs/pex-bootstrap.md, the
// course's p2p-networking node) as a protocol on the neutral peer.Host.
// Every node is a bootstrap node: it records whoever connects, hands them
// the peers it knows (never the asker itself), exchanges peer lists with
// the peers it knows, serves the pieces it shares to whoever asks, and asks
// every connected peer for the pieces it wants until one gives them.
//
// # Pieces
//
// Each regular file under Config.Share is cut into pieces of the piece size
// (131072 bytes by default, the course node's PIECE_SIZE_BYTES). The course
// node asserts that a give carries a full piece, so the last piece of a
// file is zero-padded to the piece size and hashed padded: its SHA-256 is
// that of the padded bytes, and that is what a give carries. A piece is
// named by its SHA-256 (Node.Shared lists them); fetched pieces are written to
// Config.Dest under their 64 hex digits, atomically (durable.WriteFile),
// and served in turn. A valid piece already in Dest counts as fetched.
//
// # Finding and being found
//
// A node knows peers by their listening address (the address book, at most
// MaxKnown of them). On every connection, opened or accepted, it sends a
// peer message listing itself first (the connection's local address and
// our listening port) and then the peers it knows, so that a node that
// learns peers only from peer messages (the course's) learns our port. It
// sends the list again every PeerEvery. A peer entry whose address is
// loopback or unspecified, on a connection whose remote is not loopback, is
// read as the remote's IP: the course's node advertises every peer as ::1.
// The first entry of a peer message on an accepted connection, when its IP
// is the remote's, is taken as the remote's listening address (our own
// convention: a bitclone node lists itself first).
//
// A node dials the peers it knows until MaxConns connections it dialled
// are up, with the host's backoff on a failed dial and its own after a
// connection it dialled ends (longer each time it ends before the peer said
// a word); a peer that failed ForgetAfter times in a row is forgotten.
//
// # Memory
//
// One connection holds at most one give being read (the codec's Reader,
// bounded by the piece size) and one being sent (its scratch buffer), plus
// its send queue (peer.DefaultSendBuffer); verified pieces wait for their
// write to Dest as copies, at most MaxWriting of them in the whole node.
//
// # Asking
//
// A node that lacks a piece answers nothing, so a wanted piece is asked of
// every connection (at most MaxAsks waiting on one) and asked again after
// AskEvery without a give. A give is checked against its hash (CheckGive);
// a corrupt one is discarded and counted against the peer, which is
// dropped and shunned for ShunFor after MaxStrikes of them.
//
// # Keeping connections
//
// The course's node dies of SIGPIPE when the other side closes first, and
// handles one message per connection per loop turn: a node never closes a
// connection without a reason it logs (shutdown, the user, bad pieces, a
// broken stream).
package pex

import (
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
)

// Config holds every setting of a node. The zero value of a field means its
// default.
type Config struct {
	// Options are the wire's byte order and piece size (zero: the course's).
	Options pex.Options
	// Share is a directory whose files are served, cut into pieces ("": none).
	Share string
	// Want are the pieces to fetch, by hash.
	Want []pex.Hash
	// Dest is where fetched pieces are written (default ".").
	Dest string
	// ListenHost and Port are the bind address (default "::", dual stack);
	// Port 0 picks a free one.
	ListenHost string
	Port       int
	// Bootstrap are the nodes dialled first, and kept for as long as the
	// node runs (never forgotten).
	Bootstrap []netip.AddrPort
	// MaxConns is how many connections we dial and keep (default 6).
	MaxConns int
	// MaxKnown caps the address book (default 1024).
	MaxKnown int
	// MaxAsks is how many asks wait on one connection (default 4): each
	// may bring a give of a piece, which the peer must hold in its buffers.
	MaxAsks int
	// AskEvery is how long an ask waits for its give before it is asked
	// again on that connection (default 3s).
	AskEvery time.Duration
	// PeerEvery is how often our peer list goes to every connection
	// (default 10s).
	PeerEvery time.Duration
	// Tick is the period of the maintenance loop (default 500ms).
	Tick time.Duration
	// ForgetAfter is how many failed dials in a row forget a peer (default 5).
	ForgetAfter int
	// MaxStrikes is how many corrupt gives drop a peer (default 3).
	MaxStrikes int
	// ShunFor is how long a peer dropped for corrupt gives is not dialled
	// (default peer.DefaultBanFor).
	ShunFor time.Duration
	// RetryBase and RetryMax bound the backoff between dials of one peer
	// (defaults peer.DefaultRetryBase, peer.DefaultRetryMax).
	RetryBase, RetryMax time.Duration
	// Pace is the minimum gap between writes on one connection.
	Pace time.Duration
	// NoMessageEvents keeps message events off the bus.
	NoMessageEvents bool
	// EventBacklog is how many events wait for a slow front end.
	EventBacklog int
}

// Defaults and limits.
const (
	DefaultPort        = 8100
	DefaultListenHost  = "::"
	DefaultMaxConns    = 6
	DefaultMaxKnown    = 1024
	DefaultMaxAsks     = 4
	DefaultAskEvery    = 3 * time.Second
	DefaultPeerEvery   = 10 * time.Second
	DefaultTick        = 500 * time.Millisecond
	DefaultForgetAfter = 5
	DefaultMaxStrikes  = 3
	// MaxWriting bounds the verified pieces being written to Dest at once,
	// each a copy in memory (a piece is 128 KiB on the course's wire).
	MaxWriting = 4
	// MaxWant bounds the pieces a node may want at once.
	MaxWant = 1 << 16
	// MaxShared bounds the pieces a node shares (a hash and a location each).
	MaxShared = 1 << 20
)

func (c Config) withDefaults() Config {
	if c.Dest == "" {
		c.Dest = "."
	}
	if c.ListenHost == "" {
		c.ListenHost = DefaultListenHost
	}
	peer.OrDefault(&c.MaxConns, DefaultMaxConns)
	peer.OrDefault(&c.MaxKnown, DefaultMaxKnown)
	peer.OrDefault(&c.MaxAsks, DefaultMaxAsks)
	peer.OrDefault(&c.ForgetAfter, DefaultForgetAfter)
	peer.OrDefault(&c.MaxStrikes, DefaultMaxStrikes)
	peer.OrDefault(&c.AskEvery, DefaultAskEvery)
	peer.OrDefault(&c.PeerEvery, DefaultPeerEvery)
	peer.OrDefault(&c.Tick, DefaultTick)
	peer.OrDefault(&c.ShunFor, peer.DefaultBanFor)
	peer.OrDefault(&c.RetryBase, peer.DefaultRetryBase)
	peer.OrDefault(&c.RetryMax, peer.DefaultRetryMax)
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
