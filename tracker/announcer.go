package tracker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/bitclone/bitclone/humanize"
)

// Retry backoff after a failed announce: RetryMin, doubling, at most
// RetryMax (a peer expires after two intervals, so once the tracker is back
// we rejoin within a minute).
const (
	RetryMin = 2 * time.Second
	RetryMax = time.Minute
)

// AnnouncerConfig configures an Announcer.
type AnnouncerConfig struct {
	URL     string // the tracker's announce URL
	Request Request
	// Client makes the requests (nil: http.DefaultClient); tests give it
	// a Transport of their own.
	Client *http.Client
	// After is the clock's timer (nil: time.After).
	After func(time.Duration) <-chan time.Time
	// Now stamps events (nil: time.Now).
	Now func() time.Time
	// OnEvent, if set, is told of every announce and its outcome, for
	// the log; it is called from Run's goroutine and must not block long.
	OnEvent func(AnnounceEvent)
}

// BTConfig configures a BitTorrent Announcer (NewBTAnnouncer).
type BTConfig struct {
	URL              string // the tracker's announce URL, from the torrent's announce
	InfoHash, PeerID [HashLen]byte
	// IP is the address other peers should dial (the zero Addr: the
	// tracker takes the request's source address); Port is the one we
	// listen on.
	IP   netip.Addr
	Port uint16
	// Stats gives the counts of each announce; it is called from Run's
	// goroutine and must be safe for that.
	Stats func() (uploaded, downloaded, left int64)
	// Client, After, Now and OnEvent as in AnnouncerConfig.
	Client  *http.Client
	After   func(time.Duration) <-chan time.Time
	Now     func() time.Time
	OnEvent func(AnnounceEvent)
}

// AnnounceEvent is one announce's outcome.
type AnnounceEvent struct {
	Time time.Time
	URL  string // the tracker, password redacted
	// Event is the BitTorrent event the announce carried: started,
	// completed, stopped, or "" (NibbleTorrent's are always "").
	Event string
	// Peers is how many peers the reply listed, ourselves left out;
	// Skipped how many of its entries were not peers.
	Peers, Skipped int
	// Interval is the wait until the next announce, and Previous the one
	// before when the tracker changed it (0 otherwise).
	Interval, Previous time.Duration
	// Warning is the tracker's "warning message" (escaped), if any.
	Warning string
	// Err is why the announce failed (nil if it did not); Retry is then
	// the wait until the next try, and Known the peers still known from
	// earlier replies. A stopped announce is not retried.
	Err   error
	Retry time.Duration
	Known int
}

// String is the event as one log line.
func (e AnnounceEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tracker %s: ", e.URL)
	if e.Event != "" {
		b.WriteString(e.Event)
		if e.Event == EventStopped {
			if e.Err != nil {
				fmt.Fprintf(&b, " (not told: %v)", e.Err)
			}
			return b.String()
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "%v; retrying in %s, keeping %s", e.Err, e.Retry, humanize.Count(e.Known, "known peer"))
		return b.String()
	}
	b.WriteString(humanize.Count(e.Peers, "peer"))
	if e.Skipped > 0 {
		fmt.Fprintf(&b, " (%s skipped)", humanize.Count(e.Skipped, "malformed entry"))
	}
	if e.Warning != "" {
		fmt.Fprintf(&b, "; tracker warns: %s", e.Warning)
	}
	if e.Previous != 0 {
		fmt.Fprintf(&b, "; interval now %s (was %s)", e.Interval, e.Previous)
	}
	fmt.Fprintf(&b, "; next announce in %s", e.Interval)
	return b.String()
}

// Announcer announces a peer to its tracker every interval, for as long as
// Run runs, and hands on the peers each reply lists. NewAnnouncer makes a
// NibbleTorrent one, NewBTAnnouncer a BitTorrent one; they differ only in
// the request and the reply's format, and in BitTorrent's events.
//
// The peer lists arrive on Peers(), a channel holding the latest list only:
// an announce whose list the consumer has not taken yet replaces it, so the
// Announcer never blocks on a slow consumer and a consumer never acts on a
// stale list. A failed announce (tracker down, not 200, garbage, a failure
// reason) sends nothing, so the consumer keeps the peers it knows; it is
// retried after RetryMin, doubling up to RetryMax.
//
// A BitTorrent Announcer's first announce says event=started (until one is
// answered), Completed makes the next say event=completed (at once, or
// once the tracker's min interval since the last has passed), and when Run
// ends it says event=stopped, within stopTimeout. NibbleTorrent has no
// events: a peer simply expires.
type Announcer struct {
	url      string // redacted, for events
	after    func(time.Duration) <-chan time.Time
	now      func() time.Time
	onEvent  func(AnnounceEvent)
	announce func(ctx context.Context, event string) (Response, error)
	events   bool // BitTorrent's started, completed, stopped
	peers    chan []Peer
	// completed holds Completed's signal (nil without events).
	completed chan struct{}
}

// NewAnnouncer checks cfg's URL and request.
func NewAnnouncer(cfg AnnouncerConfig) (*Announcer, error) {
	if _, err := AnnounceURL(cfg.URL, cfg.Request); err != nil {
		return nil, err
	}
	a := newAnnouncer(cfg.URL, cfg.After, cfg.Now, cfg.OnEvent)
	a.announce = func(ctx context.Context, _ string) (Response, error) {
		return Announce(ctx, cfg.Client, cfg.URL, cfg.Request)
	}
	return a, nil
}

