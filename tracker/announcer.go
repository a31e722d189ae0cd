package tracker

import (
	"context"
	"fmt"
	"net/http"
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

// AnnounceEvent is one announce's outcome.
type AnnounceEvent struct {
	Time time.Time
	URL  string // the tracker, password redacted
	// Peers is how many peers the reply listed, ourselves left out;
	// Skipped how many of its entries were not peers.
	Peers, Skipped int
	// Interval is the wait until the next announce, and Previous the one
	// before when the tracker changed it (0 otherwise).
	Interval, Previous time.Duration
	// Err is why the announce failed (nil if it did not); Retry is then
	// the wait until the next try, and Known the peers still known from
	// earlier replies.
	Err   error
	Retry time.Duration
	Known int
}

// String is the event as one log line.
func (e AnnounceEvent) String() string {
	if e.Err != nil {
		return fmt.Sprintf("tracker %s: %v; retrying in %s, keeping %s", e.URL, e.Err, e.Retry, humanize.Count(e.Known, "known peer"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tracker %s: %s", e.URL, humanize.Count(e.Peers, "peer"))
	if e.Skipped > 0 {
		fmt.Fprintf(&b, " (%s skipped)", humanize.Count(e.Skipped, "malformed entry"))
	}
	if e.Previous != 0 {
		fmt.Fprintf(&b, "; interval now %s (was %s)", e.Interval, e.Previous)
	}
	fmt.Fprintf(&b, "; next announce in %s", e.Interval)
	return b.String()
}

// Announcer announces a peer to its tracker every interval, for as long as
// Run runs, and hands on the peers each reply lists.
//
// The peer lists arrive on Peers(), a channel holding the latest list only:
// an announce whose list the consumer has not taken yet replaces it, so the
// Announcer never blocks on a slow consumer and a consumer never acts on a
// stale list. A failed announce (tracker down, not 200, garbage) sends
// nothing, so the consumer keeps the peers it knows; it is retried after
// RetryMin, doubling up to RetryMax. There is no "stopped" announce: the
// NibbleTorrent tracker has none, a peer simply expires.
type Announcer struct {
	cfg   AnnouncerConfig
	url   string // redacted, for events
	peers chan []Peer
}

// NewAnnouncer checks cfg's URL and request.
func NewAnnouncer(cfg AnnouncerConfig) (*Announcer, error) {
	if _, err := AnnounceURL(cfg.URL, cfg.Request); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Announcer{cfg: cfg, url: u.Redacted(), peers: make(chan []Peer, 1)}, nil
}

// Peers delivers the peer list of every successful announce, ourselves left
// out (latest only; see Announcer). It is closed when Run returns.
func (a *Announcer) Peers() <-chan []Peer { return a.peers }

// Run announces at once, then every interval (the tracker's, clamped to
// MinInterval..MaxInterval; DefaultInterval until it gives one), until ctx
// ends; an announce in flight is abandoned then. Run it once.
func (a *Announcer) Run(ctx context.Context) error {
	defer close(a.peers)
	interval, failures, known, answered := DefaultInterval, 0, 0, false
	for {
		r, err := Announce(ctx, a.cfg.Client, a.cfg.URL, a.cfg.Request)
		if ctx.Err() != nil {
			return nil
		}
		ev := AnnounceEvent{Time: a.cfg.Now(), URL: a.url}
		var wait time.Duration
		if err != nil {
			wait = backoff(failures)
			failures++
			ev.Err, ev.Retry, ev.Known = err, wait, known
		} else {
			failures = 0
			if r.Interval > 0 {
				if iv := min(max(r.Interval, MinInterval), MaxInterval); iv != interval {
					if answered {
						ev.Previous = interval
					}
					interval = iv
				}
			}
			wait, answered = interval, true
			known = len(r.Peers)
			ev.Peers, ev.Skipped, ev.Interval = len(r.Peers), r.Skipped, interval
			a.publish(r.Peers)
		}
		if a.cfg.OnEvent != nil {
			a.cfg.OnEvent(ev)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.cfg.After(wait):
		}
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
