package bt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
)

// Two requests for the same piece the choking check can tell apart: the
// one sent while choked is its first block, the one after the unchoke
// half of it.
func (e *env) chokingBlocks(p int) (choked, unchoked block) {
	choked = e.firstBlock(p)
	unchoked = choked
	unchoked.length = max(1, choked.length/2)
	return choked, unchoked
}

func probeChoking(e *env) check.Result {
	s, err := e.established(e.o.Pace)
	if err != nil {
		return check.Failed(err)
	}
	defer s.c.Close()
	claimed, why := s.claimed()
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	a, b := e.chokingBlocks(claimed[0])
	r := check.Result{Sent: a.String() + " before interested · interested · " + b.String()}
	early := s.unchoked // it may unchoke a peer that is not interested
	if early {
		r.Sent = "interested · " + b.String()
	} else {
		if err := s.c.Send(a.request()); err != nil {
			r.Verdict, r.Detail = check.Fail, err.Error()
			return r
		}
		got, err := s.c.Watch(e.o.Settle())
		s.observeAll(got)
		r.Got = shownFrames(got...)
		if slices.ContainsFunc(got, a.touches) {
			r.Verdict, r.Detail = check.Fail, "it served a request while choking us (before our interested and its unchoke)"
			return r
		}
		if err != nil {
			r.Verdict, r.Detail = check.Warn, "a request while choked: "+err.Error()+"; the spec has a choked peer's requests discarded, not the connection"
			return r
		}
	}
	sent := time.Now()
	if err := e.unchoke(s); err != nil {
		r.Got = shownFrames(s.after...)
		if errors.Is(err, errNoUnchoke) {
			e.run.setNoUnchoke()
		}
		r.Verdict, r.Detail = check.Fail, err.Error()
		if slices.ContainsFunc(s.after, a.touches) {
			r.Detail = "it served the request we sent while choked, before any unchoke"
		}
		return r
	}
	if !early && slices.ContainsFunc(s.after, a.touches) {
		r.Verdict, r.Detail = check.Fail, "it served the request we sent while choked, before its unchoke"
		return r
	}
	took := s.unchokedAt.Sub(sent)
	if err := s.c.Send(b.request()); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	f, skipped, err := s.c.Await(e.o.Timeout, func(f frame) bool { return b.answers(f) || a.touches(f) && !early })
	s.observeAll(skipped)
	r.Got = shownFrames(append(skipped, f)...)
	switch {
	case err != nil:
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("it unchoked us, then %s: %v", b, err)
		return r
	case !b.answers(f):
		r.Verdict, r.Detail = check.Fail, "once it unchoked us it served the request we sent while choked: a choke discards requests"
		return r
	}
	if early {
		r.Verdict, r.Detail = check.Pass, "it unchoked us before we were interested, so a choked request could not be tried; "+b.String()+" was served"
		return r
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("a request while choked was not served; it unchoked us %s after our interested and served %s", check.Dur(max(0, took)), b)
	return r
}

// maxProblems is how many bad pieces the claimed-pieces check names.
const maxProblems = 3

func probeClaimed(e *env) check.Result {
	// We wait for each block before asking for the next: no pacing needed,
	// and a peer that reads one message per recv() is not tripped here.
	s, res := e.ready(0)
	if res != nil {
		return *res
	}
	defer s.c.Close()
	claimed, why := s.claimed()
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	asked, all := check.Sample(claimed, e.o.FetchAll, e.o.Sample)
	which := fmt.Sprintf("all %d claimed %s", len(asked), check.Plural(len(asked), "piece", "pieces"))
	if !all {
		which = fmt.Sprintf("a sample of %d of the %d claimed pieces (%s)", len(asked), len(claimed), check.Ints(asked))
	}
	r := check.Result{Sent: fmt.Sprintf("requests of %d-byte blocks for %s", wire.BlockSize, which)}
	var problems []string
	bad, right := 0, 0
	start := time.Now()
	for _, i := range asked {
		wrong, err := e.fetchPiece(s, i)
		if err != nil {
			// The connection is over: say so last, after what went wrong before.
			problems = append(problems, fmt.Sprintf("then piece %d: %v", i, err))
			bad++
			break
		}
		if wrong != "" {
			if bad++; len(problems) < maxProblems {
				problems = append(problems, fmt.Sprintf("piece %d: %s", i, wrong))
			}
			continue
		}
		right++
	}
	if bad > 0 {
		r.Verdict = check.Fail
		r.Detail = fmt.Sprintf("%s: %d of %d right; %s", which, right, len(asked), strings.Join(problems, "; "))
		if bad > len(problems) {
			r.Detail += fmt.Sprintf("; and %d more wrong", bad-len(problems))
		}
		return r
	}
	r.Verdict = check.Pass
	r.Detail = fmt.Sprintf("%s arrived, SHA-1 right, in %s", which, check.Dur(time.Since(start)))
	return r
}

func probeKeepAlive(e *env) check.Result {
	// The keep-alive and the request go as two reads apart, as a split
	// message's parts do: a peer that reads one message per recv is the
	// one-recv check's to report, not this one's.
	s, err := e.established(max(e.o.Pace, splitPause))
	if err != nil {
		return check.Failed(err)
	}
	defer s.c.Close()
	keepAlive := wire.AppendKeepAlive(nil)
	r := check.Result{Sent: "keepalive"}
	claimed, why := s.claimed()
	if why != "" {
		// Nothing to ask for: the connection must merely stay open.
		if err := s.c.Send(keepAlive); err != nil {
			r.Verdict, r.Detail = check.Fail, err.Error()
			return r
		}
		got, err := s.c.Watch(e.o.Settle())
		r.Got = shownFrames(got...)
		if err != nil {
			r.Verdict, r.Detail = check.Fail, "after our keep-alive: "+err.Error()
			return r
		}
		r.Verdict, r.Detail = check.Pass, "the connection stayed open after a keep-alive (no piece to ask for)"
		return r
	}
	if e.run.neverUnchoked() {
		return check.Result{Verdict: check.Skip, Detail: "not run: it did not unchoke us after interested (see choking)"}
	}
	if err := e.unchoke(s); err != nil {
		return check.Result{Verdict: check.Fail, Sent: "interested", Got: shownFrames(s.after...), Detail: err.Error()}
	}
	b := e.firstBlock(claimed[0])
	r.Sent += " · " + b.String()
	if err := s.c.Send(keepAlive); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	if _, err := e.fetch(s, b); err != nil {
		r.Verdict, r.Detail = check.Fail, "after our keep-alive, "+b.String()+": "+err.Error()
		return r
	}
	r.Verdict, r.Detail = check.Pass, "after a keep-alive, "+b.String()+" was served"
	return r
}
