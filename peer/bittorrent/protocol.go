package bt

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/swarm"
)

// protocol is the Node as the host sees it: a peer.Protocol, a type of its
// own so that the hooks stay out of the Node's methods.
type protocol struct{ n *Node }

var _ peer.Protocol = protocol{}

func (p protocol) Framing() peer.Framing { return p.n.framing }

// ParseAddr reads IPv4:PORT or [IPv6]:PORT.
func (p protocol) ParseAddr(s string) (netip.AddrPort, error) { return swarm.ParseAddr(s) }

func (p protocol) NewSessionLocked(c *peer.Conn, dialed netip.AddrPort) peer.Session {
	return newSession(p.n, c, dialed)
}

func (p protocol) ClosedLocked(s peer.Session, _ netip.AddrPort, err error) (bool, []peer.Event) {
	return p.n.closedLocked(s.(*session), err), nil
}

func (p protocol) DialFailedLocked(netip.AddrPort, string) []peer.Event { return nil }

func (p protocol) ConnsChanged()           { p.n.wake() }
func (p protocol) Start()                  { p.n.start() }
func (p protocol) Run(ctx context.Context) { p.n.maintain(ctx) }
func (p protocol) Stop()                   { p.n.store.Close() }

func (p protocol) Connect(a netip.AddrPort) error { return p.n.host.Connect(a) }

func (p protocol) Forget(netip.AddrPort) error {
	return errors.New("bt keeps no address book: the tracker and --peer name the peers")
}

func (p protocol) Save() error {
	return errors.New("bt keeps no peers file; pieces are saved as they arrive")
}

func (p protocol) SnapshotLocked(s *peer.Snapshot, now time.Time) { p.n.snapshotLocked(s, now) }
