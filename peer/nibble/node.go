package nibble

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"
	"github.com/bitclone/bitclone/peer/swarm"
	"github.com/bitclone/bitclone/tracker"
)

// Node is a NibbleTorrent peer for one torrent: the protocol on a
// peer.Host. Create it with New (which opens the download, resuming from
// disk), bind with Listen, serve with Run. It implements peer.Node.
//
// The host owns the listener, the connection table and dialling; the node
// owns the swarm policy (whom to dial, the tracker's list, re-dial
// backoff), guarded by the host's mutex (mu), which is never held across
// I/O. The picker and the store guard themselves; each connection's reader
// goroutine runs that connection's session.
type Node struct {
	swarm.Hosted // Addr, Run, Events, ReleaseEvents, Do, Snapshot

	cfg     Config
	t       *nibble.Torrent
	host    *peer.Host
	mu      *sync.Mutex // the host's
	store   *piece.Store
	picker  *piece.Picker
	ctx     nibble.Context // for Validate and the dialect
	peerID  string
	tracker string // announce URL ("" with NoTracker)

	byHashOnce sync.Once
	byHash     map[nibble.Hash]int // for the log of pieces we send (pieceOf)

	kick     chan struct{} // wakes the maintenance loop to dial
	complete *swarm.Completion
	meter    swarm.Meter // payload rates and progress summaries

	// Under mu.
	nextLabels   *labels // the new connection's, from Framing to NewSessionLocked
	listen       netip.AddrPort
	trackerPeers []tracker.Peer
	trackerNote  string    // the last announce's outcome, for the snapshot
	nextAnnounce time.Time // zero before the first announce
	// announceSaid is what the last logged announce said (peers, interval,
	// failure): an announce that says the same again every interval is
	// not logged, only kept for the snapshot.
	announceSaid string
	redial       map[netip.AddrPort]*redial
	shunned      map[netip.AddrPort]time.Time // dropped for bad pieces, until when

}

// redial is the backoff of a peer whose connection failed or ended.
type redial struct {
	failures  int
	notBefore time.Time
}

