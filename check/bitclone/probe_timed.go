package bitclone

import (
	"fmt"
	"time"

	"github.com/bitclone/bitclone/check"
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
	end       error     // how the watch ended: a *check.ClosedError, check.NoAnswer, or the run's end
	watchedTo time.Duration
}

// timedChecks runs the timed checks, by probe name.
func timedChecks(e *env) map[string]check.Result {
	names := []string{"ping-interval", "idle-expiry", "advertise"}
	c, _, err := e.established()
	if err != nil {
		out := map[string]check.Result{}
		for _, n := range names {
			out[n] = check.Failed(err)
		}
		return out
	}
	defer c.Close()
	t := timed{start: c.LastWrite()}
	idle := e.o.IdleTimeout
	t.watchedTo = max(2*idle, check.Within(e.o.PingInterval), check.Within(e.o.AdvertiseInterval))
	for {
		l, err := c.Next(time.Until(t.start.Add(t.watchedTo)))
		if err != nil {
			t.end = err
			if check.IsClosed(err) {
				t.closedAt = time.Now()
			}
			break
		}
		t.got = append(t.got, l)
		switch {
		case l.Cmd == wire.CmdPing && t.ping == nil:
			t.ping = &l
		case l.Cmd == wire.CmdAddr && t.addr == nil:
			t.addr = &l
		}
	}
	return map[string]check.Result{
		"ping-interval": t.judgeFirst(t.ping, wire.CmdPing, e.o.PingInterval, func(r check.Result, l line, after time.Duration) check.Result {
			r.Verdict = check.Pass
			r.Detail = fmt.Sprintf("first ping %s after the handshake (interval %s)", check.Dur(after), e.o.PingInterval)
			if _, ok := l.Msg.(wire.Ping); !ok {
				r.Verdict, r.Detail = check.Fail, "the ping does not parse: "+l.Err.Error()
			}
			return r
		}),
		"advertise": t.judgeFirst(t.addr, wire.CmdAddr, e.o.AdvertiseInterval, func(r check.Result, l line, after time.Duration) check.Result {
			return judgeAddr(r, l, fmt.Sprintf(", unasked, %s after the handshake (interval %s)", check.Dur(after), e.o.AdvertiseInterval))
		}),
		"idle-expiry": t.judgeExpiry(idle),
	}
}

// judgeFirst expects first, the first line with command cmd, within
// interval (plus slack) of the handshake, and judges it with judge.
func (t *timed) judgeFirst(first *line, cmd string, interval time.Duration, judge func(check.Result, line, time.Duration) check.Result) check.Result {
	limit := check.Within(interval)
	if first != nil && first.At.Sub(t.start) <= limit {
		return judge(check.Result{Got: check.Clip(first.Raw)}, *first, first.At.Sub(t.start))
	}
	r := check.Result{Verdict: check.Fail, Got: check.ClipFrames(t.got)}
	switch {
	case first != nil:
		r.Detail = fmt.Sprintf("no %s within %s; the first came %s after the handshake", cmd, limit, check.Dur(first.At.Sub(t.start)))
	case !t.closedAt.IsZero() && t.closedAt.Sub(t.start) <= limit:
		r.Detail = fmt.Sprintf("no %s within %s: %v %s after the handshake", cmd, limit, t.end, check.Dur(t.closedAt.Sub(t.start)))
	case t.closedAt.IsZero() && !check.IsNoAnswer(t.end):
		r.Detail = fmt.Sprintf("no %s within %s: %v", cmd, limit, t.end)
	default:
		r.Detail = fmt.Sprintf("no %s within %s", cmd, limit)
	}
	return r
}

// judgeExpiry expects the peer to close the connection after about idle.
func (t *timed) judgeExpiry(idle time.Duration) check.Result {
	r := check.Result{Got: check.ClipFrames(t.got)}
	if t.closedAt.IsZero() {
		if !check.IsNoAnswer(t.end) {
			r.Verdict, r.Detail = check.Fail, t.end.Error()
			return r
		}
		r.Verdict, r.Detail = check.Warn, fmt.Sprintf("still open after %s of silence from us (inactivity limit %s)", t.watchedTo, idle)
		return r
	}
	after := t.closedAt.Sub(t.start)
	switch {
	case after < idle*9/10:
		r.Verdict, r.Detail = check.Warn, fmt.Sprintf("closed after %s of silence, before the %s inactivity limit", check.Dur(after), idle)
	case after > idle*3/2:
		r.Verdict, r.Detail = check.Warn, fmt.Sprintf("closed only after %s of silence (inactivity limit %s)", check.Dur(after), idle)
	default:
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("closed after %s of silence (inactivity limit %s)", check.Dur(after), idle)
	}
	return r
}
