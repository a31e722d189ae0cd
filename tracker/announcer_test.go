package tracker

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

const fakeURL = "http://tracker.test:6969/announce"

// scripted is an in-memory tracker (no sockets, so it runs in a synctest
// bubble): answer gives the n-th request's answer, and it notes when each
// request came.
type scripted struct {
	answer func(n int, req *http.Request) (*http.Response, error)
	times  []time.Time
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	s.times = append(s.times, time.Now())
	return s.answer(len(s.times)-1, req)
}

// gaps are the waits between requests.
func (s *scripted) gaps() []time.Duration {
	var g []time.Duration
	for i := 1; i < len(s.times); i++ {
		g = append(g, s.times[i].Sub(s.times[i-1]))
	}
	return g
}

func reply(status int, body string) *http.Response {
	w := httptest.NewRecorder()
	w.WriteHeader(status)
	io.WriteString(w, body)
	return w.Result()
}

// serve answers req with h, as if it came from loopback.
func serve(h http.Handler, req *http.Request) *http.Response {
	r := req.Clone(req.Context())
	r.RemoteAddr = "127.0.0.1:50000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

// runAnnouncer runs an Announcer for me against tr until tr cancels it, and
// returns its events and the peer lists it sent, drained after each event.
func runAnnouncer(t *testing.T, tr http.RoundTripper, withCancel func(context.CancelFunc)) ([]AnnounceEvent, [][]Peer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	withCancel(cancel)
	var events []AnnounceEvent
	var lists [][]Peer
	var a *Announcer
	a, err := NewAnnouncer(AnnouncerConfig{
		URL: fakeURL, Request: request("me", "127.0.0.1", 6881),
		Client: &http.Client{Transport: tr},
		OnEvent: func(e AnnounceEvent) {
			events = append(events, e)
			select {
			case l := <-a.Peers():
				lists = append(lists, l)
			default:
				lists = append(lists, nil)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, open := <-a.Peers(); open {
		t.Error("Peers not closed when Run returned")
	}
	return events, lists
}

// The Announcer re-announces at the tracker's interval, follows a change,
// and clamps one too short or too long.
func TestAnnouncerFollowsTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancel context.CancelFunc
		intervals := []string{"10", "10", "20", "0.001", "1e9"}
		tr := &scripted{answer: func(n int, req *http.Request) (*http.Response, error) {
			if n == len(intervals) {
				cancel()
				return nil, context.Canceled
			}
			return reply(200, `{"interval": `+intervals[n]+`, "peers": [["127.0.0.1:7000", "-ECEN426-other"]]}`), nil
		}}
		events, _ := runAnnouncer(t, tr, func(c context.CancelFunc) { cancel = c })
		want := []time.Duration{10 * time.Second, 10 * time.Second, 20 * time.Second, MinInterval, MaxInterval}
		if got := tr.gaps(); !reflect.DeepEqual(got, want) {
			t.Errorf("gaps %v, want %v", got, want)
		}
		if len(events) != 5 || events[0].Previous != 0 || events[2].Previous != 10*time.Second || events[2].Interval != 20*time.Second {
			t.Fatalf("events %+v", events)
		}
		if s, want := events[2].String(), "tracker "+fakeURL+": 1 peer; interval now 20s (was 10s); next announce in 20s"; s != want {
			t.Errorf("line %q, want %q", s, want)
		}
		if s, want := events[0].String(), "tracker "+fakeURL+": 1 peer; next announce in 10s"; s != want {
			t.Errorf("line %q, want %q", s, want)
		}
	})
}

// A tracker that is down, or answers errors and garbage: retried with a
// doubling backoff (never a tight loop), the known peers kept (no list sent),
// each failure said in the log; back to the interval once it answers.
func TestAnnouncerRidesOutAnOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := New(Config{Interval: 30 * time.Second})
		huge := `{"peers": [` + strings.Repeat(`"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, MaxReplyBytes/32) + `""]}`
		failures := []func() (*http.Response, error){
			func() (*http.Response, error) { return nil, errRefused },
			func() (*http.Response, error) { return reply(500, `{"error": "tracker on fire"}`), nil },
			func() (*http.Response, error) { return reply(200, "<html>hello</html>"), nil },
			func() (*http.Response, error) { return reply(200, huge), nil },
			func() (*http.Response, error) { return reply(200, `{"interval": "soon", "peers": []}`), nil },
			func() (*http.Response, error) { return reply(404, "no"), nil },
		}
		var cancel context.CancelFunc
		tr := &scripted{answer: func(n int, req *http.Request) (*http.Response, error) {
			switch {
			case n == 0 || n == 7: // up; the other peer announced meanwhile
				get(srv, announceQuery("-ECEN426-other", "127.0.0.1", "7000", tid1), "127.0.0.1:1")
				return serve(srv, req), nil
			case n <= 6: // down, then garbage
				return failures[n-1]()
			case n == 8: // down again: the backoff starts over
				return nil, errRefused
			}
			cancel()
			return nil, context.Canceled
		}}
		events, lists := runAnnouncer(t, tr, func(c context.CancelFunc) { cancel = c })
		s := time.Second
		want := []time.Duration{30 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, RetryMax, 30 * s, 2 * s}
		if got := tr.gaps(); !reflect.DeepEqual(got, want) {
			t.Errorf("gaps %v, want %v", got, want)
		}
		wantLines := []string{
			"tracker " + fakeURL + ": 1 peer; next announce in 30s",
			"tracker " + fakeURL + ": connection refused; retrying in 2s, keeping 1 known peer",
			"tracker " + fakeURL + ": 500 Internal Server Error: tracker on fire; retrying in 4s, keeping 1 known peer",
			"tracker " + fakeURL + ": reply is not a JSON object: invalid character '<' looking for beginning of value at byte 1; retrying in 8s, keeping 1 known peer",
			"tracker " + fakeURL + ": reply longer than 256 KiB; retrying in 16s, keeping 1 known peer",
			"tracker " + fakeURL + `: reply's interval "\"soon\"" is not a number; retrying in 32s, keeping 1 known peer`,
			"tracker " + fakeURL + ": 404 Not Found; retrying in 1m0s, keeping 1 known peer",
			"tracker " + fakeURL + ": 1 peer; next announce in 30s",
			"tracker " + fakeURL + ": connection refused; retrying in 2s, keeping 1 known peer",
		}
		for i, e := range events {
			if i >= len(wantLines) || e.String() != wantLines[i] {
				t.Errorf("event %d: %q", i, e)
			}
		}
		other := []Peer{peer("127.0.0.1:7000", "-ECEN426-other")}
		wantLists := [][]Peer{other, nil, nil, nil, nil, nil, nil, other, nil}
		if !reflect.DeepEqual(lists, wantLists) {
			t.Errorf("lists sent %v, want %v", lists, wantLists)
		}
	})
}

