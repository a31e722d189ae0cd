// Package bitclone crawls a BitClone network from seeds, as Bitcoin's
// crawlers do with getaddr: it calls on every peer once per round
// (handshake, ping, getaddr, as check/bitclone makes them), adds every
// address it hears of, and goes on until none is new; with Options.Check
// every reachable peer also gets the conformance suite, the scoreboard. It
// claims one address, its listener's (a check.Listener), which answers
// whoever dials it while the crawl lasts. It fills the neutral
// crawl.Result.
package bitclone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bitclone/bitclone/check"
	checkbc "github.com/bitclone/bitclone/check/bitclone"
	"github.com/bitclone/bitclone/crawl"
)

// Limits and defaults.
const (
	// MaxPeers bounds the addresses one round calls on (Options.MaxPeers
	// may lower it); more are counted (crawl.Result.Truncated), not visited.
	MaxPeers = 1000
	// DefaultConcurrency is how many peers are called on at once.
	DefaultConcurrency = 8
	// DefaultCheckConcurrency is how many peers are checked at once: each
	// run is a few dozen connections, so fewer, not to disturb a lab.
	DefaultCheckConcurrency = 3
	// DefaultAgent is the user agent in the crawl's versions.
	DefaultAgent = "bitclone-crawl"
)

// Options tune a crawl. The zero value of a field means its default.
type Options struct {
	Concurrency      int           // peers called on at once (DefaultConcurrency)
	CheckConcurrency int           // peers checked at once, with Check (DefaultCheckConcurrency)
	Timeout          time.Duration // every wait for an answer (check.DefaultTimeout)
	Pace             time.Duration // gap between our writes on one connection (check.DefaultPace; negative: none)
	Check            bool          // run the conformance suite on every reachable peer
	Agent            string        // our user agent (DefaultAgent)
	MaxPeers         int           // addresses one round calls on at most (MaxPeers, and never more)
	Network          check.Network // how peers are reached and the listener opened (check.TCP{})
	// Progress, if set, is called with each peer as its visit ends, and
	// again when its score comes, from one goroutine, in the order found:
	// a front end shows the round as it goes.
	Progress func(crawl.Peer)
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.CheckConcurrency <= 0 {
		o.CheckConcurrency = DefaultCheckConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = check.DefaultTimeout
	}
	if o.Agent == "" {
		o.Agent = DefaultAgent
	}
	if o.Network == nil {
		o.Network = check.TCP{}
	}
	if o.MaxPeers <= 0 || o.MaxPeers > MaxPeers {
		o.MaxPeers = MaxPeers
	}
	return o
}

// Crawler crawls from its seeds, round after round, on one listener.
type Crawler struct {
	seeds []netip.AddrPort
	o     Options
	ln    *check.Listener
	round int
	// crashed holds the peers a check brought down, with the score that
	// says so: they are not checked again.
	crashed map[netip.AddrPort]*crawl.Score
	// reached are the peers the last round reached: the next round calls
	// on them too, so a peer nobody gossips any more is still found, and
	// one that went down is seen to refuse or time out.
	reached []netip.AddrPort
}

// New opens the crawl's listener at listen ("IP:PORT", or "PORT" or "" for
// our IP on the way to the first seed; port 0 or none for a free one) and
// returns a crawler; Close ends it.
func New(ctx context.Context, seeds []netip.AddrPort, listen string, o Options) (*Crawler, error) {
	if len(seeds) == 0 {
		return nil, errors.New("crawl: no seeds")
	}
	o = o.withDefaults()
	addr, err := listenAddr(listen, seeds[0])
	if err != nil {
		return nil, err
	}
	ln, err := checkbc.Listen(ctx, addr, o.checkOptions(nil), o.Network)
	if err != nil {
		return nil, fmt.Errorf("crawl: %w", err)
	}
	return &Crawler{seeds: slices.Clone(seeds), o: o, ln: ln, crashed: map[netip.AddrPort]*crawl.Score{}}, nil
}

// listenAddr completes --listen: the host defaults to our IP on the way to
// seed, which a connected UDP socket tells without sending anything.
func listenAddr(listen string, seed netip.AddrPort) (string, error) {
	if host, port, err := net.SplitHostPort(listen); err == nil && host != "" {
		return net.JoinHostPort(host, port), nil
	}
	port := listen
	if port == "" {
		port = "0"
	}
	u, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(seed))
	if err != nil {
		return "", fmt.Errorf("crawl: no route to %s: %w", seed, err)
	}
	defer u.Close()
	ip := u.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	return net.JoinHostPort(ip.String(), port), nil
}

// Us is the one address the crawl claims.
func (c *Crawler) Us() netip.AddrPort { return c.ln.Addr() }

// Close ends the listener; call it once no round runs.
func (c *Crawler) Close() { c.ln.Close() }

func (o Options) checkOptions(shared *check.Listener) checkbc.Options {
	return checkbc.Options{Options: check.Options{Timeout: o.Timeout, Pace: o.Pace, Shared: shared}, Agent: o.Agent}
}

// done is a visit or a check that ended.
type done struct {
	i     int // index in the round's peers
	visit *checkbc.Visit
	err   error
	score *crawl.Score
}

