package peer

import "time"

// State is where a connection is in its life.
type State uint8

const (
	StateHandshake   State = iota + 1 // TCP up, handshake in progress
	StateEstablished                  // handshake done
	StateClosed                       // gone; Reason says why
)

func (s State) String() string {
	switch s {
	case StateHandshake:
		return "handshake"
	case StateEstablished:
		return "established"
	case StateClosed:
		return "closed"
	}
	return ""
}

// Counter is messages and bytes of one command in one direction.
type Counter struct {
	Msgs  uint64
	Bytes uint64
}

// ConnInfo is a copy of one connection's state and statistics.
type ConnInfo struct {
	ID          uint64
	Remote      string // remote address of the TCP connection
	Local       string // our address on the TCP connection
	Listen      string // the remote's listening address, once known ("" before)
	Dir         Direction
	State       State
	UserAgent   string
	Version     uint64
	RemoteNonce uint64 // the nonce of the peer's version (0 before it)
	Connected   time.Time
	LastSend    time.Time
	LastRecv    time.Time
	PingLast    time.Duration // 0 until a pong came back
	PingMin     time.Duration
	PingWait    bool // a ping is outstanding
	MsgsIn      uint64
	MsgsOut     uint64
	BytesIn     uint64
	BytesOut    uint64
	In          map[string]Counter // per command received
	Out         map[string]Counter // per command sent
	LastReject  [2]string          // last reject received [0] and sent [1], as lines
	// Gossiped addresses taken from this peer, and those ignored because it
	// sent new ones faster than the rate limit allows.
	AddrsProcessed, AddrsLimited uint64
	Reason                       string // why it closed
	// Fields are what the dialect adds about this connection, in its own
	// words and in the order to show them (NibbleTorrent: pieces, rates,
	// requests in flight). The fields above are the neutral core.
	Fields []Field
}

// Field is one (label, value) pair a dialect adds to a snapshot, so that a
// front end shows it without knowing the dialect.
type Field struct {
	Label, Value string
}

// AddrInfo is a copy of one address book entry, with what the node knows of it.
type AddrInfo struct {
	Addr       string
	LastActive time.Time
	Live       bool
	Banned     bool
	Connected  bool
	Source     string // cli, file, gossip, inbound, outbound
	From       string // for gossip: who told us
	Attempts   int
	// DroppedUntil is set while an address the user dropped is neither
	// dialled nor let in.
	DroppedUntil time.Time
}

// Status is "banned", "dropped", "live" or "stale", in that order of precedence.
func (a AddrInfo) Status() string {
	switch {
	case a.Banned:
		return "banned"
	case !a.DroppedUntil.IsZero():
		return "dropped"
	case a.Live:
		return "live"
	}
	return "stale"
}

// Snapshot is a copy of the node's state for display.
type Snapshot struct {
	At       time.Time
	Listen   string // our listening address
	Agent    string // our user agent
	Nonce    uint64 // our version nonce
	External string // our address as peers report it ("" until one does)
	Target   int    // connections to keep
	Conns    []ConnInfo
	Addrs    []AddrInfo
	Dropped  uint64 // message events dropped because the front end fell behind
	// Suppressed counts warnings, errors and connection events folded into
	// summaries because the front end fell behind (Conns stays exact).
	Suppressed uint64
	Refused    uint64 // inbound connections refused by the limits or bans
	Inbound    int    // established inbound connections
	Outbound   int    // established outbound connections
	PeersFile  string
	// Fields are what the dialect adds about the whole node (a torrent's
	// name, the tracker's last answer), in the order to show them.
	Fields []Field
	// Progress is the download's piece-level progress; nil for a dialect
	// that moves no pieces (BitClone).
	Progress *Progress
}
