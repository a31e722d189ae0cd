package bitclone

import (
	"fmt"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

func probeEarlyPing(e *env) check.Result {
	return e.greeted(true, func(c *conn, g *greeting) check.Result {
		n := newNonce()
		ping := wire.Ping{Nonce: n}.AppendWire(nil)
		r := check.Result{Sent: check.Clip(g.sent) + " … " + check.Clip(ping)}
		if err := c.Send(ping); err != nil {
			r.Verdict, r.Detail = check.Fail, err.Error()
			return r
		}
		// A reject read before we sent the ping is about something else.
		l, _, err := c.Await(e.o.Timeout, check.Answers(c, func(l line) bool { return l.Cmd == wire.CmdReject || l.Cmd == wire.CmdPong }))
		switch {
		case check.IsClosed(err):
			r.Verdict, r.Detail = check.Warn, err.Error()+": it did not answer the ping, but a reject would say why"
			return r
		case err != nil:
			r.Verdict, r.Detail = check.Warn, "ignored it without a reject ("+err.Error()+"); not acted on, but the notes ask for a reject"
			return r
		}
		r.Got = check.Clip(l.Raw)
		if l.Cmd == wire.CmdPong {
			r.Verdict, r.Detail = check.Fail, "it answered a ping sent before the handshake completed"
			return r
		}
		return e.judgeReject(c, r, l, wire.CmdPong)
	})
}

func probeUnknownCommand(e *env) check.Result {
	return e.expectReject([]byte("flowers|please send me flowers\r\n"), "")
}

func probeFieldCount(e *env) check.Result {
	return e.expectReject([]byte("ping|1|2\r\n"), wire.CmdPong)
}

func probeBadNonce(e *env) check.Result {
	return e.expectReject([]byte("ping|abc\r\n"), wire.CmdPong)
}

func probeSecondVersion(e *env) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	return e.sendExpectReject(c, e.version(c, newNonce()), wire.CmdVerack)
}

// expectReject sends bad on an established connection and expects a 4xx
// reject; an answer with the command actedOn means the peer acted on it.
func (e *env) expectReject(bad []byte, actedOn string) check.Result {
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	return e.sendExpectReject(c, bad, actedOn)
}

func (e *env) sendExpectReject(c *conn, bad []byte, actedOn string) check.Result {
	r := check.Result{Sent: check.Clip(bad)}
	if err := c.Send(bad); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	// A reject read before we sent bad is about something else.
	l, _, err := c.Await(e.o.Timeout, check.Answers(c, func(l line) bool {
		return l.Cmd == wire.CmdReject || (actedOn != "" && l.Cmd == actedOn)
	}))
	switch {
	case check.IsClosed(err):
		r.Verdict, r.Detail = check.Warn, err.Error()+" instead of sending a reject"
		return r
	case err != nil:
		r.Verdict, r.Detail = check.Fail, "no reject: "+err.Error()
		return r
	}
	r.Got = check.Clip(l.Raw)
	if l.Cmd == actedOn {
		r.Verdict, r.Detail = check.Fail, "it acted on it: answered "+l.Cmd
		return r
	}
	return e.judgeReject(c, r, l, actedOn)
}

// judgeReject judges a reject l, then watches a moment for an answer with
// the command actedOn, which would mean the peer rejected and acted anyway.
func (e *env) judgeReject(c *conn, r check.Result, l line, actedOn string) check.Result {
	rej, ok := l.Msg.(wire.Reject)
	switch {
	case !ok:
		r.Verdict, r.Detail = check.Warn, "a reject, but it does not parse: "+l.Err.Error()
	case rej.Code >= 500:
		r.Verdict, r.Detail = check.Warn, fmt.Sprintf("code %d is a server error; a bad message is a client error (4xx)", rej.Code)
	default:
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("rejected with %d", rej.Code)
	}
	if actedOn == "" {
		return r
	}
	later, _ := c.Watch(e.o.Settle())
	for _, m := range later {
		if m.Cmd == actedOn {
			r.Verdict, r.Got = check.Fail, check.Clip(append(append([]byte(nil), l.Raw...), m.Raw...))
			r.Detail = "it rejected it, but answered " + actedOn + " as well"
		}
	}
	return r
}