// New opens the download in cfg.Dir (resuming from a .part file or
// seeding a complete file) and makes the node; nothing runs until Run.
func New(cfg Config, opts ...Option) (*Node, error) {
	cfg = cfg.withDefaults()
	t := cfg.Torrent
	if t == nil {
		return nil, errors.New("nibble: no torrent")
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	n := &Node{
		cfg:      cfg,
		t:        t,
		ctx:      nibble.Context{Torrent: t.ID, Pieces: t.NumPieces()},
		peerID:   tracker.PeerID(cfg.NetID),
		kick:     make(chan struct{}, 1),
		complete: swarm.NewCompletion(),
		redial:   make(map[netip.AddrPort]*redial),
		shunned:  make(map[netip.AddrPort]time.Time),
	}
	if !cfg.NoTracker {
		n.tracker = cfg.TrackerURL
		if n.tracker == "" {
			n.tracker = t.TrackerURL
		}
		if err := nibble.CheckTrackerURL(n.tracker); err != nil {
			return nil, err
		}
	}
	hashes := make([][20]byte, len(t.Pieces))
	for i, h := range t.Pieces {
		hashes[i] = h
	}
	store, err := piece.Open(piece.Spec{Dir: cfg.Dir, Name: t.FileName, Size: t.FileSize, PieceSize: t.PieceSize, Hashes: hashes})
	if err != nil {
		return nil, err
	}
	picker, err := piece.NewPicker(piece.PickerConfig{Geometry: store.Geometry(), Have: store.Have(), MaxStrikes: cfg.MaxStrikes})
	if err != nil {
		store.Close()
		return nil, err
	}
	n.store, n.picker = store, picker
	hc := o.host
	hc.ListenHost, hc.Port = cfg.ListenHost, cfg.Port
	hc.HandshakeTimeout = cfg.HandshakeTimeout
	hc.RetryBase, hc.RetryMax = cfg.RetryBase, cfg.RetryMax
	hc.BanFor = cfg.ShunFor
	hc.Pace = cfg.Pace
	hc.EventBacklog, hc.NoMessageEvents = cfg.EventBacklog, cfg.NoMessageEvents
	hc.HelloName = "hello"
	n.host = peer.NewHost(hc, protocol{n})
	n.Hosted = swarm.Host(n.host)
	n.mu = n.host.Mutex()
	return n, nil
}

// Listen binds the listening socket, so that a busy port is reported
// before any front end starts. Run calls it if it has not been called.
func (n *Node) Listen() error {
	if err := n.host.Listen(); err != nil {
		n.store.Close()
		return err
	}
	n.mu.Lock()
	n.listen = n.host.Addr()
	n.mu.Unlock()
	return nil
}

var (
	_ peer.Node          = (*Node)(nil)
	_ peer.EventReleaser = (*Node)(nil)
)

// Validate judges a typed line against the spec.
func (n *Node) Validate(line string) peer.Verdict {
	v := nibble.Validate(line, n.ctx)
	return peer.Verdict{Level: peer.Level(v.Level), Text: v.Text}
}

// Completed is closed once every piece is verified and the file has its
// final name (at once when it was complete on disk).
func (n *Node) Completed() <-chan struct{} { return n.complete.Done() }

// Traffic is the payload moved so far: piece bytes received and sent.
func (n *Node) Traffic() (down, up int64) { return n.meter.Traffic() }

// Dialect is the node's dialect, knowing its torrent.
func (n *Node) Dialect() peer.Dialect { return NewDialect(n.t) }

// start runs once the listener is bound: it says what was found on disk
// and starts announcing.
func (n *Node) start() {
	n.mu.Lock()
	n.listen = n.host.Addr()
	n.mu.Unlock()
	r := n.store.Resume()
	n.host.Info(fmt.Sprintf("listening on %s as %s; torrent %s (%s, %d pieces of %d bytes): %s, %d/%d pieces verified",
		n.host.ListenerAddr(), codec.Quote(n.peerID), codec.Quote(n.t.FileName), humanize.Bytes(uint64(n.t.FileSize)),
		n.t.NumPieces(), n.t.PieceSize, r.Source, n.picker.Progress().Have, n.t.NumPieces()))
	if n.store.Complete() {
		n.markComplete("found on disk and verified; seeding", nil)
	}
	if n.tracker == "" {
		n.host.Info("no tracker: dialling only the peers given")
	}
}

// announcer makes the tracker client, announcing our listening address.
func (n *Node) announcer() (*tracker.Announcer, error) {
	n.mu.Lock()
	listen := n.listen
	n.mu.Unlock()
	ip := n.cfg.AnnounceIP
	if !ip.IsValid() && !listen.Addr().IsUnspecified() {
		ip = listen.Addr()
	}
	return tracker.NewAnnouncer(tracker.AnnouncerConfig{
		URL:     n.tracker,
		Request: tracker.Request{PeerID: n.peerID, IP: ip, Port: listen.Port(), TorrentID: n.t.ID.String()},
		OnEvent: n.announced,
	})
}

// announced keeps an announce's outcome for the snapshot, and logs it when
// it is news: the first, a failure, a recovery, another peer count or
// interval.
func (n *Node) announced(ev tracker.AnnounceEvent) {
	said := fmt.Sprint(ev.Peers, ev.Interval, ev.Err != nil)
	n.mu.Lock()
	news := ev.Err != nil || said != n.announceSaid
	n.announceSaid = said
	if ev.Err != nil {
		n.trackerNote = "failed: " + ev.Err.Error()
		n.nextAnnounce = ev.Time.Add(ev.Retry)
	} else {
		n.trackerNote = humanize.Count(ev.Peers, "peer")
		n.nextAnnounce = ev.Time.Add(ev.Interval)
	}
	n.mu.Unlock()
	if !news {
		return
	}
	kind := peer.KindInfo
	if ev.Err != nil {
		kind = peer.KindWarn
	}
	n.host.Note(kind, nil, ev.String())
}

// maintain is the node's periodic work, on a goroutine the host owns:
// announcing, dialling, timeouts, re-hellos, progress summaries.
func (n *Node) maintain(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var peers <-chan []tracker.Peer
	if n.tracker != "" {
		ann, err := n.announcer()
		if err != nil {
			n.host.Note(peer.KindError, nil, "tracker: "+err.Error())
		} else {
			peers = ann.Peers()
			wg.Add(1)
			go func() { defer wg.Done(); ann.Run(ctx) }()
		}
	}
	tick := time.NewTicker(n.cfg.Tick)
	defer tick.Stop()
	n.fill(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case list, ok := <-peers:
			if !ok {
				peers = nil
				continue
			}
			n.mu.Lock()
			n.trackerPeers = list
			n.mu.Unlock()
			n.fill(time.Now())
		case <-n.kick:
			n.fill(time.Now())
		case now := <-tick.C:
			n.prune(now)
			n.tickSessions(now)
			n.fill(now)
			n.summary(now)
		}
	}
}

