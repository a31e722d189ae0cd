package check

import (
	"fmt"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// The timed probes complete a handshake and then stay silent (we answer
// nothing, not even pings), measuring from our verack, the last thing the
// peer heard from us.

func probePingInterval(e *env) Result {
	return e.timed(e.o.PingInterval, wire.CmdPing, func(r Result, l line, after time.Duration) Result {
		r.Verdict = Pass
		r.Detail = fmt.Sprintf("first ping %s after the handshake (interval %s)", dur(after), e.o.PingInterval)
		if _, ok := l.msg.(wire.Ping); !ok {
			r.Verdict, r.Detail = Fail, "the ping does not parse: "+l.err.Error()
		}
		return r
	})
}

func probeAdvertise(e *env) Result {
	return e.timed(e.o.AdvertiseInterval, wire.CmdAddr, func(r Result, l line, after time.Duration) Result {
		return judgeAddr(r, l, fmt.Sprintf(", unasked, %s after the handshake (interval %s)", dur(after), e.o.AdvertiseInterval))
	})
}

// timed expects a line with command cmd within interval (plus slack) of
// the handshake, and judges it with judge.
func (e *env) timed(interval time.Duration, cmd string, judge func(Result, line, time.Duration) Result) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	start := c.lastWrite
	within := interval + slack(interval)
	l, _, err := c.await(within, is(cmd))
	if err != nil {
		return Result{Verdict: Fail, Detail: fmt.Sprintf("no %s within %s: %v", cmd, within, err)}
	}
	return judge(Result{Got: show(l.raw)}, l, l.at.Sub(start))
}

func probeIdleExpiry(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	start := c.lastWrite
	idle := e.o.IdleTimeout
	var got []line
	for {
		l, err := c.next(time.Until(start.Add(2 * idle)))
		if isClosed(err) {
			break
		}
		if err != nil {
			return Result{Verdict: Warn, Got: showLines(got), Detail: fmt.Sprintf("still open after %s of silence from us (inactivity limit %s)", 2*idle, idle)}
		}
		got = append(got, l)
	}
	after := time.Since(start)
	r := Result{Got: showLines(got)}
	switch {
	case after < idle*9/10:
		r.Verdict, r.Detail = Warn, fmt.Sprintf("closed after %s of silence, before the %s inactivity limit", dur(after), idle)
	case after > idle*3/2:
		r.Verdict, r.Detail = Warn, fmt.Sprintf("closed only after %s of silence (inactivity limit %s)", dur(after), idle)
	default:
		r.Verdict, r.Detail = Pass, fmt.Sprintf("closed after %s of silence (inactivity limit %s)", dur(after), idle)
	}
	return r
}
