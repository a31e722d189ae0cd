package peer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/bitclone/bitclone/peer/fdreserve"
)

// Host is the dialect-neutral half of a node: the listener, accept caps and
// per-IP limits, bans and dropped peers, dialling with a budget and backoff,
// and the connection table. A dialect plugs in as a Protocol, which makes one
// Session per connection and does its own periodic work; the Host runs the
// sessions and does the bookkeeping every dialect would otherwise repeat
// (btcd's connmgr/server split, with the server's peer state in one place).
//
// The table lives under one mutex that is never held across I/O. A
// protocol may guard its own shared state with the same mutex (Mutex), so
// that a decision spanning both (dial this address unless it is connected or
// in flight) is atomic; the hooks whose names end in Locked are called with
// it held and must not block.
type Host struct {
	cfg   HostConfig
	proto Protocol
	bus   *Bus

	ln     net.Listener
	listen netip.AddrPort // bound address

	// ctx is the host's lifetime, from NewHost until Run's context ends, so
	// that commands given before Run (a script piped to stdin) already work.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the host starts

	// saveMu guards saveSpare: a descriptor kept back so that the protocol's
	// state (BitClone's peers file) can be written at the descriptor limit.
	saveMu    sync.Mutex
	saveSpare *fdreserve.Spare

	mu       sync.Mutex
	nextID   uint64
	conns    map[uint64]*hostConn
	dialing  map[netip.AddrPort]bool
	dials    TokenBucket // the dial budget (MaxDialsInFlight at once besides)
	backoff  map[netip.AddrPort]*dialTries
	bans     map[netip.Addr]time.Time
	refused  int // inbound connections refused since the start
	atLimit  int // inbound connections let in at the descriptor limit
	stopping bool
	// Peers the user dropped, until when: by listening address, and by IP
	// when not on loopback (so that their inbound connections are refused
	// before they say a word).
	dropped    map[netip.AddrPort]time.Time
	droppedIPs map[netip.Addr]time.Time
}

// hostConn is one row of the connection table.
type hostConn struct {
	conn    *Conn
	sess    Session
	dialed  netip.AddrPort // outbound: the address we dialled
	heard   *heardConn     // inbound: whether the peer has sent a byte
	wasUp   bool           // the session was seen established (for the backoff)
	closing bool
}

// Protocol is a dialect's logic on a Host.
type Protocol interface {
	// Framing says how the dialect's frames look on the wire.
	Framing() Framing
	// ParseAddr reads a HOST:PORT the user typed, in the dialect's notation.
	ParseAddr(s string) (netip.AddrPort, error)
	// NewSessionLocked makes the session of a new connection; dialed is the
	// address we dialled (outbound), else the zero value.
	NewSessionLocked(c *Conn, dialed netip.AddrPort) Session
	// ClosedLocked is told that a session's connection ended, for the
	// dialect's bookkeeping. It returns whether the peer misbehaved (its IP
	// is then banned, unless on loopback) and notes to publish after the
	// closed event.
	ClosedLocked(s Session, dialed netip.AddrPort, err error) (misbehaved bool, notes []Event)
	// DialFailedLocked is told that a dial of a failed (why says how); it
	// returns notes to publish.
	DialFailedLocked(a netip.AddrPort, why string) []Event
	// ConnsChanged is called, without the lock, when a connection ended or a
	// dial finished: a protocol that keeps a number of connections may dial
	// again. It must not block.
	ConnsChanged()
	// Start runs after the listener is bound and before the first
	// connection is accepted (BitClone loads its peers file); Run does the
	// periodic work until ctx ends, on a goroutine the host owns; Stop runs
	// after every connection and goroutine has ended (BitClone saves).
	Start()
	Run(ctx context.Context)
	Stop()
	// Connect, Forget and Save carry out OpConnect, OpForget and OpSave.
	// Host.Connect is the neutral connect a protocol may build on.
	Connect(a netip.AddrPort) error
	Forget(a netip.AddrPort) error
	Save() error
	// SnapshotLocked adds the dialect's node-wide part to a snapshot whose
	// neutral core (connections included) is filled.
	SnapshotLocked(s *Snapshot, now time.Time)
}

// Session is a dialect's logic for one connection.
type Session interface {
	// Serve runs the connection until it ends (Conn.Serve with the
	// dialect's frame handler) and returns why it ended. The host calls it
	// on a goroutine of the connection's own.
	Serve() error
	// Established reports whether the handshake is done.
	Established() bool
	// GotHello reports whether the peer has sent a valid first message:
	// inbound connections still handshaking are evicted, when room is
	// needed, those that have sent nothing first and those with a hello last.
	GotHello() bool
	// Listen is the remote's listening address once known (the dialled one
	// for an outbound connection): the address the user names it by.
	Listen() netip.AddrPort
	// SendUser sends the frame the user typed, as the dialect encoded it
	// (OpSend), byte for byte.
	SendUser(frame []byte)
	// Info fills the dialect's part of a ConnInfo: the host has filled the
	// neutral core (traffic, state, listening address).
	Info(ci *ConnInfo)
}