// prune forgets shuns that ended and backoffs of peers no longer tried,
// so that a long run in a churning swarm keeps only what matters now.
func (n *Node) prune(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for a, until := range n.shunned {
		if now.After(until) {
			delete(n.shunned, a)
		}
	}
	for a, r := range n.redial {
		if now.Sub(r.notBefore) > 2*n.cfg.RetryMax {
			delete(n.redial, a)
		}
	}
}

// wake asks the maintenance loop to dial; it never blocks.
func (n *Node) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// fill dials candidates until MaxPeers connections we dialled are up or
// on their way: the --peer addresses first, then the tracker's. When all
// are taken and candidates wait, it leaves a peer that has had nothing for
// us for IdleAfter, to make room. A complete download dials nobody (peers
// that want pieces dial us).
func (n *Node) fill(now time.Time) {
	if n.store.Complete() {
		return
	}
	n.mu.Lock()
	inbound := 0
	var outbound []*session
	n.host.EachLocked(func(c *peer.Conn, _ netip.AddrPort, s peer.Session) {
		switch {
		case c.Dir() == peer.Outbound:
			outbound = append(outbound, s.(*session))
		case s.Established():
			inbound++
		}
	})
	want := n.cfg.MaxPeers - (n.host.CountLocked() - inbound)
	dial := n.candidatesLocked(now, max(want, 1))
	n.mu.Unlock()
	if want <= 0 {
		if len(dial) > 0 {
			for _, s := range outbound {
				if s.idleSince(now.Add(-n.cfg.IdleAfter)) {
					s.conn.Close(fmt.Errorf("%w for %s, and other peers wait: making room", errIdle, n.cfg.IdleAfter))
					break // its end wakes fill again, which dials
				}
			}
		}
		return
	}
	for _, a := range dial {
		// The host says no for a backoff, a ban or the dial budget; the
		// next tick tries again.
		n.host.Dial(a)
	}
}

// candidatesLocked is up to limit peers to dial now: not ourselves, not
// connected or being dialled, not waiting out a backoff or a shun.
func (n *Node) candidatesLocked(now time.Time, limit int) []netip.AddrPort {
	var dial []netip.AddrPort
	consider := func(a netip.AddrPort) {
		if len(dial) >= limit || n.selfLocked(a) || n.host.DialingLocked(a) || n.host.DialedLocked(a) {
			return
		}
		if until, ok := n.shunned[a]; ok && now.Before(until) {
			return
		}
		if r := n.redial[a]; r != nil && now.Before(r.notBefore) {
			return
		}
		if slices.Contains(dial, a) {
			return
		}
		dial = append(dial, a)
	}
	for _, a := range n.cfg.Peers {
		consider(a)
	}
	for _, p := range n.trackerPeers {
		consider(p.Addr)
	}
	return dial
}

// selfLocked says whether a is our own listening address.
func (n *Node) selfLocked(a netip.AddrPort) bool { return n.host.Ours(a) }

// tickSessions runs each session's periodic work: a request timeout, a
// re-hello, requests for pieces that came free.
func (n *Node) tickSessions(now time.Time) {
	var ss []*session
	n.mu.Lock()
	n.host.EachLocked(func(_ *peer.Conn, _ netip.AddrPort, s peer.Session) { ss = append(ss, s.(*session)) })
	n.mu.Unlock()
	for _, s := range ss {
		s.tick(now)
	}
}

