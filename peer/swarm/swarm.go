// Package swarm is what the nodes of the swarm dialects (NibbleTorrent,
// BitTorrent) share beyond the host: the peer.Node methods that only pass
// through to the host, the payload meter with its progress summaries, and
// the completion signal.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"
)

// Hosted gives a node, by embedding, the methods of peer.Node that are the
// host's own.
type Hosted struct{ h *peer.Host }

// Host makes the Hosted of h.
func Host(h *peer.Host) Hosted { return Hosted{h} }

// Addr is the listening address (valid after Listen).
func (x Hosted) Addr() netip.AddrPort { return x.h.Addr() }

// Run serves until ctx ends, then closes every connection, lets the
// protocol stop (closing its files) and closes the event channel.
func (x Hosted) Run(ctx context.Context) error { return x.h.Run(ctx) }

// Events delivers what happens; it is closed when Run has returned.
func (x Hosted) Events() <-chan []peer.Event { return x.h.Events() }

// ReleaseEvents takes back a batch from Events for reuse (see
// peer.Bus.Release).
func (x Hosted) ReleaseEvents(batch []peer.Event) { x.h.ReleaseEvents(batch) }

// Do executes a command from a front end. It never blocks on the network.
func (x Hosted) Do(c peer.Command) error { return x.h.Do(c) }

// Snapshot returns a copy of the node's state for display.
func (x Hosted) Snapshot() peer.Snapshot { return x.h.Snapshot() }

// ParseAddr reads IPv4:PORT or [IPv6]:PORT, as trackers list peers and
// users type them (an IPv4-mapped address is read as IPv4).
func ParseAddr(s string) (netip.AddrPort, error) {
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		return a, errors.New("want IPv4:PORT or [IPv6]:PORT")
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()), nil
}

// Meter counts a node's payload both ways, for its rates, Traffic and
// the progress summaries. Safe for concurrent use.
type Meter struct {
	mu          sync.Mutex
	down, up    peer.Rate
	summaryAt   time.Time
	summaryHave int
}

// AddDown and AddUp count payload bytes received and sent at a moment.
func (m *Meter) AddDown(n int, at time.Time) {
	m.mu.Lock()
	m.down.Add(int64(n), at)
	m.mu.Unlock()
}

func (m *Meter) AddUp(n int, at time.Time) {
	m.mu.Lock()
	m.up.Add(int64(n), at)
	m.mu.Unlock()
}

// Traffic is the payload moved so far.
func (m *Meter) Traffic() (down, up int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.down.Total(), m.up.Total()
}

// Summary is the line to log about the download's progress: every
// `every` while it moves, never once complete.
func (m *Meter) Summary(now time.Time, every time.Duration, pr piece.Progress, complete bool) (string, bool) {
	m.mu.Lock()
	if pr.Have == m.summaryHave || now.Sub(m.summaryAt) < every || complete {
		m.mu.Unlock()
		return "", false
	}
	m.summaryAt, m.summaryHave = now, pr.Have
	down, up := m.down.PerSecond(now), m.up.PerSecond(now)
	m.mu.Unlock()
	return fmt.Sprintf("progress: %d/%d pieces (%.1f%%), %s, down %s/s, up %s/s",
		pr.Have, len(pr.States), 100*float64(pr.BytesDone)/float64(max(1, pr.BytesTotal)),
		humanize.Bytes(uint64(pr.BytesDone)), humanize.Bytes(uint64(down)), humanize.Bytes(uint64(up))), true
}

// Progress is the picker's progress and the rates, as a snapshot shows
// them (the piece map).
func (m *Meter) Progress(pr piece.Progress, now time.Time) *peer.Progress {
	p := &peer.Progress{Pieces: make([]peer.PieceState, len(pr.States)), BytesDone: pr.BytesDone, BytesTotal: pr.BytesTotal}
	for i, st := range pr.States {
		switch st {
		case piece.StateHave:
			p.Pieces[i] = peer.PieceHave
		case piece.StateRequested:
			p.Pieces[i] = peer.PieceRequested
		}
	}
	m.mu.Lock()
	p.DownRate, p.UpRate = m.down.PerSecond(now), m.up.PerSecond(now)
	m.mu.Unlock()
	return p
}

// Completion is closed once the download is complete, and says so once.
type Completion struct {
	once sync.Once
	ch   chan struct{}
}

// NewCompletion is a completion not yet reached.
func NewCompletion() *Completion { return &Completion{ch: make(chan struct{})} }

// Done is closed once Mark has been called.
func (c *Completion) Done() <-chan struct{} { return c.ch }

// Mark says the download is complete, once ("complete: HOW (N pieces,
// SIZE): PATH"): through the connection that brought the last piece, when
// one did (by), so that the log shows it after that piece; else on h.
func (c *Completion) Mark(h *peer.Host, by *peer.Conn, how string, pieces int, size int64, path string) {
	c.once.Do(func() {
		text := fmt.Sprintf("complete: %s (%s, %s): %s", how, humanize.Count(pieces, "piece"), humanize.Bytes(uint64(size)), codec.Quote(path))
		if by != nil {
			by.NoteNode(peer.KindInfo, text)
		} else {
			h.Info(text)
		}
		close(c.ch)
	})
}