// HostConfig holds the host's settings and its injected parts. The zero
// value of a setting means its default.
type HostConfig struct {
	// ListenHost and Port are the bind address (Port 0 picks a free one).
	ListenHost string
	Port       int
	// Listener, if set, is served instead of binding ListenHost:Port.
	Listener net.Listener
	// Dial replaces the TCP dialer (tests dial in-memory pipes).
	Dial func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)
	// Recorder, if set, records every connection's traffic byte for byte.
	Recorder Recorder
	// DialTimeout bounds a TCP dial (default 10s); HandshakeTimeout closes
	// a connection whose session is not established in time (0: never).
	DialTimeout, HandshakeTimeout time.Duration
	// IdleTimeout closes a connection with nothing received for this long
	// (0: never); Pace is the minimum gap between writes on one connection.
	IdleTimeout, Pace time.Duration
	// MaxInbound caps inbound connections (default 64); MaxHandshakingPerIP
	// caps those still handshaking from one IP, loopback exempt (default 8).
	MaxInbound, MaxHandshakingPerIP int
	// BanFor is how long a misbehaving peer's IP is refused (default 10m);
	// DropFor how long a peer the user dropped is neither dialled nor let in
	// (default 2m; Connect lifts it).
	BanFor, DropFor time.Duration
	// RetryBase and RetryMax bound the backoff between dials of one address
	// by Dial (default 1s and 60s).
	RetryBase, RetryMax time.Duration
	// MaxDialsInFlight, DialsPerSecond and DialBurst are the dial budget
	// (defaults 8, 5/s and 8): see the constants.
	MaxDialsInFlight int
	DialsPerSecond   float64
	DialBurst        int
	// EventBacklog is how many message events wait for a slow front end
	// (default 4096); NoMessageEvents keeps them off the bus altogether.
	EventBacklog    int
	NoMessageEvents bool
	// HelloName is what the dialect calls its first message, for the
	// eviction warnings (default "hello"; BitClone: "version").
	HelloName string
}

// Host defaults, as ARCHITECTURE.md's limits table names them.
const (
	DefaultDialTimeout         = 10 * time.Second
	DefaultMaxInbound          = 64
	DefaultMaxHandshakingPerIP = 8
	DefaultBanFor              = 10 * time.Minute
	DefaultDropFor             = 2 * time.Minute
	DefaultRetryBase           = time.Second
	DefaultRetryMax            = time.Minute
	// The dial budget: at most DefaultMaxDialsInFlight dials at once, and
	// DefaultDialsPerSecond on average after a burst of DefaultDialBurst.
	// Without it every failed dial started the next at once, so a flood of
	// made-up addresses cost thousands of dials a second. The burst and the
	// in-flight limit cover a target of five, so a fresh node dials all its
	// seeds at once.
	DefaultMaxDialsInFlight = 8
	DefaultDialsPerSecond   = 5
	DefaultDialBurst        = 8
)

func (c HostConfig) withDefaults() HostConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.DialTimeout, DefaultDialTimeout)
	def(&c.BanFor, DefaultBanFor)
	def(&c.DropFor, DefaultDropFor)
	def(&c.RetryBase, DefaultRetryBase)
	def(&c.RetryMax, DefaultRetryMax)
	defInt(&c.MaxInbound, DefaultMaxInbound)
	defInt(&c.MaxHandshakingPerIP, DefaultMaxHandshakingPerIP)
	defInt(&c.MaxDialsInFlight, DefaultMaxDialsInFlight)
	defInt(&c.DialBurst, DefaultDialBurst)
	if c.DialsPerSecond == 0 {
		c.DialsPerSecond = DefaultDialsPerSecond
	}
	if c.HelloName == "" {
		c.HelloName = "hello"
	}
	return c
}

