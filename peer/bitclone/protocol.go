package bitclone

import (
	"context"
	"errors"
	"net/netip"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// protocol is the Node as the host sees it: a peer.Protocol. It is a type
// of its own so that the hooks stay out of the Node's public methods.
type protocol struct{ n *Node }

var _ peer.Protocol = protocol{}

func (p protocol) Framing() peer.Framing { return framing }

func (p protocol) ParseAddr(s string) (netip.AddrPort, error) { return wire.ParseAddr(s) }

func (p protocol) NewSessionLocked(c *peer.Conn, dialed netip.AddrPort) peer.Session {
	return newSession(p.n, c, dialed)
}

func (p protocol) ClosedLocked(s peer.Session, _ netip.AddrPort, err error) (bool, []peer.Event) {
	return p.n.closedLocked(s.(*session), err)
}

func (p protocol) DialFailedLocked(a netip.AddrPort, why string) []peer.Event {
	return p.n.dialFailedLocked(a, why, time.Now())
}

func (p protocol) ConnsChanged()           { p.n.fill() }
func (p protocol) Start()                  { p.n.start() }
func (p protocol) Run(ctx context.Context) { p.n.maintain(ctx) }
func (p protocol) Stop()                   { p.n.stop() }

func (p protocol) Connect(a netip.AddrPort) error { return p.n.connect(a) }
func (p protocol) Forget(a netip.AddrPort) error  { return p.n.forget(a) }

func (p protocol) Save() error {
	n := p.n
	if n.cfg.PeersFile == "" {
		return errors.New("no peers file (started with --no-peers-file or --port 0)")
	}
	if err := n.savePeers(); err != nil {
		return err
	}
	n.info("saved the address book to " + n.cfg.PeersFile)
	return nil
}

func (p protocol) SnapshotLocked(s *peer.Snapshot, now time.Time) { p.n.snapshotLocked(s, now) }
