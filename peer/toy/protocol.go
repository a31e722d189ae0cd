package toy

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/swarm"
	"github.com/bitclone/bitclone/peer/udp"
)

// framing tells a peer.Conn how toy datagrams look: one msgpack map per
// datagram, named by its msgtype, shown as a relaxed map.
var framing = peer.Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return udp.NewFrameReader(r, toy.MaxDatagram) },
	Command:   toy.CommandName,
	Text:      toy.Text,
	Datagrams: true,
}

// Framing is how toy datagrams look, for the tools that read them without
// a node (bitclone replay, --record).
func Framing() peer.Framing { return framing }

// protocol is the Node as the host sees it.
type protocol struct{ n *Node }

var _ peer.Protocol = protocol{}

func (p protocol) Framing() peer.Framing { return framing }

// ParseAddr reads IPv4:PORT or [IPv6]:PORT.
func (p protocol) ParseAddr(s string) (netip.AddrPort, error) { return swarm.ParseAddr(s) }

func (p protocol) NewSessionLocked(c *peer.Conn, _ netip.AddrPort) peer.Session {
	return p.n.newSessionLocked(c)
}

func (p protocol) ClosedLocked(s peer.Session, _ netip.AddrPort, _ error) (bool, []peer.Event) {
	p.n.closedLocked(s.(*session))
	return false, nil
}

func (p protocol) DialFailedLocked(a netip.AddrPort, why string) []peer.Event {
	return p.n.dialFailedLocked(a, why)
}

func (p protocol) ConnsChanged()           {}
func (p protocol) Start()                  { p.n.start() }
func (p protocol) Run(ctx context.Context) { p.n.maintain(ctx) }
func (p protocol) Stop()                   {}

func (p protocol) Connect(a netip.AddrPort) error { return p.n.Connect(a) }

func (p protocol) Forget(a netip.AddrPort) error { return p.n.Forget(a) }

func (p protocol) Save() error {
	return errors.New("toy keeps no peers file; fetched files are saved as they complete")
}

func (p protocol) SnapshotLocked(s *peer.Snapshot, now time.Time) { p.n.snapshotLocked(s, now) }

// SendUserTo: @HOST:PORT reaches a node we have no connection to.
func (p protocol) SendUserTo(a netip.AddrPort, frame []byte) error { return p.n.SendUserTo(a, frame) }

var _ peer.DirectSender = protocol{}
