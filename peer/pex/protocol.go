package pex

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/swarm"
)

// protocol is the Node as the host sees it.
type protocol struct{ n *Node }

var _ peer.Protocol = protocol{}

func (p protocol) Framing() peer.Framing { return Framing(p.n.opts) }

// ParseAddr reads IPv4:PORT or [IPv6]:PORT.
func (p protocol) ParseAddr(s string) (netip.AddrPort, error) { return swarm.ParseAddr(s) }

func (p protocol) NewSessionLocked(c *peer.Conn, dialed netip.AddrPort) peer.Session {
	if k := p.n.known[dialed]; k != nil {
		k.failures = 0
	}
	return newSession(p.n, c, dialed)
}

func (p protocol) ClosedLocked(s peer.Session, _ netip.AddrPort, err error) (bool, []peer.Event) {
	return p.n.closedLocked(s.(*session), err), nil
}

func (p protocol) DialFailedLocked(a netip.AddrPort, _ string) []peer.Event {
	return p.n.dialFailedLocked(a)
}

func (p protocol) ConnsChanged()           { p.n.wake() }
func (p protocol) Start()                  { p.n.start() }
func (p protocol) Run(ctx context.Context) { p.n.maintain(ctx) }
func (p protocol) Stop()                   {}

// Connect dials a now, and records it in the address book.
func (p protocol) Connect(a netip.AddrPort) error {
	p.n.mu.Lock()
	p.n.recordLocked(a, "you")
	if k := p.n.known[a]; k != nil && k.source == "inbound" && k.from == "you" {
		k.source = "cli"
	}
	p.n.mu.Unlock()
	return p.n.host.Connect(a)
}

// Forget removes a from the address book.
func (p protocol) Forget(a netip.AddrPort) error {
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	if p.n.known[a] == nil {
		return errors.New(a.String() + " is not in the address book")
	}
	p.n.forgetLocked(a)
	return nil
}

func (p protocol) Save() error {
	return errors.New("pex keeps no peers file; pieces are saved as they arrive")
}

func (p protocol) SnapshotLocked(s *peer.Snapshot, now time.Time) { p.n.snapshotLocked(s, now) }
