package nibble

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/peer/nodetest"
	"github.com/bitclone/bitclone/tracker"
)

// startTracker runs a bitclone tracker on loopback, handing out an
// interval of a second, and returns its announce URL.
func startTracker(t testing.TB) (url string, srv *tracker.Server) {
	t.Helper()
	ln := nodetest.Listen(t)
	srv = tracker.New(tracker.Config{Interval: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("tracker: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/announce", srv
}

// The swarm: a bitclone tracker, three seeders and two leechers,
// all bitclone nodes on loopback, finding each other through the tracker.
// The seeders are slowed down (one frame per write, a few milliseconds
// apart), so that the leechers, which re-hello each other, have time to
// trade the pieces each got first.
func TestSwarmOfThreeSeedersAndTwoLeechersThatTradePieces(t *testing.T) {
	data := nodetest.Pattern(4<<20+777, 3)
	tor := testTorrent(t, data, 4096)
	url, srv := startTracker(t)
	config := func(name string) Config {
		cfg := fastConfig(tor, t.TempDir())
		cfg.NetID, cfg.NoTracker, cfg.TrackerURL = name, false, url
		return cfg
	}
	for k := range 3 {
		cfg := config(fmt.Sprint("seed", k))
		if err := os.WriteFile(filepath.Join(cfg.Dir, tor.FileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.Pace = 6 * time.Millisecond
		s := runNode(t, cfg)
		s.WaitText(peer.KindInfo, "found on disk and verified; seeding")
		s.WaitText(peer.KindInfo, "tracker ") // announced: the leechers will find it
	}
	var leechers []*testNode
	for k := range 2 {
		leechers = append(leechers, runNode(t, config(fmt.Sprint("leech", k))))
	}
	for _, l := range leechers {
		l.waitComplete(data)
		l.WaitText(peer.KindInfo, "progress: ") // the summaries of the default log
	}
	for k, l := range leechers {
		if _, up := l.Traffic(); up == 0 {
			t.Errorf("leecher %d uploaded nothing: the leechers did not trade pieces\n%s", k, l.Log())
		}
		if outbound := l.Count(func(e peer.Event) bool { return e.Kind == peer.KindConnected && e.Dir == peer.Outbound }); outbound > DefaultMaxPeers*4 {
			t.Errorf("leecher %d made %d connections for 4 peers", k, outbound)
		}
	}
	if sw := srv.Swarms(); len(sw) != 1 || len(sw[0].Peers) != 5 {
		t.Errorf("tracker swarms: %+v, want one of 5 peers", sw)
	}
}

// A tracker that answered once and then answers garbage: the node says
// so, and keeps dialling the peers it already knows.
func TestKeepsThePeersATrackerGaveAfterItFails(t *testing.T) {
	data := nodetest.Pattern(40*4096, 15)
	tor := testTorrent(t, data, 4096)
	// The seeder's address, free for now: the first dials fail.
	hole := nodetest.Listen(t)
	seederAddr := hole.Addr().String()
	hole.Close()
	var answered atomic.Int32
	ln := nodetest.Listen(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if answered.Add(1) == 1 {
			fmt.Fprintf(w, `{"interval": 1, "peers": [["%s", "-ECEN426-seed"]]}`, seederAddr)
			return
		}
		w.Write([]byte("<html>502 Bad Gateway</html>"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	cfg := fastConfig(tor, t.TempDir())
	cfg.NoTracker, cfg.TrackerURL = false, "http://"+ln.Addr().String()+"/announce"
	n := runNode(t, cfg)
	n.WaitText(peer.KindInfo, "tracker http://"+ln.Addr().String()+"/announce: 1 peer")
	n.WaitText(peer.KindWarn, "keeping 1 known peer")
	snap := n.Snapshot()
	if len(snap.Addrs) != 1 || snap.Addrs[0].Addr != seederAddr || snap.Addrs[0].Source != "tracker" || snap.Addrs[0].From != "-ECEN426-seed" {
		t.Errorf("the tracker's peers in the snapshot: %+v", snap.Addrs)
	}
	if got := fieldOf(snap.Fields, "tracker"); !strings.HasPrefix(got, "failed: ") {
		t.Errorf("tracker field %q after a garbage answer", got)
	}
	again, err := net.Listen("tcp", seederAddr)
	if err != nil {
		t.Skipf("the seeder's port was taken meanwhile: %v", err)
	}
	s := &fakepeer.Seeder{ID: tor.ID, PieceSize: tor.PieceSize, Data: data}
	s.Serve(again)
	t.Cleanup(s.Close)
	n.waitComplete(data)
}

// An announce that says what the last one said is not logged again: at a 30 s interval, a day of "1 peer" lines would
// bury the log. Failures are always logged, and so is the news after them.
func TestRepeatedAnnouncesAreLoggedOnce(t *testing.T) {
	data := nodetest.Pattern(3*1024, 1)
	tor := testTorrent(t, data, 1024)
	tn := runNode(t, fastConfig(tor, t.TempDir()))
	at := time.Now()
	ok := func(peers int) tracker.AnnounceEvent {
		at = at.Add(time.Second)
		return tracker.AnnounceEvent{Time: at, URL: "http://127.0.0.1:1/announce", Peers: peers, Interval: 30 * time.Second}
	}
	failed := tracker.AnnounceEvent{Time: at, URL: "http://127.0.0.1:1/announce", Err: errors.New("connection refused"), Retry: 2 * time.Second, Known: 1}
	for _, ev := range []tracker.AnnounceEvent{ok(1), ok(1), ok(1), ok(2), ok(2), failed, failed, ok(2), ok(2)} {
		tn.announced(ev)
	}
	tn.host.Info("end of announces") // a marker: every note before it has been published
	tn.WaitText(peer.KindInfo, "end of announces")
	var said []string
	for line := range strings.Lines(tn.Log()) {
		if strings.Contains(line, " tracker http") {
			said = append(said, line)
		}
	}
	if len(said) != 5 { // 1 peer, 2 peers, failed, failed, 2 peers again
		t.Errorf("logged %d announces, want 5:\n%s", len(said), strings.Join(said, ""))
	}
}
