package bt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"
	"github.com/bitclone/bitclone/peer/swarm"
)

// Node is a BitTorrent peer for one torrent: the protocol on a peer.Host.
// Create it with New (which opens the download, resuming from disk), bind
// with Listen, serve with Run. It implements peer.Node.
//
// The host owns the listener, the connection table and dialling; the node
// owns the swarm policy (whom to dial, the choker), guarded by the host's
// mutex (mu), which is never held across I/O. The picker and the store
// guard themselves; each connection's reader goroutine runs its session.
type Node struct {
	swarm.Hosted // Addr, Run, Events, ReleaseEvents, Do, Snapshot

	cfg     Config
	t       *metainfo.Torrent
	host    *peer.Host
	mu      *sync.Mutex // the host's
	store   *piece.Store
	picker  *piece.Picker
	ctx     bittorrent.Context // for Validate, the dialect and the log
	framing peer.Framing

	kick     chan struct{} // wakes the maintenance loop to dial
	complete *swarm.Completion
	meter    swarm.Meter // payload rates and progress summaries

	// Under mu.
	sessions     map[piece.PeerID]*session // established ones
	trackerPeers []netip.AddrPort
	self         map[netip.AddrPort]bool // addresses that turned out to be us
	optimistic   piece.PeerID            // the optimistic unchoke (0: none)
	nextChoke    time.Time
	nextOptimist time.Time
}

// Reasons a connection closes.
var (
	errWrongTorrent = errors.New("handshake for another torrent")
	errSelf         = errors.New("connected to ourselves")
	errProtocol     = errors.New("broke the protocol")
	errBadPieces    = errors.New("sent too many pieces that failed their SHA-1")
)

