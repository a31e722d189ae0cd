package bitclone

import (
	"bytes"
	"fmt"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// garbage is binary junk: NUL, invalid UTF-8, a terminal escape that would
// clear a careless screen, DEL and stray delimiters.
var garbage = []byte("\x00\x01\x02\xfe\xff\x1b[2J\x1b[31mgarbage\x7f|||\r\n")

// longLine is one MiB: far over any sensible line limit (ours is 128 KiB).
const longLine = 1 << 20

func probeGarbage(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	return e.thenPing(c, garbage, func(rejected bool) string {
		if rejected {
			return "rejected it, then answered a ping"
		}
		return "ignored it, then answered a ping"
	}, "; the notes ask for a reject", check.Warn)
}

func probeLongLine(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	big := append([]byte("message|100|long line|"), bytes.Repeat([]byte("x"), longLine)...)
	big = append(big, "\r\n"...)
	return e.thenPing(c, big, func(rejected bool) string {
		if rejected {
			return "rejected it, then answered a ping"
		}
		return "took it, then answered a ping"
	}, ", which is fine for an over-long line", check.Pass)
}

// thenPing sends bad, then a ping, and judges how the peer coped: a pong
// passes (ok says how, given whether a reject came first); the peer closing
// the connection gets the verdict ifClosed, and how it closed it is followed
// by closedDetail.
func (e *env) thenPing(c *conn, bad []byte, ok func(rejected bool) string, closedDetail string, ifClosed check.Verdict) check.Result {
	n := newNonce()
	ping := wire.Ping{Nonce: n}.AppendWire(nil)
	r := check.Result{Sent: check.Clip(bad) + " … " + check.Clip(ping)}
	err := c.Send(bad)
	badAt := c.Sending()
	if err == nil {
		err = c.Send(ping)
	}
	var l line
	var before []line
	if err == nil {
		l, before, err = c.Await(e.o.Timeout, func(l line) bool {
			p, ok := l.Msg.(wire.Pong)
			return ok && p.Nonce == n
		})
	}
	r.Got = check.ClipFrames(append(before, l))
	switch {
	case check.IsClosed(err):
		r.Verdict, r.Detail = ifClosed, err.Error()+closedDetail
	case err != nil:
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("no pong to the ping that followed: %v", err)
	default:
		rejected := false
		for _, b := range before {
			rejected = rejected || (b.Cmd == wire.CmdReject && !b.At.Before(badAt)) // not one about something earlier
		}
		r.Verdict, r.Detail = check.Pass, ok(rejected)
	}
	return r
}

func probeReset(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	half := []byte("ping|12")
	sendErr := c.Send(half)
	c.Reset()
	if sendErr != nil {
		return check.Result{Verdict: check.Fail, Sent: check.Clip(half), Detail: sendErr.Error()}
	}
	// The question is whether the peer is still fine: ask on a new connection.
	c2, _, err := e.established()
	if err != nil {
		return check.Result{Verdict: check.Fail, Sent: check.Clip(half) + " then a TCP reset", Detail: "a new connection: " + err.Error()}
	}
	defer c2.Close()
	r := e.pingPong(c2, func(n uint64) []byte { return wire.Ping{Nonce: n}.AppendWire(nil) })
	r.Sent = check.Clip(half) + " then a TCP reset; on a new connection: " + r.Sent
	if r.Verdict == check.Pass {
		r.Detail = "a new connection completes a handshake and answers a ping"
	} else {
		r.Detail = "a new connection: " + r.Detail
	}
	return r
}