// NewHost makes a host for p; nothing runs until Run.
func NewHost(cfg HostConfig, p Protocol) *Host {
	cfg = cfg.withDefaults()
	h := &Host{
		cfg:        cfg,
		proto:      p,
		ln:         cfg.Listener,
		conns:      make(map[uint64]*hostConn),
		dialing:    make(map[netip.AddrPort]bool),
		dials:      TokenBucket{Rate: cfg.DialsPerSecond, Burst: float64(cfg.DialBurst)},
		backoff:    make(map[netip.AddrPort]*dialTries),
		bans:       make(map[netip.Addr]time.Time),
		dropped:    make(map[netip.AddrPort]time.Time),
		droppedIPs: make(map[netip.Addr]time.Time),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.bus = NewBus(cfg.EventBacklog)
	h.bus.SetQuiet(cfg.NoMessageEvents)
	if h.cfg.Dial == nil {
		h.cfg.Dial = h.dialTCP
	}
	return h
}

func (h *Host) dialTCP(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{Timeout: h.cfg.DialTimeout}
	return d.DialContext(ctx, "tcp", addr.String())
}

// Mutex is the lock of the connection table, which a protocol may share for
// its own state (see Host).
func (h *Host) Mutex() *sync.Mutex { return &h.mu }

// Listen binds the listening socket, so that a busy port is reported before
// any front end starts. Run calls it if it has not been called.
func (h *Host) Listen() error {
	if h.ln == nil {
		ln, err := net.Listen("tcp", net.JoinHostPort(h.cfg.ListenHost, strconv.Itoa(h.cfg.Port)))
		if err != nil {
			return err
		}
		h.ln = ln
	}
	h.listen = AddrPortOf(h.ln.Addr()) // a UDP socket's too (peer/udp)
	return nil
}

// Addr is the listening address (valid after Listen).
func (h *Host) Addr() netip.AddrPort { return h.listen }

// Ours reports whether a names this host's listener: the bound address
// itself or, when bound to every interface, any of this machine's
// addresses with our port (a tracker lists us by the address our announce
// came from, and a compact reply has no peer id to tell us by).
func (h *Host) Ours(a netip.AddrPort) bool {
	if !h.listen.IsValid() || a.Port() != h.listen.Port() {
		return false
	}
	ip := a.Addr().Unmap()
	if ip == h.listen.Addr() {
		return true
	}
	return h.listen.Addr().IsUnspecified() && (ip.IsLoopback() || LocalIPs()[ip])
}

// LocalIPs lists this machine's addresses (read once: interfaces seldom
// change while a peer runs).
var LocalIPs = sync.OnceValue(func() map[netip.Addr]bool {
	ips := map[netip.Addr]bool{}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			ips[p.Addr().Unmap()] = true
		}
	}
	return ips
})

// ListenerAddr is the listener's own address, as it prints it ("" before Listen).
func (h *Host) ListenerAddr() string {
	if h.ln == nil {
		return ""
	}
	return h.ln.Addr().String()
}

// Events delivers what happens; it is closed when Run has returned.
func (h *Host) Events() <-chan []Event { return h.bus.Events() }

// ReleaseEvents takes back a batch from Events for reuse (see Bus.Release).
func (h *Host) ReleaseEvents(batch []Event) { h.bus.Release(batch) }

// ErrShutdown closes every connection when the host stops.
var ErrShutdown = errors.New("shutting down")

// Run serves until ctx ends, then closes every connection, lets the
// protocol stop and closes the event channel.
func (h *Host) Run(ctx context.Context) error {
	defer h.bus.Close()
	if h.ln == nil {
		if err := h.Listen(); err != nil {
			return err
		}
	}
	h.proto.Start()
	h.saveMu.Lock()
	h.saveSpare = fdreserve.New()
	h.saveMu.Unlock()

	h.wg.Add(3)
	go func() { defer h.wg.Done(); h.acceptLoop() }()
	go func() { defer h.wg.Done(); h.proto.Run(h.ctx) }()
	go func() { defer h.wg.Done(); h.expireLoop() }()

	<-ctx.Done()
	h.cancel()
	h.mu.Lock()
	h.stopping = true
	for _, hc := range h.conns {
		hc.conn.Close(ErrShutdown)
	}
	h.mu.Unlock()
	h.ln.Close()
	h.wg.Wait()
	h.proto.Stop()
	h.saveMu.Lock()
	h.saveSpare.Close()
	h.saveSpare = nil
	h.saveMu.Unlock()
	return nil
}

// StoppingLocked reports whether the host is shutting down. Called with the lock held.
func (h *Host) StoppingLocked() bool { return h.stopping }

// WithSpare runs write (one at a time) with the spare descriptor released,
// so that state is saved even when the process is at its descriptor limit.
func (h *Host) WithSpare(write func() error) error {
	h.saveMu.Lock()
	defer h.saveMu.Unlock()
	if h.saveSpare.Release() {
		defer h.saveSpare.Reacquire()
	}
	return write()
}

// Publish puts e on the event bus.
func (h *Host) Publish(e Event) { h.bus.Publish(e) }

// Note publishes an event of kind about connection c (nil: the node).
func (h *Host) Note(kind Kind, c *Conn, text string) {
	e := Event{At: time.Now(), Kind: kind, Text: text}
	if c != nil {
		e.ConnID, e.Peer, e.Dir = c.ID(), c.RemoteString(), c.Dir()
	}
	h.bus.Publish(e)
}

// Info publishes an informational line about the node.
func (h *Host) Info(text string) { h.Note(KindInfo, nil, text) }