// New opens the download in cfg.Dir (resuming from a .part file or seeding
// a complete file) and makes the node; nothing runs until Run.
func New(cfg Config, opts ...Option) (*Node, error) {
	cfg = cfg.withDefaults()
	t := cfg.Torrent
	if t == nil {
		return nil, errors.New("bt: no torrent")
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	store, err := openStore(cfg.Dir, &t.Info)
	if err != nil {
		return nil, err
	}
	pickRand := rand.New(rand.NewPCG(cfg.Rand.Uint64(), cfg.Rand.Uint64()))
	picker, err := piece.NewPicker(piece.PickerConfig{Geometry: store.Geometry(), Have: store.Have(), MaxStrikes: cfg.MaxStrikes, Rand: pickRand})
	if err != nil {
		store.Close()
		return nil, err
	}
	n := &Node{
		cfg:      cfg,
		t:        t,
		store:    store,
		picker:   picker,
		ctx:      Context(t, cfg.PeerID, ReadFile),
		kick:     make(chan struct{}, 1),
		complete: swarm.NewCompletion(),
		sessions: make(map[piece.PeerID]*session),
		self:     make(map[netip.AddrPort]bool),
	}
	n.framing = framingWith(n.ctx)
	hc := o.host
	hc.ListenHost, hc.Port = cfg.ListenHost, cfg.Port
	hc.HandshakeTimeout = cfg.HandshakeTimeout
	hc.IdleTimeout = cfg.DropSilentAfter
	hc.RetryBase, hc.RetryMax = cfg.RetryBase, cfg.RetryMax
	hc.BanFor = cfg.ShunFor
	hc.Pace = cfg.Pace
	hc.EventBacklog, hc.NoMessageEvents = cfg.EventBacklog, cfg.NoMessageEvents
	hc.HelloName = bittorrent.CmdHandshake
	n.host = peer.NewHost(hc, protocol{n})
	n.Hosted = swarm.Host(n.host)
	n.mu = n.host.Mutex()
	return n, nil
}

// openStore opens the torrent's files under dir: one file, or a
// directory of them (their paths checked again by the store).
func openStore(dir string, info *metainfo.Info) (*piece.Store, error) {
	hashes := make([][20]byte, len(info.Pieces))
	for i, h := range info.Pieces {
		hashes[i] = h
	}
	if !info.MultiFile {
		return piece.Open(piece.Spec{Dir: dir, Name: info.Name, Size: info.TotalLength(), PieceSize: info.PieceLength, Hashes: hashes})
	}
	files := make([]piece.File, len(info.Files))
	for i, f := range info.Files {
		files[i] = piece.File{Path: strings.Join(f.Path[1:], "/"), Size: f.Length}
	}
	l, err := piece.MultiFile(info.Name, files)
	if err != nil {
		return nil, err
	}
	return piece.OpenLayout(dir, l, info.PieceLength, hashes)
}

// Listen binds the listening socket, so that a busy port is reported
// before any front end starts. Run calls it if it has not been called.
func (n *Node) Listen() error {
	if err := n.host.Listen(); err != nil {
		n.store.Close()
		return err
	}
	return nil
}

var (
	_ peer.Node          = (*Node)(nil)
	_ peer.EventReleaser = (*Node)(nil)
)

// Validate judges a typed line against the spec and the torrent.
func (n *Node) Validate(line string) peer.Verdict {
	v := bittorrent.Validate(line, n.ctx)
	return peer.Verdict{Level: peer.Level(v.Level), Text: v.Text}
}

// Completed is closed once every piece is verified and the file has its
// final name (at once when it was complete on disk).
func (n *Node) Completed() <-chan struct{} { return n.complete.Done() }

// Traffic is the payload moved so far: block bytes received and sent.
func (n *Node) Traffic() (down, up int64) { return n.meter.Traffic() }

// PeerID is our peer_id.
func (n *Node) PeerID() bittorrent.PeerID { return n.cfg.PeerID }

// Dialect is the node's dialect, knowing its torrent and our peer_id
// ("piece I B @FILE" reads FILE).
func (n *Node) Dialect() peer.Dialect { return NewDialect(n.ctx) }

// start runs once the listener is bound: it says what was found on disk.
func (n *Node) start() {
	r := n.store.Resume()
	info := &n.t.Info
	n.host.Info(fmt.Sprintf("listening on %s as %s; torrent %s %s (%s, %d pieces of %s): %s, %d/%d pieces verified",
		n.host.ListenerAddr(), n.cfg.PeerID, codec.Quote(info.Name), n.t.InfoHash, humanize.Bytes(uint64(info.TotalLength())),
		info.NumPieces(), humanize.Bytes(uint64(info.PieceLength)), r.Source, n.picker.Progress().Have, info.NumPieces()))
	if n.store.Complete() {
		n.markComplete("found on disk and verified; seeding", nil)
	}
	if n.cfg.Tracker == nil {
		n.host.Info("no tracker: dialling only the peers given")
	}
}

// maintain is the node's periodic work, on a goroutine the host owns:
// announcing, dialling, choking, keep-alives, progress summaries.
func (n *Node) maintain(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var peers chan []netip.AddrPort
	if n.cfg.Tracker != nil {
		tr, err := n.cfg.Tracker(TrackerRequest{
			InfoHash: bittorrent.InfoHash(n.t.InfoHash), PeerID: n.cfg.PeerID,
			IP: n.cfg.AnnounceIP, Port: n.host.Addr().Port(),
			Stats: n.trackerStats, Completed: n.complete.Done(),
			CompleteAtStart: n.store.Resume().Verified == n.t.Info.NumPieces(),
		})
		if err != nil {
			n.host.Note(peer.KindError, nil, "tracker: "+err.Error())
		} else {
			peers = make(chan []netip.AddrPort, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr.Run(ctx, peers, func(kind peer.Kind, text string) { n.host.Note(kind, nil, text) })
			}()
		}
	}
	tick := time.NewTicker(n.cfg.Tick)
	defer tick.Stop()
	n.fill()
	for {
		select {
		case <-ctx.Done():
			return
		case list := <-peers:
			list = slices.DeleteFunc(list, n.host.Ours) // the tracker lists us too
			n.mu.Lock()
			n.trackerPeers = list
			n.mu.Unlock()
			n.fill()
		case <-n.kick:
			n.fill()
		case now := <-tick.C:
			n.tickSessions(now)
			n.choke(now)
			n.fill()
			n.summary(now)
		}
	}
}

// trackerStats is what an announce reports.
func (n *Node) trackerStats() (up, down, left int64) {
	pr := n.picker.Progress()
	down, up = n.Traffic()
	return up, down, pr.BytesTotal - pr.BytesDone
}

// wake asks the maintenance loop to dial; it never blocks.
func (n *Node) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// fill dials the --peer addresses and the tracker's until MaxPeers
// connections we dialled are up or on their way. A complete download dials
// nobody: peers that want pieces dial us. The host keeps each address's
// backoff.
func (n *Node) fill() {
	if n.store.Complete() {
		return
	}
	n.mu.Lock()
	dial := n.candidatesLocked()
	n.mu.Unlock()
	for _, a := range dial {
		n.host.Dial(a) // a backoff, a ban or the dial budget say no: the next tick tries again
	}
}

// candidatesLocked is the peers to dial now, up to MaxPeers dialled
// connections: not ourselves, not connected or being dialled.
func (n *Node) candidatesLocked() []netip.AddrPort {
	out := 0
	n.host.EachLocked(func(c *peer.Conn, _ netip.AddrPort, _ peer.Session) {
		if c.Dir() == peer.Outbound {
			out++
		}
	})
	var dial []netip.AddrPort
	for _, a := range slices.Concat(n.cfg.Peers, n.trackerPeers) {
		if out+len(dial) >= n.cfg.MaxPeers {
			break
		}
		if n.self[a] || n.host.Ours(a) || n.host.DialingLocked(a) || n.host.DialedLocked(a) || slices.Contains(dial, a) {
			continue
		}
		dial = append(dial, a)
	}
	return dial
}

// established lists the established sessions.
func (n *Node) established() []*session {
	n.mu.Lock()
	defer n.mu.Unlock()
	ss := make([]*session, 0, len(n.sessions))
	for _, s := range n.sessions {
		ss = append(ss, s)
	}
	return ss
}

// tickSessions runs each session's periodic work.
func (n *Node) tickSessions(now time.Time) {
	for _, s := range n.established() {
		s.tick(now)
	}
}

// choke hands out the upload slots every ChokeInterval and moves the
// optimistic unchoke every OptimisticInterval.
func (n *Node) choke(now time.Time) {
	n.mu.Lock()
	due := !now.Before(n.nextChoke)
	rotate := !now.Before(n.nextOptimist)
	if due {
		n.nextChoke = now.Add(n.cfg.ChokeInterval)
	}
	if rotate {
		n.nextOptimist = now.Add(n.cfg.OptimisticInterval)
	}
	n.mu.Unlock()
	if due || rotate {
		n.rechoke(now, rotate)
	}
}

// rechoke unchokes the UploadSlots fastest interested peers and the
// optimistic one, and chokes the others.
func (n *Node) rechoke(now time.Time, rotate bool) {
	seeding := n.store.Complete()
	var cands []candidate
	for _, s := range n.established() {
		c := s.chokeState(now, seeding)
		cands = append(cands, c)
	}
	n.mu.Lock()
	unchoke, opt := chooseUnchoked(cands, n.cfg.UploadSlots, n.optimistic, rotate, n.cfg.Rand)
	n.optimistic = opt
	n.mu.Unlock()
	for _, c := range cands {
		c.s.setChoking(!unchoke[c.id])
	}
}

// slotFree unchokes s at once when an upload slot is free, so that a new
// interested peer is served before the next round.
func (n *Node) slotFree(s *session) {
	used := 0
	for _, o := range n.established() {
		if o != s && o.uploading() && !n.isOptimistic(o.id) {
			used++
		}
	}
	if used < n.cfg.UploadSlots {
		s.setChoking(false)
	}
}

func (n *Node) isOptimistic(id piece.PeerID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.optimistic == id
}

// verified tells every peer about piece i (have), cancels its blocks on
// the other connections that fetch it (endgame), and drops interest in
// peers with nothing more for us.
func (n *Node) verified(i int, others []piece.PeerID) {
	n.mu.Lock()
	ss := make([]*session, 0, len(n.sessions))
	for _, s := range n.sessions {
		ss = append(ss, s)
	}
	n.mu.Unlock()
	for _, s := range ss {
		if slices.Contains(others, s.id) {
			s.cancelPiece(i)
		}
		s.sendHave(i)
		s.updateInterest()
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
	info := &n.t.Info
	n.complete.Mark(n.host, by, how, info.NumPieces(), info.TotalLength(), filepath.Join(n.cfg.Dir, info.Name))
}

// establishedLocked registers a session whose handshake is done.
func (n *Node) establishedLocked(s *session) { n.sessions[s.id] = s }

// closedLocked is the node's part of a connection's end: the picker
// forgets the peer, an address that was us is never dialled again, and a
// peer that sent bad pieces counts as misbehaving.
func (n *Node) closedLocked(s *session, err error) (misbehaved bool) {
	delete(n.sessions, s.id)
	n.picker.RemovePeer(s.id)
	if n.optimistic == s.id {
		n.optimistic = 0
	}
	if errors.Is(err, errSelf) && s.dialed.IsValid() {
		n.self[s.dialed] = true
	}
	return errors.Is(err, errBadPieces)
}

// snapshotLocked adds the torrent, the progress and the known peers.
func (n *Node) snapshotLocked(s *peer.Snapshot, now time.Time) {
	s.Agent = n.cfg.PeerID.String()
	s.Target = n.cfg.MaxPeers
	pr := n.picker.Progress()
	s.Progress = n.meter.Progress(pr, now)
	unchoked := 0
	for _, ss := range n.sessions {
		if !ss.amChokingNow() {
			unchoked++
		}
	}
	s.Fields = append(s.Fields,
		peer.Field{Label: "torrent", Value: codec.PrintableString(n.t.Info.Name) + " " + n.t.InfoHash.String()[:8]},
		peer.Field{Label: "pieces", Value: fmt.Sprintf("%d/%d", pr.Have, len(pr.States))},
		peer.Field{Label: "unchoked", Value: fmt.Sprintf("%d/%d+1", unchoked, n.cfg.UploadSlots)},
	)
	for _, a := range n.cfg.Peers {
		s.Addrs = append(s.Addrs, peer.AddrInfo{Addr: a.String(), Live: true, Source: "cli", Connected: n.host.DialedLocked(a) || n.host.ConnectedLocked(a)})
	}
	for _, a := range n.trackerPeers {
		s.Addrs = append(s.Addrs, peer.AddrInfo{Addr: a.String(), Live: true, Source: "tracker", Connected: n.host.DialedLocked(a) || n.host.ConnectedLocked(a)})
	}
}

// ReadFile reads a file of at most limit bytes, for "piece I B @FILE".
func ReadFile(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s holds more than %d bytes", codec.Quote(name), limit)
	}
	return b, nil
}
