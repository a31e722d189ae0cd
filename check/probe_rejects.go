package check

import (
	"fmt"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

func probeEarlyPing(e *env) Result {
	return e.greeted(true, func(c *conn, g *greeting) Result {
		n := newNonce()
		ping := wire.Ping{Nonce: n}.AppendWire(nil)
		r := Result{Sent: clip(g.sent) + " … " + clip(ping)}
		if err := c.send(ping); err != nil {
			r.Verdict, r.Detail = Fail, err.Error()
			return r
		}
		// A reject read before we sent the ping is about something else.
		l, _, err := c.await(e.o.Timeout, answers(c, func(l line) bool { return l.cmd == wire.CmdReject || l.cmd == wire.CmdPong }))
		switch {
		case isClosed(err):
			r.Verdict, r.Detail = Warn, err.Error()+": it did not answer the ping, but a reject would say why"
			return r
		case err != nil:
			r.Verdict, r.Detail = Warn, "ignored it without a reject ("+err.Error()+"); not acted on, but the notes ask for a reject"
			return r
		}
		r.Got = clip(l.raw)
		if l.cmd == wire.CmdPong {
			r.Verdict, r.Detail = Fail, "it answered a ping sent before the handshake completed"
			return r
		}
		return e.judgeReject(c, r, l, wire.CmdPong)
	})
}

func probeUnknownCommand(e *env) Result {
	return e.expectReject([]byte("flowers|please send me flowers\r\n"), "")
}

func probeFieldCount(e *env) Result {
	return e.expectReject([]byte("ping|1|2\r\n"), wire.CmdPong)
}

func probeBadNonce(e *env) Result {
	return e.expectReject([]byte("ping|abc\r\n"), wire.CmdPong)
}

func probeSecondVersion(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	return e.sendExpectReject(c, e.version(c, newNonce()), wire.CmdVerack)
}

// expectReject sends bad on an established connection and expects a 4xx
// reject; an answer with the command actedOn means the peer acted on it.
func (e *env) expectReject(bad []byte, actedOn string) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	return e.sendExpectReject(c, bad, actedOn)
}

func (e *env) sendExpectReject(c *conn, bad []byte, actedOn string) Result {
	r := Result{Sent: clip(bad)}
	if err := c.send(bad); err != nil {
		r.Verdict, r.Detail = Fail, err.Error()
		return r
	}
	// A reject read before we sent bad is about something else.
	l, _, err := c.await(e.o.Timeout, answers(c, func(l line) bool {
		return l.cmd == wire.CmdReject || (actedOn != "" && l.cmd == actedOn)
	}))
	switch {
	case isClosed(err):
		r.Verdict, r.Detail = Warn, err.Error()+" instead of sending a reject"
		return r
	case err != nil:
		r.Verdict, r.Detail = Fail, "no reject: "+err.Error()
		return r
	}
	r.Got = clip(l.raw)
	if l.cmd == actedOn {
		r.Verdict, r.Detail = Fail, "it acted on it: answered "+l.cmd
		return r
	}
	return e.judgeReject(c, r, l, actedOn)
}

// judgeReject judges a reject l, then watches a moment for an answer with
// the command actedOn, which would mean the peer rejected and acted anyway.
func (e *env) judgeReject(c *conn, r Result, l line, actedOn string) Result {
	rej, ok := l.msg.(wire.Reject)
	switch {
	case !ok:
		r.Verdict, r.Detail = Warn, "a reject, but it does not parse: "+l.err.Error()
	case rej.Code >= 500:
		r.Verdict, r.Detail = Warn, fmt.Sprintf("code %d is a server error; a bad message is a client error (4xx)", rej.Code)
	default:
		r.Verdict, r.Detail = Pass, fmt.Sprintf("rejected with %d", rej.Code)
	}
	if actedOn == "" {
		return r
	}
	later, _ := c.watch(e.o.settle())
	for _, m := range later {
		if m.cmd == actedOn {
			r.Verdict, r.Got = Fail, clip(append(append([]byte(nil), l.raw...), m.raw...))
			r.Detail = "it rejected it, but answered " + actedOn + " as well"
		}
	}
	return r
}
