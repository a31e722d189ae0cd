package pex

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/pex"
)

// tryPeerMessage sends a peer message naming our listener in o's byte
// order, on a fresh connection, and waits up to wait for a sign that the
// node read it, whichever comes first:
//   - a peer list in that order back on our connection;
//   - (if dials is set) a dial to our listener;
//   - (if dials is set) a peer list in that order listing our listener on
//     a second connection of ours, opened a moment later: a node that
//     records us and hands its peer list to whoever connects (bitclone's
//     node) shows so.
//
// What the node sends on connect, before it has read a byte of ours, is
// watched for first, so that it is not taken for an answer.
func (e *env) tryPeerMessage(o wire.Options, wait time.Duration, dials bool) attempt {
	a := attempt{tried: true, sent: e.peerMessage(o)}
	c, err := e.Dial()
	if err != nil {
		a.err = err
		return a
	}
	defer c.Close()
	e.run.setPeerIP(c.Remote().Addr())
	if a.greeting, err = c.Watch(e.o.Settle()); err != nil {
		a.err = err
		return a
	}
	if err := c.Send(a.sent); err != nil {
		a.err = err
		return a
	}
	since := c.Sending()
	deadline := since.Add(wait)

	ctx, cancel := context.WithDeadline(e.Ctx(), deadline)
	defer cancel()
	signs := make(chan sign, 3)
	var wg sync.WaitGroup
	wg.Go(func() { signs <- e.answerOn(ctx, c, o.Order) })
	if dials {
		wg.Go(func() {
			d, _ := e.run.waitDial(ctx, since, deadline)
			signs <- sign{via: viaDialBack, dial: d, none: d == nil}
		})
		wg.Go(func() { signs <- e.recordedUs(ctx, o.Order) })
	}
	var on, first sign
	for range 1 + 2*btoi(dials) {
		s := <-signs
		if s.via == viaSameConn {
			on = s
		}
		if !s.none && first.via == viaNone {
			first = s
			cancel() // one sign is enough
		}
		if s.via == viaSameConn && check.IsClosed(s.err) && first.via == viaNone {
			// It hung up: a dial back would come soon, if at all.
			stop := time.AfterFunc(quiet(e.o.Options), cancel)
			defer stop.Stop()
		}
	}
	wg.Wait()
	a.got = on.skipped
	switch {
	case first.via != viaNone:
		a.via, a.dial, a.list = first.via, first.dial, first.list
		if first.via == viaSameConn {
			a.got = append(a.got, first.list)
			e.run.addList("on our connection", first.list)
		}
	case check.IsClosed(on.err):
		a.err = fmt.Errorf("%w%s", on.err, e.writesIn(other(o).Order, append(a.greeting, a.got...)))
	case !dials:
		a.err = fmt.Errorf("no peer list within %s", check.Dur(wait))
	default:
		a.err = fmt.Errorf("no peer list within %s, no dial to %s, and no peer list listing it", check.Dur(wait), e.Us())
	}
	if a.err != nil && !check.IsClosed(on.err) {
		if len(on.skipped) > 0 {
			a.err = fmt.Errorf("%w (it sent only %s%s)", a.err, check.Commands(on.skipped), broken(on.skipped))
		}
		a.err = fmt.Errorf("%w%s", a.err, e.writesIn(other(o).Order, append(a.greeting, a.got...)))
	}
	return a
}

