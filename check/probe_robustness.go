package check

import (
	"bytes"
	"fmt"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// garbage is binary junk: NUL, invalid UTF-8, a terminal escape that would
// clear a careless screen, DEL and stray delimiters.
var garbage = []byte("\x00\x01\x02\xfe\xff\x1b[2J\x1b[31mgarbage\x7f|||\r\n")

// longLine is one MiB: far over any sensible line limit (ours is 128 KiB).
const longLine = 1 << 20

func probeGarbage(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	return e.thenPing(c, garbage, func(rejected bool) string {
		if rejected {
			return "rejected it, then answered a ping"
		}
		return "ignored it, then answered a ping"
	}, "; the notes ask for a reject", Warn)
}

func probeLongLine(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	big := append([]byte("message|100|long line|"), bytes.Repeat([]byte("x"), longLine)...)
	big = append(big, "\r\n"...)
	return e.thenPing(c, big, func(rejected bool) string {
		if rejected {
			return "rejected it, then answered a ping"
		}
		return "took it, then answered a ping"
	}, ", which is fine for an over-long line", Pass)
}

// thenPing sends bad, then a ping, and judges how the peer coped: a pong
// passes (ok says how, given whether a reject came first); the peer closing
// the connection gets the verdict ifClosed, and how it closed it is followed
// by closedDetail.
func (e *env) thenPing(c *conn, bad []byte, ok func(rejected bool) string, closedDetail string, ifClosed Verdict) Result {
	n := newNonce()
	ping := wire.Ping{Nonce: n}.AppendWire(nil)
	r := Result{Sent: clip(bad) + " … " + clip(ping)}
	err := c.send(bad)
	badAt := c.sending
	if err == nil {
		err = c.send(ping)
	}
	var l line
	var before []line
	if err == nil {
		l, before, err = c.await(e.o.Timeout, func(l line) bool {
			p, ok := l.msg.(wire.Pong)
			return ok && p.Nonce == n
		})
	}
	r.Got = clipLines(append(before, l))
	switch {
	case isClosed(err):
		r.Verdict, r.Detail = ifClosed, err.Error()+closedDetail
	case err != nil:
		r.Verdict, r.Detail = Fail, fmt.Sprintf("no pong to the ping that followed: %v", err)
	default:
		rejected := false
		for _, b := range before {
			rejected = rejected || (b.cmd == wire.CmdReject && !b.at.Before(badAt)) // not one about something earlier
		}
		r.Verdict, r.Detail = Pass, ok(rejected)
	}
	return r
}

func probeReset(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	half := []byte("ping|12")
	sendErr := c.send(half)
	c.reset()
	if sendErr != nil {
		return Result{Verdict: Fail, Sent: clip(half), Detail: sendErr.Error()}
	}
	// The question is whether the peer is still fine: ask on a new connection.
	c2, _, err := e.established()
	if err != nil {
		return Result{Verdict: Fail, Sent: clip(half) + " then a TCP reset", Detail: "a new connection: " + err.Error()}
	}
	defer c2.close()
	r := e.pingPong(c2, func(n uint64) []byte { return wire.Ping{Nonce: n}.AppendWire(nil) })
	r.Sent = clip(half) + " then a TCP reset; on a new connection: " + r.Sent
	if r.Verdict == Pass {
		r.Detail = "a new connection completes a handshake and answers a ping"
	} else {
		r.Detail = "a new connection: " + r.Detail
	}
	return r
}
