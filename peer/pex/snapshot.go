package pex

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// snapshotLocked adds the pieces and the address book to a snapshot.
func (n *Node) snapshotLocked(s *peer.Snapshot, now time.Time) {
	s.Agent = "bitclone pex"
	s.Target = n.cfg.MaxConns
	asked := 0
	inFlight := map[pex.Hash]bool{}
	n.host.EachLocked(func(_ *peer.Conn, _ netip.AddrPort, ps peer.Session) {
		ps.(*session).askedInto(inFlight)
	})
	states := make([]peer.PieceState, len(n.want))
	for i, h := range n.want {
		switch {
		case n.wanted[h].got:
			states[i] = peer.PieceHave
		case inFlight[h]:
			states[i] = peer.PieceRequested
			asked++
		}
	}
	down, up := n.meter.Traffic()
	s.Fields = append(s.Fields,
		peer.Field{Label: "wire", Value: fmt.Sprintf("%s-endian, %d-byte pieces", n.opts.Order, n.opts.Piece())},
		peer.Field{Label: "shared", Value: fmt.Sprint(len(n.shared))},
		peer.Field{Label: "wanted", Value: fmt.Sprint(len(n.want))},
		peer.Field{Label: "asked", Value: fmt.Sprint(asked)},
		peer.Field{Label: "received", Value: fmt.Sprintf("%d (%s)", n.nGot, humanize.Bytes(uint64(down)))},
		peer.Field{Label: "given", Value: fmt.Sprintf("%d (%s)", n.given, humanize.Bytes(uint64(up)))},
		peer.Field{Label: "known", Value: fmt.Sprint(len(n.order))},
	)
	if n.corrupt > 0 {
		s.Fields = append(s.Fields, peer.Field{Label: "corrupt gives", Value: fmt.Sprint(n.corrupt)})
	}
	if n.full > 0 {
		s.Fields = append(s.Fields, peer.Field{Label: "not recorded (book full)", Value: fmt.Sprint(n.full)})
	}
	if len(n.want) > 0 {
		s.Progress = &peer.Progress{Pieces: states, BytesDone: int64(n.nGot) * int64(n.opts.Piece()),
			BytesTotal: int64(len(n.want)) * int64(n.opts.Piece())}
	}
	// A known peer was last active when one of its connections last
	// brought a message: an outbound one is named by the address we
	// dialled, an inbound one by where it says it listens.
	lastRecv := make(map[string]time.Time, len(s.Conns))
	for _, c := range s.Conns {
		name := c.Listen
		if name == "" {
			name = c.Remote
		}
		if c.LastRecv.After(lastRecv[name]) {
			lastRecv[name] = c.LastRecv
		}
	}
	for _, a := range n.order {
		k := n.known[a]
		ai := peer.AddrInfo{Addr: a.String(), LastActive: lastRecv[a.String()], Live: true, Source: k.source, From: k.from, Attempts: k.failures,
			Connected: n.connectedLocked(a) && !n.host.DialingLocked(a)}
		if until, ok := n.shunned[a]; ok && now.Before(until) {
			ai.Banned = true
		}
		s.Addrs = append(s.Addrs, ai)
	}
}
