package bt

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"

	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestDownloadFromOneSeeder(t *testing.T) {
	data := nodetest.Pattern(5<<20+12345, 1)
	tor := testTorrent(t, data, 256<<10)
	s := seedNode(t, tor, data, 1)
	l := leech(t, tor, 2, s.Addr())
	l.waitComplete(t, data)
	if down, _ := l.Traffic(); down < int64(len(data)) {
		t.Errorf("downloaded %d payload bytes, want at least %d", down, len(data))
	}
	if _, up := s.Traffic(); up < int64(len(data)) {
		t.Errorf("the seeder sent %d payload bytes, want at least %d", up, len(data))
	}
}

func TestLeechFromTwoSeeders(t *testing.T) {
	data := nodetest.Pattern(3<<20+777, 7)
	tor := testTorrent(t, data, 64<<10)
	a := seedNode(t, tor, data, 1)
	b := seedNode(t, tor, data, 2)
	l := leech(t, tor, 3, a.Addr(), b.Addr())
	l.waitComplete(t, data)
	_, upA := a.Traffic()
	_, upB := b.Traffic()
	if upA == 0 || upB == 0 {
		t.Errorf("seeders sent %d and %d bytes: want both used", upA, upB)
	}
}

// Endgame, made certain: a peer holds the requests it was given and never
// answers, and the request timeout is too long to give them back. Only
// endgame (asking a second peer for pieces in flight) can finish the
// download, and the stalled peer's requests are then cancelled. With two
// fast seeders, whether a piece is ever asked of both depends on timing.
func TestEndgameAsksASecondPeerAndCancelsTheFirst(t *testing.T) {
	data := nodetest.Pattern(1<<20+777, 7)
	tor := testTorrent(t, data, 64<<10)
	stalled := startFakeSeeder(t, tor, data, func(int) bool { return false }, true)
	cfg := fastConfig(tor, t.TempDir(), 3)
	cfg.Peers = []netip.AddrPort{nodetest.AddrOf(stalled.ln)}
	cfg.RequestTimeout = time.Hour
	l := runNode(t, cfg)
	stalledAt := stalled.ln.Addr().String()
	l.WaitEvent("a request to the stalled peer", func(e peer.Event) bool {
		return e.Kind == peer.KindSend && e.Command == bittorrent.CmdRequest && e.Peer == stalledAt
	})
	good := seedNode(t, tor, data, 1)
	if err := l.Do(peer.Command{Op: peer.OpConnect, Targets: []string{good.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	l.waitComplete(t, data)
	l.WaitEvent("a cancel to the stalled peer", func(e peer.Event) bool {
		return e.Kind == peer.KindSend && e.Command == bittorrent.CmdCancel && e.Peer == stalledAt
	})
	if n := l.Count(func(e peer.Event) bool {
		return e.Kind == peer.KindSend && e.Command == bittorrent.CmdCancel && e.Peer != stalledAt
	}); n != 0 {
		t.Errorf("%d cancels sent to the seeder that answered everything", n)
	}
}

func TestBadPieceIsFetchedAgain(t *testing.T) {
	data := nodetest.Pattern(300<<10, 8)
	tor := testTorrent(t, data, 32<<10)
	f := startFakeSeeder(t, tor, data, func(i int) bool { return i == 3 }, false)
	l := leech(t, tor, 1, nodetest.AddrOf(f.ln))
	l.waitComplete(t, data)
	l.WaitText(peer.KindWarn, "piece 3 failed its SHA-1")
}

func TestResumeFromPartialDownload(t *testing.T) {
	data := nodetest.Pattern(200<<10, 9)
	tor := testTorrent(t, data, 32<<10)
	dir := t.TempDir()
	// Pieces 0..3 on disk in the .part file, the rest garbage.
	part := append(append([]byte(nil), data[:128<<10]...), make([]byte, len(data)-128<<10)...)
	if err := os.WriteFile(filepath.Join(dir, piece.PartName(tor.Info.Name)), part, 0o644); err != nil {
		t.Fatal(err)
	}
	s := seedNode(t, tor, data, 1)
	cfg := fastConfig(tor, dir, 2)
	cfg.Peers = []netip.AddrPort{s.Addr()}
	l := runNode(t, cfg)
	l.WaitText(peer.KindInfo, "partial, 4/7 pieces verified")
	l.waitComplete(t, data)
	if down, _ := l.Traffic(); down != int64(len(data)-128<<10) {
		t.Errorf("downloaded %d bytes, want only the %d missing", down, len(data)-128<<10)
	}
}

func TestMultiFileDownload(t *testing.T) {
	src := t.TempDir()
	files := map[string][]byte{
		"album/a.bin":           nodetest.Pattern(100<<10+3, 1),
		"album/empty":           nil,
		"album/disc 2/b.bin":    nodetest.Pattern(200<<10, 2),
		"album/disc 2/deep/c.x": nodetest.Pattern(5, 3),
	}
	for p, d := range files {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(src, p), d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := metainfo.Make(os.DirFS(src), "album", metainfo.MakeOptions{Announce: "http://127.0.0.1:1/announce", PieceLength: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	s := runNode(t, fastConfig(m.Torrent, src, 1))
	s.WaitText(peer.KindInfo, "complete: found on disk and verified")
	dest := t.TempDir()
	cfg := fastConfig(m.Torrent, dest, 2)
	cfg.Peers = []netip.AddrPort{s.Addr()}
	l := runNode(t, cfg)
	l.Wait("complete download", l.Completed())
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dest, p))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes (%v), want %d", p, len(got), err, len(want))
		}
	}
}

func TestStalledPeerBlocksGoToAnother(t *testing.T) {
	data := nodetest.Pattern(1<<20, 11)
	tor := testTorrent(t, data, 32<<10)
	stalled := startFakeSeeder(t, tor, data, func(int) bool { return false }, true)
	cfg := fastConfig(tor, t.TempDir(), 2)
	cfg.Peers = []netip.AddrPort{nodetest.AddrOf(stalled.ln)}
	cfg.RequestTimeout = 100 * time.Millisecond
	l := runNode(t, cfg)
	warned := l.WaitText(peer.KindWarn, "requests given back for other peers; one at a time from now")
	// Snubbed: asked again, one block at a time.
	l.WaitEvent("a request after the snub", func(e peer.Event) bool {
		return e.Kind == peer.KindSend && e.Command == bittorrent.CmdRequest && e.At.After(warned.At)
	})
	for _, c := range l.Snapshot().Conns {
		for _, f := range c.Fields {
			if f.Label == "in flight" && f.Value != "0" && f.Value != "1" {
				t.Errorf("the snubbed peer has %s requests in flight, want at most 1", f.Value)
			}
		}
	}
	// The blocks it held are free for a peer that answers.
	good := seedNode(t, tor, data, 1)
	if err := l.Do(peer.Command{Op: peer.OpConnect, Targets: []string{good.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	l.waitComplete(t, data)
}

// fakeTracker hands out a list of peers once and records what the node
// tells it.
type fakeTracker struct {
	list     []netip.AddrPort
	req      chan TrackerRequest
	finished chan struct{}
	// atStart is what the request's Stats said when the tracker answered,
	// as a real client's "started" announce reads them: once the list is
	// out, the download moves them on.
	atStart chan [3]int64
	stats   func() (up, down, left int64)
}

func (f *fakeTracker) make(r TrackerRequest) (Tracker, error) {
	f.req <- r
	f.stats = r.Stats
	return f, nil
}

func (f *fakeTracker) Run(ctx context.Context, peers chan<- []netip.AddrPort, note func(peer.Kind, string)) {
	defer close(f.finished)
	up, down, left := f.stats()
	f.atStart <- [3]int64{up, down, left}
	note(peer.KindInfo, "fake tracker: 1 peer")
	select {
	case peers <- f.list:
	case <-ctx.Done():
	}
	<-ctx.Done()
}

func TestPeersFromTheTracker(t *testing.T) {
	data := nodetest.Pattern(300<<10, 12)
	tor := testTorrent(t, data, 32<<10)
	s := seedNode(t, tor, data, 1)
	ft := &fakeTracker{list: []netip.AddrPort{s.Addr()}, req: make(chan TrackerRequest, 1), finished: make(chan struct{}), atStart: make(chan [3]int64, 1)}
	cfg := fastConfig(tor, t.TempDir(), 2)
	cfg.Tracker = ft.make
	l := runNode(t, cfg)
	req := <-ft.req
	if req.InfoHash != bittorrent.InfoHash(tor.InfoHash) || req.PeerID != l.PeerID() || req.Port != l.Addr().Port() || req.CompleteAtStart {
		t.Errorf("announce request %+v", req)
	}
	if s := <-ft.atStart; s != [3]int64{0, 0, int64(len(data))} {
		t.Errorf("stats at start (up, down, left): %v", s)
	}
	l.waitComplete(t, data)
	l.Wait("the completed signal", req.Completed)
	if _, down, left := req.Stats(); down != int64(len(data)) || left != 0 {
		t.Errorf("stats once complete: down %d, left %d", down, left)
	}
	l.WaitText(peer.KindInfo, "fake tracker: 1 peer")
	l.Stop()
	<-ft.finished // the tracker client ends with the node
}
