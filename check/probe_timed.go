package check

import (
	"fmt"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// The timed checks share one connection: we complete a handshake and then
// stay silent (we answer nothing, not even pings), measuring from our
// verack, the last thing the peer heard from us, the first ping, the first
// addr, and when the peer closes the connection. One connection, because
// each of ours claims the run's one address, and a peer that keeps one
// connection per address would close all but the newest of three.

// timed is what the silent connection saw.
type timed struct {
	start     time.Time // our verack
	ping      *line     // the first ping, if any
	addr      *line     // the first addr, if any
	got       []line
	closedAt  time.Time // when the peer closed it, if it did
	end       error     // how the watch ended: a *closedError, noAnswer, or the run's end
	watchedTo time.Duration
}

// timedChecks runs the timed checks, by probe name.
func timedChecks(e *env) map[string]Result {
	names := []string{"ping-interval", "idle-expiry", "advertise"}
	c, _, err := e.established()
	if err != nil {
		out := map[string]Result{}
		for _, n := range names {
			out[n] = failed(err)
		}
		return out
	}
	defer c.close()
	t := timed{start: c.lastWrite}
	idle := e.o.IdleTimeout
	t.watchedTo = max(2*idle, within(e.o.PingInterval), within(e.o.AdvertiseInterval))
	for {
		l, err := c.next(time.Until(t.start.Add(t.watchedTo)))
		if err != nil {
			t.end = err
			if isClosed(err) {
				t.closedAt = time.Now()
			}
			break
		}
		t.got = append(t.got, l)
		switch {
		case l.cmd == wire.CmdPing && t.ping == nil:
			t.ping = &l
		case l.cmd == wire.CmdAddr && t.addr == nil:
			t.addr = &l
		}
	}
	return map[string]Result{
		"ping-interval": t.judgeFirst(t.ping, wire.CmdPing, e.o.PingInterval, func(r Result, l line, after time.Duration) Result {
			r.Verdict = Pass
			r.Detail = fmt.Sprintf("first ping %s after the handshake (interval %s)", dur(after), e.o.PingInterval)
			if _, ok := l.msg.(wire.Ping); !ok {
				r.Verdict, r.Detail = Fail, "the ping does not parse: "+l.err.Error()
			}
			return r
		}),
		"advertise": t.judgeFirst(t.addr, wire.CmdAddr, e.o.AdvertiseInterval, func(r Result, l line, after time.Duration) Result {
			return judgeAddr(r, l, fmt.Sprintf(", unasked, %s after the handshake (interval %s)", dur(after), e.o.AdvertiseInterval))
		}),
		"idle-expiry": t.judgeExpiry(idle),
	}
}

// within is how long after the handshake a thing due every interval may
// come.
func within(interval time.Duration) time.Duration { return interval + slack(interval) }

// judgeFirst expects first, the first line with command cmd, within
// interval (plus slack) of the handshake, and judges it with judge.
func (t *timed) judgeFirst(first *line, cmd string, interval time.Duration, judge func(Result, line, time.Duration) Result) Result {
	limit := within(interval)
	if first != nil && first.at.Sub(t.start) <= limit {
		return judge(Result{Got: clip(first.raw)}, *first, first.at.Sub(t.start))
	}
	r := Result{Verdict: Fail, Got: clipLines(t.got)}
	switch {
	case first != nil:
		r.Detail = fmt.Sprintf("no %s within %s; the first came %s after the handshake", cmd, limit, dur(first.at.Sub(t.start)))
	case !t.closedAt.IsZero() && t.closedAt.Sub(t.start) <= limit:
		r.Detail = fmt.Sprintf("no %s within %s: %v %s after the handshake", cmd, limit, t.end, dur(t.closedAt.Sub(t.start)))
	case t.closedAt.IsZero() && !isNoAnswer(t.end):
		r.Detail = fmt.Sprintf("no %s within %s: %v", cmd, limit, t.end)
	default:
		r.Detail = fmt.Sprintf("no %s within %s", cmd, limit)
	}
	return r
}

// judgeExpiry expects the peer to close the connection after about idle.
func (t *timed) judgeExpiry(idle time.Duration) Result {
	r := Result{Got: clipLines(t.got)}
	if t.closedAt.IsZero() {
		if !isNoAnswer(t.end) {
			r.Verdict, r.Detail = Fail, t.end.Error()
			return r
		}
		r.Verdict, r.Detail = Warn, fmt.Sprintf("still open after %s of silence from us (inactivity limit %s)", t.watchedTo, idle)
		return r
	}
	after := t.closedAt.Sub(t.start)
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

func isNoAnswer(err error) bool {
	_, ok := err.(noAnswer)
	return ok
}
