package bitclone

import (
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

func probePing(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	return e.pingPong(c, func(n uint64) []byte { return wire.Ping{Nonce: n}.AppendWire(nil) })
}

func probeBareLF(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	return e.pingPong(c, func(n uint64) []byte { return fmt.Appendf(nil, "ping|%d\n", n) })
}

// pingPong sends the ping that ping builds and expects the matching pong.
func (e *env) pingPong(c *conn, ping func(nonce uint64) []byte) check.Result {
	n := newNonce()
	sent := ping(n)
	r := check.Result{Sent: check.Clip(sent)}
	if err := c.Send(sent); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	l, skipped, err := e.awaitReply(c, check.Is(wire.CmdPong))
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "no pong: "+err.Error()
		return r
	}
	took := l.At.Sub(c.Sending())
	r.Got = check.Clip(l.Raw)
	pong, ok := l.Msg.(wire.Pong)
	switch {
	case l.Cmd == wire.CmdReject:
		r.Verdict, r.Detail = check.Fail, "rejected a valid ping"
	case !ok:
		r.Verdict, r.Detail = check.Fail, "the pong does not parse: "+l.Err.Error()
	case pong.Nonce != n:
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("pong carries %d, not the ping's nonce %d", pong.Nonce, n)
	default:
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("pong in %s", check.Dur(max(took, 0)))
	}
	r.Detail += unsolicited(skipped)
	return r
}

// batchSize is how many pings share one segment.
const batchSize = 3

var ordinals = [batchSize]string{"1st", "2nd", "3rd"}

func probeBatch(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	var segment []byte
	waiting := map[uint64]bool{}
	order := make([]uint64, batchSize)
	for i := range order {
		order[i] = newNonce()
		waiting[order[i]] = true
		segment = wire.Ping{Nonce: order[i]}.AppendWire(segment)
	}
	r := check.Result{Sent: check.Clip(segment)}
	if err := c.Send(segment); err != nil { // one write: one segment
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	var pongs []line
	var l line
	deadline := time.Now().Add(e.o.Timeout)
	for len(waiting) > 0 {
		l, _, err = c.Await(time.Until(deadline), check.Is(wire.CmdPong))
		if err != nil {
			break
		}
		pongs = append(pongs, l)
		if p, ok := l.Msg.(wire.Pong); ok {
			delete(waiting, p.Nonce)
		}
	}
	r.Got = check.ClipFrames(pongs)
	if len(waiting) == 0 {
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("%d pongs", batchSize)
		return r
	}
	var missing []string
	for i, n := range order {
		if waiting[n] {
			missing = append(missing, ordinals[i])
		}
	}
	if na, ok := err.(check.NoAnswer); ok {
		na.D = e.o.Timeout
		err = na
	}
	r.Verdict = check.Fail
	r.Detail = fmt.Sprintf("answered %d of %d, not the %s: %v; the rest of the segment was lost, as with a peer that handles one message per read",
		batchSize-len(waiting), batchSize, strings.Join(missing, " and "), err)
	return r
}

func probeGetAddr(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	sent := wire.GetAddr{}.AppendWire(nil)
	r := check.Result{Sent: check.Clip(sent)}
	if err := c.Send(sent); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	l, skipped, err := e.awaitReply(c, check.Is(wire.CmdAddr))
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "no addr: "+err.Error()
		return r
	}
	r.Got = check.Clip(l.Raw)
	r = judgeAddr(r, l, "")
	r.Detail += unsolicited(skipped)
	return r
}

// judgeAddr judges an addr line: it must parse, its count must match.
func judgeAddr(r check.Result, l line, when string) check.Result {
	a, ok := l.Msg.(wire.Addr)
	switch {
	case l.Cmd == wire.CmdReject:
		r.Verdict, r.Detail = check.Fail, "rejected it"
	case !ok:
		r.Verdict, r.Detail = check.Fail, l.Err.Error()
	default:
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("addr with %d %s%s", len(a.Entries), check.Plural(len(a.Entries), "entry", "entries"), when)
	}
	return r
}
