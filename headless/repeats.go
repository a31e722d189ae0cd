package headless

import (
	"fmt"
	"net"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// A peer can send hundreds of bad lines a second, each worth a warning: the
// transcript keeps the first few of each kind from each peer every second,
// so that a reader sees what the peer did, and folds the rest into one line
// when the second ends ("995 more similar warnings from X"). A peer is its
// host: one that is dropped and reconnects from a new port is the same peer.
const (
	verbatimRepeats = 5           // similar warnings (or errors) printed as they are, per window
	repeatWindow    = time.Second // how long the count of one kind of repeats runs
	maxRepeatKeys   = 64          // kinds of repeats followed at once; more share one count
)

// repeatKey is what makes warnings similar: kind, peer's host and first
// words (peer.SimilarKey). others is the shared count once maxRepeatKeys are followed.
type repeatKey struct {
	kind      peer.Kind
	peer, key string
	others    bool
}

// repeatCount is one kind of repeats in its window.
type repeatCount struct {
	start   time.Time
	printed int
	held    uint64 // not printed: they go in the summary
}

// repeats rate-limits warnings and errors for one printer.
type repeats struct {
	counts map[repeatKey]*repeatCount
	held   int // counts holding events for a summary
}

// counted says whether repeats of e are counted: warnings and errors, not
// the bus's summaries (printed as they come) nor message lines.
func counted(e *peer.Event) bool {
	return (e.Kind == peer.KindWarn || e.Kind == peer.KindError) && e.Suppressed == 0
}

// admit reports whether e is printed now; when not, it is counted. A count
// whose window ended is summarised first, through sum.
func (r *repeats) admit(e *peer.Event, now time.Time, sum func(*peer.Event)) bool {
	if !counted(e) {
		return true
	}
	if r.counts == nil {
		r.counts = make(map[repeatKey]*repeatCount)
	}
	k := repeatKey{kind: e.Kind, peer: hostOf(e.Peer), key: peer.SimilarKey(e.Text)}
	c, ok := r.counts[k]
	if !ok && len(r.counts) >= maxRepeatKeys {
		r.expire(now, false, sum) // make room, if windows ended
		c, ok = r.counts[k]
	}
	if !ok && len(r.counts) >= maxRepeatKeys {
		k = repeatKey{kind: e.Kind, others: true}
		c, ok = r.counts[k]
	}
	if ok && now.Sub(c.start) >= repeatWindow {
		r.end(k, c, now, sum)
		ok = false
	}
	if !ok {
		c = &repeatCount{start: now}
		r.counts[k] = c
	}
	if c.printed < verbatimRepeats {
		c.printed++
		return true
	}
	if c.held == 0 {
		r.held++
	}
	c.held++
	return false
}

// holding reports whether some count waits to be summarised.
func (r *repeats) holding() bool { return r.held > 0 }

// expire summarises, through sum, the counts whose window ended by now (all
// of them when all is set) and forgets them.
func (r *repeats) expire(now time.Time, all bool, sum func(*peer.Event)) {
	for k, c := range r.counts {
		if all || now.Sub(c.start) >= repeatWindow {
			r.end(k, c, now, sum)
		}
	}
}

func (r *repeats) end(k repeatKey, c *repeatCount, now time.Time, sum func(*peer.Event)) {
	delete(r.counts, k)
	if c.held == 0 {
		return
	}
	r.held--
	noun := "warnings"
	if k.kind == peer.KindError {
		noun = "errors"
	}
	from := k.peer
	switch {
	case k.others:
		from = "other peers"
	case from == "":
		from = "the node"
	}
	text := fmt.Sprintf("%d more similar %s from %s", c.held, noun, from)
	if k.key != "" {
		text += " (" + k.key + ")"
	}
	sum(&peer.Event{At: now, Kind: k.kind, Peer: k.peer, Text: text, Suppressed: c.held})
}

// hostOf is the host part of a peer's address ("127.0.0.1:5000":
// "127.0.0.1"), or the address as it is when it has no port.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
