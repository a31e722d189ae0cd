package pex

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/pex"
)

// maxProblems is how many bad gives the ask-piece check names.
const maxProblems = 3

func probeAskPiece(e *env) check.Result {
	if len(e.o.Pieces) == 0 {
		return check.Result{Verdict: check.Skip, Detail: "not run: no piece to ask for (--piece HASH, the SHA-256 of a piece the node shares)"}
	}
	// We wait for each give before the next ask: no pacing needed.
	c, err := e.DialPaced(0)
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	o := e.run.order()
	asked := e.o.Pieces
	r := check.Result{Sent: fmt.Sprintf("asks for %s (%s-endian)", hashes(asked), o.Order)}
	var problems []string
	var got []frame
	right, short, bad := 0, 0, 0
	start := time.Now()
	for _, h := range asked {
		f, _, err := e.ask(c, h)
		if err != nil {
			bad++
			problems = append(problems, fmt.Sprintf("then %s: %v", h.Short(), err))
			if check.IsClosed(err) || !check.IsNoAnswer(err) {
				break // the connection is over
			}
			continue
		}
		got = append(got, f)
		wrong, isShort := e.wrongGive(f, h)
		switch {
		case wrong == "":
			right++
			e.run.setPiece(h)
			continue
		case isShort:
			short++
			e.run.setPiece(h) // its hash is right: good enough to ask for again
		default:
			bad++
		}
		if len(problems) < maxProblems {
			problems = append(problems, h.Short()+": "+wrong)
		}
	}
	r.Got = shownFrames(e.o.Wire, got...)
	if bad+short > 0 {
		r.Verdict = check.Warn
		if bad > 0 {
			r.Verdict = check.Fail
		}
		r.Detail = fmt.Sprintf("%d of %d %s right; %s", right, len(asked), check.Plural(len(asked), "piece", "pieces"), strings.Join(problems, "; "))
		if n := bad + short - len(problems); n > 0 {
			r.Detail += fmt.Sprintf("; and %d more", n)
		}
		return r
	}
	r.Verdict = check.Pass
	r.Detail = fmt.Sprintf("%d %s of %d bytes, SHA-256 right, in %s", right, check.Plural(right, "give", "gives"), e.o.Wire.Piece(), check.Dur(time.Since(start)))
	return r
}

// missingHash is a hash no node has a piece for.
func missingHash() wire.Hash {
	var h wire.Hash
	rand.Read(h[:])
	return h
}

func probeAskMissing(e *env) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	o := e.run.order()
	h := missingHash()
	missing := wire.AppendAsk(nil, h, o)
	r := check.Result{Sent: shown(o, missing)}
	if err := c.Send(missing); err != nil {
		return check.Failed(err)
	}
	// An ask for a piece it gave right comes next, where there is one: a
	// node that handles its messages in order has read ours once that give
	// comes, and any answer to it would have come first.
	known, ok := e.run.livenessPiece()
	var got []frame
	var after error
	if ok {
		next := wire.AppendAsk(nil, known, o)
		r.Sent += " · " + shown(o, next)
		if err := c.Send(next); err != nil {
			return check.Failed(err)
		}
		var give frame
		give, got, after = c.Await(e.o.Timeout, isGiveOf(known))
		r.Got = shownFrames(e.o.Wire, got...)
		if after == nil {
			r.Got = shownFrames(e.o.Wire, append(got, give)...)
		}
	} else {
		got, after = c.Watch(quiet(e.o.Options))
		r.Got = shownFrames(e.o.Wire, got...)
	}
	for _, f := range got {
		if isGive(f) {
			wrong, _ := e.wrongGive(f, h)
			r.Verdict, r.Detail = check.Fail, "it answered an ask for a piece no node has with "+wrong
			return r
		}
	}
	switch {
	case check.IsClosed(after):
		r.Verdict, r.Detail = check.Warn, "it closed the connection after an ask for a piece it lacks: the course's node stays silent and keeps it"
	case after != nil && ok:
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("no give for %s, which it gave before, asked for after the missing piece: %v", known.Short(), after)
	case after != nil:
		r.Verdict, r.Detail = check.Fail, after.Error()
	case ok:
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("no give for %s; the ask after it, for %s, was answered: it read ours and stayed silent, as the course's node does", h.Short(), known.Short())
	default:
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("no give for %s within %s, as the course's node (it answers nothing); the connection stayed open", h.Short(), check.Dur(quiet(e.o.Options)))
	}
	return r
}
