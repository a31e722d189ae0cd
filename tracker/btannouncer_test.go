package tracker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// btRun is a BitTorrent Announcer running in a bubble against tr: its
// events, and Stats reporting left.
type btRun struct {
	a      *Announcer
	events []AnnounceEvent
	left   atomic.Int64
	cancel context.CancelFunc
	done   chan error
}

func startBT(t *testing.T, tr http.RoundTripper) *btRun {
	t.Helper()
	r := &btRun{done: make(chan error, 1)}
	r.left.Store(1000)
	a, err := NewBTAnnouncer(BTConfig{
		URL: fakeURL, InfoHash: hash20(ih1), PeerID: id20(btPeerID(1)),
		IP: netip.MustParseAddr("127.0.0.1"), Port: 6881,
		Stats:   func() (int64, int64, int64) { return 5, 1000 - r.left.Load(), r.left.Load() },
		Client:  &http.Client{Transport: tr},
		OnEvent: func(e AnnounceEvent) { r.events = append(r.events, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.a = a
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- a.Run(ctx) }()
	return r
}

// stop cancels Run and waits for it.
func (r *btRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// sent notes each request's event and left, and when it came.
type sent struct {
	at          time.Duration // since the bubble started
	event, left string
}

// recording is a scripted tracker that answers with answer and notes each
// request in *log, times since the call.
func recording(answer func(n int, req *http.Request) (*http.Response, error)) (tr *scripted, log *[]sent) {
	start, log := time.Now(), new([]sent)
	return &scripted{answer: func(n int, req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		*log = append(*log, sent{time.Since(start), q.Get("event"), q.Get("left")})
		return answer(n, req)
	}}, log
}

// check compares the requests made and the lines logged with the wanted
// ones (lines without the "tracker URL: " they all start with).
func (r *btRun) check(t *testing.T, log *[]sent, want []sent, lines ...string) {
	t.Helper()
	if !reflect.DeepEqual(*log, want) {
		t.Errorf("requests %+v\nwant %+v", *log, want)
	}
	var got []string
	for _, e := range r.events {
		got = append(got, strings.TrimPrefix(e.String(), "tracker "+fakeURL+": "))
	}
	if !reflect.DeepEqual(got, lines) {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(lines, "\n"))
	}
}

// The life of a BitTorrent Announcer against our server: started, the
// tracker's 30-minute interval followed, completed at once when the
// download completes, stopped when Run ends; each said in the log.
func TestBTAnnouncerEventsAgainstOurServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := New(Config{Interval: 30 * time.Minute})
		tr, log := recording(func(n int, req *http.Request) (*http.Response, error) {
			return serve(srv, req), nil
		})
		get(srv, btQuery(rawHash(ih1), btPeerID(2), "port", "7002", "left", "0"), "127.0.0.1:1") // a seeder
		r := startBT(t, tr)
		synctest.Wait()
		if got := <-r.a.Peers(); !reflect.DeepEqual(got, []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:7002")}}) {
			t.Errorf("peers %v, want the seeder, ourselves left out", got)
		}
		time.Sleep(40 * time.Minute)
		r.left.Store(0)
		r.a.Completed()
		r.a.Completed() // once only
		synctest.Wait()
		if sw := srv.Swarms(); len(sw[0].Peers) != 2 || !sw[0].Peers[1].Seeder {
			t.Errorf("swarm %+v, want us seeding", sw)
		}
		time.Sleep(31 * time.Minute)
		r.stop(t)
		m := time.Minute
		r.check(t, log, []sent{{0, "started", "1000"}, {30 * m, "", "1000"}, {40 * m, "completed", "0"}, {70 * m, "", "0"}, {71 * m, "stopped", "0"}},
			"started: 1 peer; next announce in 30m0s",
			"1 peer; next announce in 30m0s",
			"completed: 1 peer; next announce in 30m0s",
			"0 peers; next announce in 30m0s", // the seeder expired at 60m
			"stopped")
		if sw := srv.Swarms(); len(sw) != 0 { // the seeder expired at 60m, we left
			t.Errorf("after stopped: %+v", sw)
		}
	})
}

// Hand-written replies: started is repeated until a tracker answers it;
// a failure reason is a failure (backoff, peers kept); completed asked for
// meanwhile follows the first success; min interval holds completed back
// and raises a shorter interval; a warning is shown.
func TestBTAnnouncerHandWrittenReplies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		replies := []func() (*http.Response, error){
			func() (*http.Response, error) { return nil, errRefused },
			func() (*http.Response, error) { return reply(200, "d14:failure reason10:overloadede"), nil },
			func() (*http.Response, error) {
				return reply(200, "d8:intervali20e12:min intervali90e5:peers6:\x7f\x00\x00\x02\x1a\xe2e"), nil
			},
			func() (*http.Response, error) {
				return reply(200, "d8:intervali1800e12:min intervali90e5:peers12:\x7f\x00\x00\x02\x1a\xe2\x7f\x00\x00\x01\x1a\xe115:warning message4:busye"), nil
			},
			func() (*http.Response, error) { return reply(200, "garbage"), nil },
		}
		tr, log := recording(func(n int, req *http.Request) (*http.Response, error) {
			if n < len(replies) {
				return replies[n]()
			}
			return reply(200, "d5:peers0:e"), nil
		})
		r := startBT(t, tr)
		time.Sleep(3 * time.Second)
		r.a.Completed() // during the backoff after the failure reason
		time.Sleep(time.Hour - 3*time.Second)
		r.stop(t)
		s := time.Second
		r.check(t, log, []sent{
			{0, "started", "1000"}, {2 * s, "started", "1000"}, {6 * s, "started", "1000"},
			{96 * s, "completed", "1000"}, // min interval after the started that was answered
			{1896 * s, "", "1000"}, {1898 * s, "", "1000"}, {3600 * s, "stopped", "1000"},
		},
			"started: connection refused; retrying in 2s, keeping 0 known peers",
			"started: tracker says: overloaded; retrying in 4s, keeping 0 known peers",
			"started: 1 peer; next announce in 1m30s",
			"completed: 1 peer; tracker warns: busy; interval now 30m0s (was 1m30s); next announce in 30m0s",
			"reply is not bencoded: bencode: byte 0: want a value (i, l, d or a digit), got 'g'; retrying in 2s, keeping 1 known peer",
			"0 peers; next announce in 30m0s",
			"stopped")
	})
}