// sign is one watcher's finding: how the node showed it read our peer
// message, or none (and, on our connection, what came instead).
type sign struct {
	via     int
	none    bool
	list    frame
	skipped []frame
	err     error
	dial    *dial
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// answerOn waits on c, until ctx ends, for a peer list in order.
func (e *env) answerOn(ctx context.Context, c *conn, order wire.ByteOrder) sign {
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	deadline, _ := ctx.Deadline()
	f, skipped, err := c.Await(time.Until(deadline), check.Answers(c, isPeerListIn(order)))
	if err != nil {
		if ctx.Err() != nil && check.IsClosed(err) {
			err = check.NoAnswer{D: time.Until(deadline)} // we hung up, not the node
		}
		return sign{via: viaSameConn, none: true, skipped: skipped, err: err}
	}
	return sign{via: viaSameConn, list: f, skipped: skipped}
}

// recordedUs opens a second connection a moment after our peer message
// and waits, until ctx ends, for a peer list in order that lists us.
func (e *env) recordedUs(ctx context.Context, order wire.ByteOrder) sign {
	none := sign{via: viaRecorded, none: true}
	t := time.NewTimer(e.o.Settle())
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return none
	}
	c, err := e.Dial()
	if err != nil {
		return none
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	deadline, _ := ctx.Deadline()
	f, _, err := c.Await(time.Until(deadline), func(f frame) bool { return isPeerListIn(order)(f) && e.listsUs(f) })
	if err != nil {
		return none
	}
	return sign{via: viaRecorded, list: f}
}

// listsUs says whether the peer list f lists our listener.
func (e *env) listsUs(f frame) bool {
	m := f.Msg.(msg)
	for i := range m.NumPeers() {
		if e.isUs(m.Peer(i)) {
			return true
		}
	}
	return false
}

// isPeerList matches a peer list that decodes.
func isPeerList(f frame) bool {
	m, ok := f.Msg.(msg)
	return ok && m.Type == wire.TypePeer
}

// isPeerListIn matches a peer list that decodes in order: one in the
// other order does not show that the node read ours.
func isPeerListIn(order wire.ByteOrder) func(frame) bool {
	return func(f frame) bool { return isPeerList(f) && f.Msg.(msg).order == order }
}

// writesIn says, for an error, that the node wrote fs's first message in
// order ("" if none is): a hint at the order it speaks.
func (e *env) writesIn(order wire.ByteOrder, fs []frame) string {
	for _, f := range fs {
		if m, ok := f.Msg.(msg); ok && m.order == order {
			return fmt.Sprintf(" (it writes %s-endian: %s)", order, word(f.Raw, e.o.Wire))
		}
	}
	return ""
}

// broken says why the first of fs that does not decode does not: "; a
// peer: a peer list is …" ("" if all do).
func broken(fs []frame) string {
	for _, f := range fs {
		if f.Err != nil {
			return "; " + f.Cmd + ": " + f.Err.Error()
		}
	}
	return ""
}

// how says how an attempt was understood, for a detail.
func (e *env) how(a attempt) string {
	s := e.via(a)
	if len(a.greeting) > 0 && a.via != viaNone {
		s += "; on connect it sent " + shownFrames(e.o.Wire, a.greeting...)
	}
	return s
}

func (e *env) via(a attempt) string {
	switch a.via {
	case viaSameConn:
		list := a.got[len(a.got)-1]
		if list.Msg.(msg).NumPeers() == 0 {
			return "an empty peer list back on our connection (it knows no one else yet)"
		}
		return "a peer list back on our connection (" + word(list.Raw, e.o.Wire) + ")"
	case viaRecorded:
		return "its peer list on a second connection of ours, listing our listener: it recorded us (" + word(a.list.Raw, e.o.Wire) + ")"
	case viaDialBack:
		d := e.run.dialSnapshot(a.dial)
		return fmt.Sprintf("a dial to our listener %s from %s: it answers by dialling, as the course's node does (it sends peer lists only on connections it dialled)", e.Us(), d.remote)
	}
	return a.err.Error()
}

func probePeerMessage(e *env) check.Result {
	first := e.o.Wire
	var r check.Result
	var sent []string
	var got []frame
	var why []string
	for _, o := range []wire.Options{first, other(first)} {
		a := e.tryPeerMessage(o, e.o.Timeout, true)
		e.run.learn(o.Order, a)
		sent = append(sent, shown(o, a.sent)+" ("+o.Order.String()+"-endian)")
		got = append(got, a.got...)
		r.Sent, r.Got = strings.Join(sent, " · "), shownFrames(e.o.Wire, got...)
		if a.via != viaNone {
			e.Greeted()
			r.Verdict = check.Pass
			r.Detail = o.Order.String() + "-endian: " + e.how(a)
			if o.Order != first.Order {
				r.Detail += fmt.Sprintf("; %s-endian, tried first, was not understood (%v): the checks below speak %s-endian (see byte-order)",
					first.Order, why[0], o.Order)
			}
			return r
		}
		why = append(why, fmt.Sprintf("%s-endian: %v", o.Order, a.err))
	}
	err := e.FailedHandshake("waiting for a peer list or a dial to "+e.Us().String(), errors.New(strings.Join(why, "; ")))
	r.Verdict, r.Detail = check.Fail, err.Error()
	return r
}

// isUs says whether p is our listener: the same address, or the same port
// on loopback (the course's node names every peer ::1).
func (e *env) isUs(p netip.AddrPort) bool {
	us := e.Us()
	return p == us || p.Port() == us.Port() && p.Addr().IsLoopback() && us.Addr().IsLoopback()
}

func probeOwnAddress(e *env) check.Result {
	lists := e.run.peerLists()
	if len(lists) == 0 && e.run.answered() != viaSameConn {
		// A node that dials us sends its peer list there, in its own time.
		e.run.waitList(e.Ctx(), time.Now().Add(e.o.Timeout))
		lists = e.run.peerLists()
	}
	if len(lists) == 0 {
		return check.Result{Verdict: check.Skip, Detail: fmt.Sprintf("not run: no peer list came to us within %s, on a connection where the node knew us (ours that named us, or one it dialled to us)", check.Dur(e.o.Timeout))}
	}
	r := check.Result{}
	var where []string
	for _, l := range lists {
		for _, p := range l.peers {
			if e.isUs(p) {
				r.Verdict, r.Got = check.Warn, shown(e.o.Wire, l.raw)
				r.Detail = fmt.Sprintf("a peer list %s lists %s, our own listener: a node hands the asker the others", l.where, p)
				return r
			}
		}
		if !contains(where, l.where) {
			where = append(where, l.where)
		}
	}
	r.Verdict, r.Got = check.Pass, shown(e.o.Wire, lists[0].raw)
	r.Detail = fmt.Sprintf("%d %s came to us (%s), none lists our listener %s",
		len(lists), check.Plural(len(lists), "peer list", "peer lists"), strings.Join(where, ", "), e.Us())
	return r
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// waitList waits until deadline for a peer list to come to us.
func (s *runState) waitList(ctx context.Context, deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		s.mu.Lock()
		n, changed := len(s.lists), s.changed
		s.mu.Unlock()
		if n > 0 {
			return
		}
		select {
		case <-changed:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// probeByteOrder reports the order the node speaks. If peer-message did
// not need the other order, a peer message in it goes now, on a fresh
// connection: last, for a node may choke on a size prefix that reads as
// hundreds of megabytes.
func probeByteOrder(e *env) check.Result {
	speaks := e.run.order()
	tries := e.run.attempts()
	o := other(speaks)
	if !tries[o.Order].tried {
		// A dial now may answer an earlier peer message of ours: only a
		// peer list on this connection tells that it understood this one.
		a := e.tryPeerMessage(o, quiet(e.o.Options), false)
		e.run.learn(o.Order, a)
		tries = e.run.attempts()
	}
	mine, theirs := tries[speaks.Order], tries[o.Order]
	r := check.Result{Verdict: check.Pass,
		Sent: shown(speaks, mine.sent) + " (" + speaks.Order.String() + "-endian) · " + shown(o, theirs.sent) + " (" + o.Order.String() + "-endian)",
		Got:  shownFrames(e.o.Wire, append(append([]frame(nil), mine.got...), theirs.got...)...)}
	course := ""
	if speaks.Order == wire.Little {
		course = ", as the course's node (host order on every classroom machine)"
	}
	switch {
	case theirs.via != viaNone:
		r.Detail = fmt.Sprintf("it understands both orders: %s-endian got %s; %s-endian got %s",
			speaks.Order, e.how(mine), o.Order, e.how(theirs))
	default:
		r.Detail = fmt.Sprintf("it speaks %s-endian%s: a peer message in it got %s; one in %s-endian got %s",
			speaks.Order, course, e.how(mine), o.Order, e.otherOrderOutcome(theirs, o))
	}
	if wrong := e.writesOther(speaks.Order); wrong != "" {
		r.Verdict, r.Detail = check.Warn, r.Detail+"; but "+wrong
	}
	return r
}

// otherOrderOutcome says what a peer message in the order the node does
// not speak got, and what its size prefix reads as in the node's order.
func (e *env) otherOrderOutcome(a attempt, o wire.Options) string {
	if a.err == nil || len(a.sent) < wire.PrefixSize {
		return "nothing"
	}
	n := prefix(a.sent, other(o))
	return fmt.Sprintf("%v (its size prefix, % x, reads %d %s-endian)", a.err, a.sent[:wire.PrefixSize], n, other(o).Order)
}

// writesOther names a message the node wrote in the order it does not
// understand ("" if none): on our connections or its own to us.
func (e *env) writesOther(speaks wire.ByteOrder) string {
	var fs []frame
	for _, a := range e.run.attempts() {
		fs = append(fs, a.got...)
	}
	e.run.mu.Lock()
	for _, d := range e.run.dials {
		fs = append(fs, d.frames...)
	}
	e.run.mu.Unlock()
	for _, f := range fs {
		if m, ok := f.Msg.(msg); ok && m.order != speaks {
			return fmt.Sprintf("it wrote %s in %s-endian", word(f.Raw, e.o.Wire), m.order)
		}
	}
	return ""
}