// NewBTAnnouncer checks cfg and makes a BitTorrent Announcer.
func NewBTAnnouncer(cfg BTConfig) (*Announcer, error) {
	q := BTRequest{InfoHash: cfg.InfoHash, PeerID: cfg.PeerID, IP: cfg.IP, Port: cfg.Port}
	switch {
	case cfg.InfoHash == [HashLen]byte{}:
		return nil, errors.New("announce: no info_hash")
	case cfg.PeerID == [HashLen]byte{}:
		return nil, errors.New("announce: no peer_id (see NewBTPeerID)")
	case cfg.Stats == nil:
		return nil, errors.New("announce: no Stats")
	}
	if _, err := BTAnnounceURL(cfg.URL, q); err != nil {
		return nil, err
	}
	a := newAnnouncer(cfg.URL, cfg.After, cfg.Now, cfg.OnEvent)
	a.events, a.completed = true, make(chan struct{}, 1)
	a.announce = func(ctx context.Context, event string) (Response, error) {
		q := q
		q.Uploaded, q.Downloaded, q.Left = cfg.Stats()
		q.Uploaded, q.Downloaded, q.Left = max(q.Uploaded, 0), max(q.Downloaded, 0), max(q.Left, 0)
		q.Event = event
		return AnnounceBT(ctx, cfg.Client, cfg.URL, q)
	}
	return a, nil
}

// newAnnouncer is the part both protocols share; rawURL is checked.
func newAnnouncer(rawURL string, after func(time.Duration) <-chan time.Time, now func() time.Time, onEvent func(AnnounceEvent)) *Announcer {
	u, _ := url.Parse(rawURL)
	if after == nil {
		after = time.After
	}
	if now == nil {
		now = time.Now
	}
	return &Announcer{url: u.Redacted(), after: after, now: now, onEvent: onEvent, peers: make(chan []Peer, 1)}
}

// Peers delivers the peer list of every successful announce, ourselves left
// out (latest only; see Announcer). It is closed when Run returns.
func (a *Announcer) Peers() <-chan []Peer { return a.peers }

// Completed tells a BitTorrent Announcer that the download is complete: the
// next announce, made soon, says event=completed. Only the first call
// counts; call it when a download finishes, not when a run starts with the
// data complete (that peer never was incomplete to the tracker). It never
// blocks, and does nothing for NibbleTorrent.
func (a *Announcer) Completed() {
	select {
	case a.completed <- struct{}{}:
	default:
	}
}

// Run announces at once, then every interval (the tracker's, clamped to
// MinInterval..MaxInterval and never below its min interval;
// DefaultInterval until it gives one), until ctx ends; an announce in
// flight is abandoned then, and a BitTorrent Announcer that was answered
// says event=stopped. Run it once.
func (a *Announcer) Run(ctx context.Context) error {
	defer close(a.peers)
	interval, minInterval := DefaultInterval, time.Duration(0)
	failures, known, answered := 0, 0, false
	started := !a.events // NibbleTorrent has nothing to start
	completed, completing := a.completed, false
announcing:
	for {
		event := ""
		switch {
		case !started:
			event = EventStarted
		case completing:
			event = EventCompleted
		}
		sent := a.now()
		r, err := a.announce(ctx, event)
		if ctx.Err() != nil {
			break announcing
		}
		ev := AnnounceEvent{Time: a.now(), URL: a.url, Event: event}
		var wait time.Duration
		if err != nil {
			wait = backoff(failures)
			failures++
			ev.Err, ev.Retry, ev.Known = err, wait, known
		} else {
			failures, started = 0, true
			if event == EventCompleted {
				completing = false
			}
			minInterval = min(r.MinInterval, MaxInterval)
			if r.Interval > 0 || minInterval > interval {
				iv := min(max(r.Interval, MinInterval, minInterval), MaxInterval)
				if iv != interval {
					if answered {
						ev.Previous = interval
					}
					interval = iv
				}
			}
			wait, answered = interval, true
			if completing { // asked for while started was still unanswered
				wait = minInterval
			}
			known = len(r.Peers)
			ev.Peers, ev.Skipped, ev.Interval, ev.Warning = len(r.Peers), r.Skipped, interval, r.Warning
			a.publish(r.Peers)
		}
		if a.onEvent != nil {
			a.onEvent(ev)
		}
		timer := a.after(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				break announcing
			case <-timer:
				break waiting
			case <-completed:
				completed, completing = nil, true
				// Completed comes at once, or after the tracker's min
				// interval; a backoff runs its course (started, or a
				// failed announce, goes first).
				if started && failures == 0 {
					timer = a.after(max(sent.Add(minInterval).Sub(a.now()), 0))
				}
			}
		}
	}
	if a.events && answered {
		a.stop(ctx)
	}
	return nil
}

// stop says event=stopped, within stopTimeout of ctx's end.
func (a *Announcer) stop(ctx context.Context) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	_, err := a.announce(sctx, EventStopped)
	if a.onEvent != nil {
		a.onEvent(AnnounceEvent{Time: a.now(), URL: a.url, Event: EventStopped, Err: err})
	}
}

// publish replaces the list waiting on the channel, if any, with peers. Run
// is the only sender, so the send after the drain cannot block.
func (a *Announcer) publish(peers []Peer) {
	select {
	case <-a.peers:
	default:
	}
	a.peers <- peers
}

// backoff is the wait after failures+1 failed announces in a row.
func backoff(failures int) time.Duration {
	if failures >= 16 {
		return RetryMax
	}
	return min(RetryMin<<failures, RetryMax)
}