// Completed during the wait after a regular announce comes once the
// tracker's min interval since that announce has passed, not at once.
func TestBTAnnouncerCompletedWaitsForMinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr, log := recording(func(n int, req *http.Request) (*http.Response, error) {
			return reply(200, "d8:intervali600e12:min intervali90e5:peers0:e"), nil
		})
		r := startBT(t, tr)
		time.Sleep(10 * time.Second)
		r.left.Store(0)
		r.a.Completed()
		time.Sleep(2 * time.Minute)
		r.stop(t)
		s := time.Second
		r.check(t, log, []sent{{0, "started", "1000"}, {90 * s, "completed", "0"}, {130 * s, "stopped", "0"}},
			"started: 0 peers; next announce in 10m0s",
			"completed: 0 peers; next announce in 10m0s",
			"stopped")
	})
}

// A tracker that does not answer the stopped announce holds Run for
// stopTimeout at most; one never answered is not told we stop.
func TestBTAnnouncerStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr, log := recording(func(n int, req *http.Request) (*http.Response, error) {
			if n == 0 {
				return reply(200, "d5:peers0:e"), nil
			}
			<-req.Context().Done()
			return nil, req.Context().Err()
		})
		r := startBT(t, tr)
		synctest.Wait()
		before := time.Now()
		r.stop(t)
		if took := time.Since(before); took != stopTimeout {
			t.Errorf("Run took %s to stop, want %s", took, stopTimeout)
		}
		r.check(t, log, []sent{{0, "started", "1000"}, {0, "stopped", "1000"}},
			"started: 0 peers; next announce in 30s", "stopped (not told: no answer in time)")
	})
	synctest.Test(t, func(t *testing.T) {
		tr := &scripted{answer: func(n int, req *http.Request) (*http.Response, error) { return nil, errRefused }}
		r := startBT(t, tr)
		synctest.Wait()
		r.stop(t)
		if len(tr.times) != 1 {
			t.Errorf("%d requests, want the started one only", len(tr.times))
		}
	})
}

func TestNewBTAnnouncerChecksItsConfig(t *testing.T) {
	ok := BTConfig{URL: fakeURL, InfoHash: hash20(ih1), PeerID: NewBTPeerID(), Port: 1, Stats: func() (int64, int64, int64) { return 0, 0, 0 }}
	if _, err := NewBTAnnouncer(ok); err != nil {
		t.Fatal(err)
	}
	for _, change := range []func(*BTConfig){
		func(c *BTConfig) { c.URL = "udp://x:1" },
		func(c *BTConfig) { c.InfoHash = [HashLen]byte{} },
		func(c *BTConfig) { c.PeerID = [HashLen]byte{} },
		func(c *BTConfig) { c.Port = 0 },
		func(c *BTConfig) { c.Stats = nil },
	} {
		cfg := ok
		change(&cfg)
		if _, err := NewBTAnnouncer(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// Two BitTorrent Announcers and our Server on loopback: the second learns
// the first, and both leave the swarm (stopped) when their Run ends.
func TestBTAnnouncersOnLoopback(t *testing.T) {
	srv := New(Config{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	run := func(n int) (*Announcer, chan AnnounceEvent) {
		events := make(chan AnnounceEvent, 4)
		a, err := NewBTAnnouncer(BTConfig{
			URL: ts.URL + "/announce", InfoHash: hash20(ih1), PeerID: NewBTPeerID(),
			IP: netip.MustParseAddr("127.0.0.1"), Port: uint16(7000 + n),
			Stats:   func() (int64, int64, int64) { return 0, 0, 1 },
			Client:  ts.Client(),
			OnEvent: func(e AnnounceEvent) { events <- e },
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); a.Run(ctx) }()
		return a, events
	}
	_, aEvents := run(1)
	if e := <-aEvents; e.Err != nil || e.Event != EventStarted || e.Peers != 0 {
		t.Fatalf("a: %s", e)
	}
	b, bEvents := run(2)
	<-bEvents
	if got := <-b.Peers(); !reflect.DeepEqual(got, []Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:7001")}}) {
		t.Errorf("b sees %v, want a", got)
	}
	if sw := srv.Swarms(); len(sw) != 1 || len(sw[0].Peers) != 2 {
		t.Fatalf("swarms %+v", sw)
	}
	cancel()
	wg.Wait()
	for _, events := range []chan AnnounceEvent{aEvents, bEvents} {
		var last AnnounceEvent
		for len(events) > 0 {
			last = <-events
		}
		if last.Event != EventStopped || last.Err != nil {
			t.Errorf("at the end: %s, want stopped", last)
		}
	}
	if sw := srv.Swarms(); len(sw) != 0 {
		t.Errorf("after both stopped: %+v", sw)
	}
}
