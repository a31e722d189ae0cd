// Package bitclone is the BitClone dialect's node: handshake, address gossip,
// liveness and connection maintenance, on top of the neutral parts in peer.
package bitclone

import (
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// Config holds every setting of a node. The zero value of a field means its default.
type Config struct {
	// ListenHost is the bind address ("" = all interfaces).
	ListenHost string
	// Port is the listening port; 0 picks a free one (tests). The command
	// line's default is DefaultPort.
	Port int
	// Seeds are peers from the command line: dialled first and retried with
	// backoff for as long as the node runs.
	Seeds []netip.AddrPort
	// PeersFile is where the address book is saved ("" = no file).
	PeersFile string
	// UserAgent goes in our version message (default "bitclone").
	UserAgent string
	// Target is how many established connections to keep, inbound and
	// outbound together (default 5, the spec's "about five").
	Target int
	// PingInterval is how often established peers are pinged (default 30s, spec).
	PingInterval time.Duration
	// IdleTimeout closes a connection with nothing received for this long
	// (default 90s, spec); it is also how long an address stays live.
	IdleTimeout time.Duration
	// AdvertiseInterval is how often our address and live addresses are sent
	// to every established peer (default 30s, spec).
	AdvertiseInterval time.Duration
	// HandshakeTimeout closes a connection whose handshake has not completed
	// (default 10s).
	HandshakeTimeout time.Duration
	// SaveInterval is how often the peers file is written anyway (default
	// 60s); a change to the address book is saved within SaveDelay.
	SaveInterval time.Duration
	// Pace is the minimum gap between writes on one connection (default 0),
	// for peers that handle only one message per TCP read.
	Pace time.Duration
	// RetryBase and RetryMax bound the backoff between dials of one address
	// (default 1s and 60s).
	RetryBase, RetryMax time.Duration
	// MaxInbound caps inbound connections (default 64).
	MaxInbound int
	// MaxHandshakingPerIP caps inbound connections still handshaking from one
	// IP; loopback is exempt (default 8).
	MaxHandshakingPerIP int
	// MaxAddrs caps the address book (default 2048).
	MaxAddrs int
	// BanAfter bad lines (rejected, or a malformed reject or unsolicited
	// pong, which are never answered) within BanWindow get a peer dropped
	// and, unless it is on loopback, its IP banned for BanFor (defaults 10,
	// 60s, 10m).
	BanAfter  int
	BanWindow time.Duration
	BanFor    time.Duration
	// DropFor is how long an address the user dropped is neither dialled nor
	// let in again (default 2m); :connect lifts it.
	DropFor time.Duration
	// MaxMsgRate and MaxMsgBurst bound the messages per second one peer may
	// send (defaults 2000/s, burst 20000; a negative rate is no limit, what
	// --max-msg-rate 0 asks for). Past its burst a faster peer is slowed
	// down to the rate; one far above it is dropped as a flood (see
	// floodMultiple).
	MaxMsgRate  float64
	MaxMsgBurst int
	// EventBacklog is how many message events wait for a slow front end
	// before they are dropped and counted (default 4096).
	EventBacklog int
	// NoMessageEvents keeps message lines and learned addresses off the
	// event bus, for a front end that shows neither (headless --quiet):
	// connections then do not even build them.
	NoMessageEvents bool
}

// Defaults, named as the spec and ARCHITECTURE.md name them.
const (
	DefaultPort                = 8088
	DefaultTarget              = 5
	DefaultPingInterval        = 30 * time.Second
	DefaultIdleTimeout         = 90 * time.Second
	DefaultAdvertiseInterval   = 30 * time.Second
	DefaultHandshakeTimeout    = 10 * time.Second
	DefaultSaveInterval        = time.Minute
	DefaultRetryBase           = peer.DefaultRetryBase
	DefaultRetryMax            = peer.DefaultRetryMax
	DefaultMaxInbound          = peer.DefaultMaxInbound
	DefaultMaxHandshakingPerIP = peer.DefaultMaxHandshakingPerIP
	DefaultMaxAddrs            = 2048
	DefaultBanAfter            = 10
	DefaultBanWindow           = time.Minute
	DefaultBanFor              = peer.DefaultBanFor
	DefaultDropFor             = peer.DefaultDropFor
	DefaultMaxMsgRate          = 2000
	DefaultMaxMsgBurst         = 20000
)

// Limits that are not settings.
const (
	// SaveDelay is how soon a change to the address book reaches the peers
	// file: changes within it are saved together, so the file is written at
	// most about once per SaveDelay however busy the network is.
	SaveDelay = time.Second
	// MaxUnreachedFailures failed dials forget an address that no dial of
	// ours ever reached (gossip and inbound ones: a typo, an address behind
	// NAT, a peer long gone), so it leaves the book and the peers file.
	MaxUnreachedFailures = 3
	// MaxConnectTries is how often a :connect to an address the book does not
	// know is tried before it is given up and forgotten.
	MaxConnectTries = 3
	// MaxDialsInFlight, DialsPerSecond and DialBurst are the node-wide dial
	// budget: at most MaxDialsInFlight dials at once, and DialsPerSecond on
	// average after a burst of DialBurst. Without it every failed dial
	// started the next at once, so a flood of made-up addresses cost
	// thousands of dials a second. The burst and the in-flight limit cover
	// the default target, so a fresh node dials all its seeds at once.
	MaxDialsInFlight = peer.DefaultMaxDialsInFlight
	DialsPerSecond   = peer.DefaultDialsPerSecond
	DialBurst        = peer.DefaultDialBurst
)

// withDefaults fills every zero field.
func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.UserAgent == "" {
		c.UserAgent = "bitclone"
	}
	setInt(&c.Target, DefaultTarget)
	setDur(&c.PingInterval, DefaultPingInterval)
	setDur(&c.IdleTimeout, DefaultIdleTimeout)
	setDur(&c.AdvertiseInterval, DefaultAdvertiseInterval)
	setDur(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	setDur(&c.SaveInterval, DefaultSaveInterval)
	setDur(&c.RetryBase, DefaultRetryBase)
	setDur(&c.RetryMax, DefaultRetryMax)
	setInt(&c.MaxInbound, DefaultMaxInbound)
	setInt(&c.MaxHandshakingPerIP, DefaultMaxHandshakingPerIP)
	setInt(&c.MaxAddrs, DefaultMaxAddrs)
	setInt(&c.BanAfter, DefaultBanAfter)
	setDur(&c.BanWindow, DefaultBanWindow)
	setDur(&c.BanFor, DefaultBanFor)
	setDur(&c.DropFor, DefaultDropFor)
	if c.MaxMsgRate == 0 {
		c.MaxMsgRate = DefaultMaxMsgRate
	}
	setInt(&c.MaxMsgBurst, DefaultMaxMsgBurst)
	return c
}

// hostConfig is what of c the host takes (c has its defaults filled).
func (c Config) hostConfig() peer.HostConfig {
	return peer.HostConfig{
		ListenHost:          c.ListenHost,
		Port:                c.Port,
		DialTimeout:         c.HandshakeTimeout,
		HandshakeTimeout:    c.HandshakeTimeout,
		IdleTimeout:         c.IdleTimeout,
		Pace:                c.Pace,
		MaxInbound:          c.MaxInbound,
		MaxHandshakingPerIP: c.MaxHandshakingPerIP,
		BanFor:              c.BanFor,
		DropFor:             c.DropFor,
		RetryBase:           c.RetryBase,
		RetryMax:            c.RetryMax,
		EventBacklog:        c.EventBacklog,
		NoMessageEvents:     c.NoMessageEvents,
		HelloName:           "version",
	}
}