// Cancelling stops Run at once, even with a request in flight.
func TestAnnouncerStopsMidRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &scripted{answer: func(n int, req *http.Request) (*http.Response, error) {
			<-req.Context().Done()
			return nil, req.Context().Err()
		}}
		a, err := NewAnnouncer(AnnouncerConfig{URL: fakeURL, Request: request("me", "", 1), Client: &http.Client{Transport: tr}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- a.Run(ctx) }()
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if _, open := <-a.Peers(); open || len(tr.times) != 1 {
			t.Errorf("peers open %v, %d requests", open, len(tr.times))
		}
	})
}

// A consumer that does not keep up gets the latest list, not a backlog,
// and never blocks the Announcer.
func TestAnnouncerSendsTheLatestList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		tr := &scripted{answer: func(n int, req *http.Request) (*http.Response, error) {
			if n == 3 {
				cancel()
				return nil, context.Canceled
			}
			return reply(200, fmt.Sprintf(`{"interval": 5, "peers": [["127.0.0.1:%d", "p"]]}`, 7000+n)), nil
		}}
		a, err := NewAnnouncer(AnnouncerConfig{URL: fakeURL, Request: request("me", "", 1), Client: &http.Client{Transport: tr}})
		if err != nil {
			t.Fatal(err)
		}
		a.Run(ctx)
		if got := <-a.Peers(); !reflect.DeepEqual(got, []Peer{peer("127.0.0.1:7002", "p")}) {
			t.Errorf("got %v, want the third list", got)
		}
		if _, open := <-a.Peers(); open {
			t.Error("more than the latest list waiting")
		}
	})
}

func TestNewAnnouncerChecksItsConfig(t *testing.T) {
	for _, cfg := range []AnnouncerConfig{
		{URL: "gopher://x/", Request: request("me", "", 1)},
		{URL: fakeURL, Request: Request{PeerID: "x", Port: 1}},
	} {
		if _, err := NewAnnouncer(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// The password of a tracker URL stays out of the log.
func TestAnnouncerRedactsTheURL(t *testing.T) {
	a, err := NewAnnouncer(AnnouncerConfig{URL: "http://user:secret@tracker.test/announce", Request: request("me", "", 1)})
	if err != nil || strings.Contains(a.url, "secret") {
		t.Errorf("%v %q", err, a.url)
	}
}

// On real loopback sockets: the tracker is down (nothing listens), then
// comes up on the same port; the Announcer's timer is the test's, so no
// sleeping.
func TestAnnouncerOutageOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down

	type wait struct {
		d  time.Duration
		at chan time.Time
	}
	waits := make(chan wait)
	events := make(chan AnnounceEvent, 10)
	a, err := NewAnnouncer(AnnouncerConfig{
		URL: "http://" + addr + "/announce", Request: request("me", "127.0.0.1", 6881),
		After: func(d time.Duration) <-chan time.Time {
			w := wait{d, make(chan time.Time, 1)}
			waits <- w
			return w.at
		},
		OnEvent: func(e AnnounceEvent) { events <- e },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	w := <-waits
	if e := <-events; e.Err == nil || !strings.HasSuffix(e.String(), ": connection refused; retrying in 2s, keeping 0 known peers") || w.d != RetryMin {
		t.Fatalf("down: %q, wait %s", e, w.d)
	}

	// Up, with one other peer in the swarm.
	srv := New(Config{Interval: 5 * time.Second})
	get(srv, announceQuery("-ECEN426-other", "127.0.0.1", "7000", tid1), "127.0.0.1:1")
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken again meanwhile: %v", addr, err)
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	w.at <- time.Now()
	w = <-waits
	if e := <-events; e.Err != nil || e.Peers != 1 || w.d != 5*time.Second {
		t.Fatalf("up: %q, wait %s", e, w.d)
	}
	if got := <-a.Peers(); !reflect.DeepEqual(got, []Peer{peer("127.0.0.1:7000", "-ECEN426-other")}) {
		t.Errorf("peers %v", got)
	}
	if sw := srv.Swarms(); len(sw) != 1 || len(sw[0].Peers) != 2 || sw[0].Peers[1].ID != "-ECEN426-me" {
		t.Errorf("swarms %+v", sw)
	}
}
