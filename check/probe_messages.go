package check

import (
	"fmt"
	"strings"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

func probePing(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	return e.pingPong(c, func(n uint64) []byte { return wire.Ping{Nonce: n}.AppendWire(nil) })
}

func probeBareLF(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	return e.pingPong(c, func(n uint64) []byte { return fmt.Appendf(nil, "ping|%d\n", n) })
}

// pingPong sends the ping that ping builds and expects the matching pong.
func (e *env) pingPong(c *conn, ping func(nonce uint64) []byte) Result {
	n := newNonce()
	sent := ping(n)
	r := Result{Sent: clip(sent)}
	if err := c.send(sent); err != nil {
		r.Verdict, r.Detail = Fail, err.Error()
		return r
	}
	l, skipped, err := e.awaitReply(c, is(wire.CmdPong))
	if err != nil {
		r.Verdict, r.Detail = Fail, "no pong: "+err.Error()
		return r
	}
	took := l.at.Sub(c.sending)
	r.Got = clip(l.raw)
	pong, ok := l.msg.(wire.Pong)
	switch {
	case l.cmd == wire.CmdReject:
		r.Verdict, r.Detail = Fail, "rejected a valid ping"
	case !ok:
		r.Verdict, r.Detail = Fail, "the pong does not parse: "+l.err.Error()
	case pong.Nonce != n:
		r.Verdict, r.Detail = Fail, fmt.Sprintf("pong carries %d, not the ping's nonce %d", pong.Nonce, n)
	default:
		r.Verdict, r.Detail = Pass, fmt.Sprintf("pong in %s", dur(max(took, 0)))
	}
	r.Detail += unsolicited(skipped)
	return r
}

// batchSize is how many pings share one segment.
const batchSize = 3

var ordinals = [batchSize]string{"1st", "2nd", "3rd"}

func probeBatch(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	var segment []byte
	waiting := map[uint64]bool{}
	order := make([]uint64, batchSize)
	for i := range order {
		order[i] = newNonce()
		waiting[order[i]] = true
		segment = wire.Ping{Nonce: order[i]}.AppendWire(segment)
	}
	r := Result{Sent: clip(segment)}
	if err := c.send(segment); err != nil { // one write: one segment
		r.Verdict, r.Detail = Fail, err.Error()
		return r
	}
	var pongs []line
	var l line
	deadline := time.Now().Add(e.o.Timeout)
	for len(waiting) > 0 {
		l, _, err = c.await(time.Until(deadline), is(wire.CmdPong))
		if err != nil {
			break
		}
		pongs = append(pongs, l)
		if p, ok := l.msg.(wire.Pong); ok {
			delete(waiting, p.Nonce)
		}
	}
	r.Got = clipLines(pongs)
	if len(waiting) == 0 {
		r.Verdict, r.Detail = Pass, fmt.Sprintf("%d pongs", batchSize)
		return r
	}
	var missing []string
	for i, n := range order {
		if waiting[n] {
			missing = append(missing, ordinals[i])
		}
	}
	if na, ok := err.(noAnswer); ok {
		na.d = e.o.Timeout
		err = na
	}
	r.Verdict = Fail
	r.Detail = fmt.Sprintf("answered %d of %d, not the %s: %v; the rest of the segment was lost, as with a peer that handles one message per read",
		batchSize-len(waiting), batchSize, strings.Join(missing, " and "), err)
	return r
}

func probeGetAddr(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	sent := wire.GetAddr{}.AppendWire(nil)
	r := Result{Sent: clip(sent)}
	if err := c.send(sent); err != nil {
		r.Verdict, r.Detail = Fail, err.Error()
		return r
	}
	l, skipped, err := e.awaitReply(c, is(wire.CmdAddr))
	if err != nil {
		r.Verdict, r.Detail = Fail, "no addr: "+err.Error()
		return r
	}
	r.Got = clip(l.raw)
	r = judgeAddr(r, l, "")
	r.Detail += unsolicited(skipped)
	return r
}

// judgeAddr judges an addr line: it must parse, its count must match.
func judgeAddr(r Result, l line, when string) Result {
	a, ok := l.msg.(wire.Addr)
	switch {
	case l.cmd == wire.CmdReject:
		r.Verdict, r.Detail = Fail, "rejected it"
	case !ok:
		r.Verdict, r.Detail = Fail, l.err.Error()
	default:
		r.Verdict, r.Detail = Pass, fmt.Sprintf("addr with %d %s%s", len(a.Entries), plural(len(a.Entries), "entry", "entries"), when)
	}
	return r
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