// summary logs the download's progress every ProgressEvery while it moves.
func (n *Node) summary(now time.Time) {
	if text, ok := n.meter.Summary(now, n.cfg.ProgressEvery, n.picker.Progress(), n.store.Complete()); ok {
		n.host.Info(text)
	}
}

// markComplete says the download is complete, once.
func (n *Node) markComplete(how string, by *peer.Conn) {
	n.complete.Mark(n.host, by, how, n.t.NumPieces(), n.t.FileSize, filepath.Join(n.cfg.Dir, n.t.FileName))
}

// pieceOf names a piece by its data: the first piece with its SHA-1.
func (n *Node) pieceOf(data []byte) (int, bool) {
	n.byHashOnce.Do(func() {
		n.byHash = make(map[nibble.Hash]int, len(n.t.Pieces))
		for i := len(n.t.Pieces) - 1; i >= 0; i-- {
			n.byHash[n.t.Pieces[i]] = i
		}
	})
	i, ok := n.byHash[sha1.Sum(data)]
	return i, ok
}

// closedLocked is the node's part of a connection's end: the picker forgets
// the peer's claims and requests, and a dialled peer waits before it is
// dialled again (longer after each failure, and ShunFor after bad pieces).
func (n *Node) closedLocked(s *session, err error) (misbehaved bool) {
	n.picker.RemovePeer(s.id)
	if s.conn.Dir() != peer.Outbound || errors.Is(err, peer.ErrShutdown) || errors.Is(err, peer.ErrDroppedByUser) {
		return false
	}
	now := time.Now()
	a := s.dialed
	if errors.Is(err, errBadPieces) {
		n.shunned[a] = now.Add(n.cfg.ShunFor)
		misbehaved = true
	}
	r := n.redial[a]
	if r == nil {
		r = &redial{}
		n.redial[a] = r
	}
	if now.Sub(s.conn.Started()) > n.cfg.RetryMax {
		r.failures = 0 // it was up a good while: not a peer that keeps failing
	}
	r.failures++
	r.notBefore = now.Add(min(n.cfg.RetryBase<<min(r.failures-1, 16), n.cfg.RetryMax))
	return misbehaved
}

// snapshotLocked adds the torrent, the tracker, the progress and the
// tracker's peers to a snapshot.
func (n *Node) snapshotLocked(s *peer.Snapshot, now time.Time) {
	s.Agent = n.peerID
	s.Target = n.cfg.MaxPeers
	pr := n.picker.Progress()
	s.Progress = n.meter.Progress(pr, now)
	s.Fields = append(s.Fields,
		peer.Field{Label: "torrent", Value: codec.PrintableString(n.t.FileName) + " " + n.t.ID.String()[:8]},
		peer.Field{Label: "pieces", Value: fmt.Sprintf("%d/%d", pr.Have, len(pr.States))},
	)
	switch {
	case n.tracker == "":
		s.Fields = append(s.Fields, peer.Field{Label: "tracker", Value: "none"})
	case n.trackerNote == "":
		s.Fields = append(s.Fields, peer.Field{Label: "tracker", Value: "announcing"})
	default:
		s.Fields = append(s.Fields, peer.Field{Label: "tracker", Value: n.trackerNote})
		if wait := n.nextAnnounce.Sub(now); wait > 0 {
			s.Fields = append(s.Fields, peer.Field{Label: "next announce", Value: wait.Round(time.Second).String()})
		}
	}
	addr := func(a netip.AddrPort, source, from string) {
		s.Addrs = append(s.Addrs, peer.AddrInfo{
			Addr: a.String(), Live: true, Source: source, From: from,
			Connected: n.host.DialedLocked(a) || n.host.ConnectedLocked(a),
		})
	}
	for _, a := range n.cfg.Peers {
		addr(a, "cli", "")
	}
	for _, p := range n.trackerPeers {
		addr(p.Addr, "tracker", codec.PrintableString(p.ID))
	}
}