// Round crawls once: from the seeds (and the peers the last round
// reached), every address heard of is called on once, at most Concurrency
// at a time, until no new one is left or MaxPeers are met. With Check, every reachable peer is then checked, at
// most CheckConcurrency at a time, once its visit is over (so never two
// connections of ours to one peer at once). When ctx ends the round so far
// is returned with ctx's error.
func (c *Crawler) Round(ctx context.Context) (*crawl.Result, error) {
	c.round++
	r := &crawl.Result{Round: c.round, Us: c.Us(), Started: time.Now()}
	index := map[netip.AddrPort]int{}
	var toVisit, toCheck []int
	add := func(a netip.AddrPort) {
		if _, ok := index[a]; ok || a == r.Us {
			return
		}
		if len(r.Peers) >= c.o.MaxPeers {
			r.Truncated = true
			return
		}
		index[a] = len(r.Peers)
		r.Peers = append(r.Peers, crawl.Peer{Addr: a})
		toVisit = append(toVisit, index[a])
	}
	for _, s := range c.seeds {
		add(s)
	}
	for _, a := range c.reached {
		add(a)
	}

	ended := make(chan done)
	var wg sync.WaitGroup
	defer wg.Wait()
	visiting, checking := 0, 0
	for {
		for ctx.Err() == nil && visiting < c.o.Concurrency && len(toVisit) > 0 {
			i := toVisit[0]
			toVisit = toVisit[1:]
			visiting++
			a := r.Peers[i].Addr
			wg.Go(func() {
				v, err := checkbc.VisitPeer(ctx, a.String(), c.o.checkOptions(c.ln), c.o.Network)
				ended <- done{i: i, visit: &v, err: err}
			})
		}
		for ctx.Err() == nil && checking < c.o.CheckConcurrency && len(toCheck) > 0 {
			i := toCheck[0]
			toCheck = toCheck[1:]
			checking++
			a := r.Peers[i].Addr
			wg.Go(func() { ended <- done{i: i, score: c.check(ctx, a)} })
		}
		if visiting == 0 && checking == 0 {
			break
		}
		d := <-ended
		p := &r.Peers[d.i]
		if d.score != nil {
			checking--
			p.Score = d.score
			if d.score.Crashed != "" && !d.score.Refused {
				c.crashed[p.Addr] = d.score
			}
		} else {
			visiting--
			if ctx.Err() != nil && d.err != nil {
				continue // cut short by the end of the crawl: not the peer's fault
			}
			heard := describe(p, d.visit, d.err, r.Us)
			for _, e := range heard {
				add(e.Addr) // may move r.Peers: p is taken again below
				if j, ok := index[e.Addr]; ok && r.Peers[j].Status != crawl.Reachable && e.Time.After(r.Peers[j].LastSeen) {
					r.Peers[j].LastSeen = e.Time
				}
			}
			p = &r.Peers[d.i]
			if s, ok := c.crashed[p.Addr]; ok {
				p.Score = s // a check brought it down once: never again
			} else if p.Status == crawl.Reachable && c.o.Check {
				toCheck = append(toCheck, d.i)
			}
		}
		if c.o.Progress != nil {
			c.o.Progress(*p)
		}
	}
	finish(r)
	r.Duration = time.Since(r.Started)
	if ctx.Err() == nil {
		c.reached = c.reached[:0]
		for _, p := range r.Peers {
			if p.Status == crawl.Reachable {
				c.reached = append(c.reached, p.Addr)
			}
		}
	}
	return r, ctx.Err()
}

// finish sorts the peers and fills in who gossips whom.
func finish(r *crawl.Result) {
	slices.SortFunc(r.Peers, func(a, b crawl.Peer) int { return a.Addr.Compare(b.Addr) })
	at := make(map[netip.AddrPort]int, len(r.Peers))
	for i, p := range r.Peers {
		at[p.Addr] = i
	}
	for _, p := range r.Peers {
		for _, b := range p.Knows {
			if j, ok := at[b]; ok {
				r.Peers[j].KnownBy = append(r.Peers[j].KnownBy, p.Addr)
			}
		}
	}
}

// check runs the conformance suite on a and scores it.
func (c *Crawler) check(ctx context.Context, a netip.AddrPort) *crawl.Score {
	rep, err := checkbc.RunOn(ctx, a.String(), c.o.checkOptions(c.ln), c.o.Network)
	switch {
	case rep == nil:
		return &crawl.Score{Err: err.Error()}
	case ctx.Err() != nil:
		return &crawl.Score{Err: "the crawl ended first", Report: rep}
	}
	n := rep.Counts()
	s := &crawl.Score{
		Pass: n.Pass, Warn: n.Warn, Fail: n.Fail, Down: n.Down, NotRun: n.NotRun,
		RootCause: rep.NoHandshake, Crashed: rep.DiedIn, Refused: rep.Refused, Duration: rep.Duration, Report: rep,
	}
	for _, o := range rep.Outcomes {
		if o.Verdict == check.Fail {
			s.Failed = append(s.Failed, o.Name)
		}
	}
	return s
}
