package bitclone

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// maxClockSkew is how far the version's time may be from ours.
const maxClockSkew = 10 * time.Minute

// greeted runs judge on a fresh connection once the peer has answered our
// version with its version and, if wantVerack, its verack (our verack is
// not sent).
func (e *env) greeted(wantVerack bool, judge func(c *conn, g *greeting) check.Result) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	g, err := e.greet(c, wantVerack)
	if err != nil {
		return check.Result{Verdict: check.Fail, Sent: check.Clip(g.sent), Got: check.ClipFrames(g.got()), Detail: err.Error()}
	}
	return judge(c, g)
}

// parsedVersion judges the peer's version with judge, when it parses; the
// "version" check reports why it does not.
func (e *env) parsedVersion(judge func(c *conn, g *greeting, v wire.Version) check.Result) check.Result {
	return e.greeted(false, func(c *conn, g *greeting) check.Result {
		v, ok := g.version.Msg.(wire.Version)
		if !ok {
			return check.Result{Verdict: check.Skip, Got: check.Clip(g.version.Raw), Detail: "cannot judge: the version does not parse (see the version check)"}
		}
		r := judge(c, g, v)
		r.Sent, r.Got = check.Clip(g.sent), check.Clip(g.version.Raw)
		return r
	})
}

func probeVersion(e *env) check.Result {
	return e.greeted(false, func(c *conn, g *greeting) check.Result {
		r := check.Result{Sent: check.Clip(g.sent), Got: check.Clip(g.version.Raw)}
		v, ok := g.version.Msg.(wire.Version)
		if !ok {
			r.Verdict, r.Detail = check.Fail, g.version.Err.Error()
			return r
		}
		var warns []string
		if v.Version != 3 && v.Version != 4 {
			warns = append(warns, fmt.Sprintf("version number %d, want 3 (project 3) or 4", v.Version))
		}
		if v.Services&wire.ServiceP2P == 0 {
			warns = append(warns, fmt.Sprintf("services %d lacks the peer-to-peer bit (1)", v.Services))
		}
		if !bytes.HasSuffix(g.version.Raw, []byte("\r\n")) {
			warns = append(warns, "the line ends with a bare LF, not CRLF")
		}
		if len(warns) > 0 {
			r.Verdict, r.Detail = check.Warn, strings.Join(warns, "; ")
			return r
		}
		r.Verdict = check.Pass
		r.Detail = fmt.Sprintf("9 fields; version %d, services %d, nonce %d, agent %q", v.Version, v.Services, v.Nonce, v.UserAgent)
		return r
	})
}

func probeVersionTime(e *env) check.Result {
	return e.parsedVersion(func(_ *conn, _ *greeting, v wire.Version) check.Result {
		now := time.Now()
		skew := time.Duration(v.Time-now.Unix()) * time.Second
		switch {
		case skew.Abs() <= maxClockSkew:
			return check.Result{Verdict: check.Pass, Detail: fmt.Sprintf("%d, %s from our clock", v.Time, skew.Abs())}
		case v.Time/1000 > now.Unix()-int64(maxClockSkew.Seconds()) && v.Time/1000 < now.Unix()+int64(maxClockSkew.Seconds()):
			return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("%d looks like milliseconds; the spec wants seconds since 1970", v.Time)}
		}
		return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("%d is %s from our clock (more than %s)", v.Time, skew.Abs().Round(time.Second), maxClockSkew)}
	})
}

func probeVersionRecipient(e *env) check.Result {
	return e.parsedVersion(func(c *conn, _ *greeting, v wire.Version) check.Result {
		switch {
		case v.Recipient == c.Local():
			return check.Result{Verdict: check.Pass, Detail: fmt.Sprintf("%s is our address as the peer sees it", v.Recipient)}
		case v.Recipient.Addr() == c.Local().Addr():
			return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("recipient %s: right IP, but we connected from port %d", v.Recipient, c.Local().Port())}
		}
		return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("recipient %s, but we connected from %s; peers that check the recipient refuse this", v.Recipient, c.Local())}
	})
}

func probeVersionSender(e *env) check.Result {
	return e.parsedVersion(func(c *conn, _ *greeting, v wire.Version) check.Result {
		switch {
		case v.Sender == c.Remote():
			return check.Result{Verdict: check.Pass, Detail: fmt.Sprintf("%s is where we reached it", v.Sender)}
		case v.Sender.Port() != c.Remote().Port():
			return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("sender port %d, but it listens on %d: peers that learn this address will dial the wrong port", v.Sender.Port(), c.Remote().Port())}
		}
		return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("sender IP %s, but we reached it at %s; peers that check the sender refuse this", v.Sender.Addr(), c.Remote().Addr())}
	})
}

func probeVerack(e *env) check.Result {
	return e.greeted(true, func(c *conn, g *greeting) check.Result {
		r := check.Result{Sent: check.Clip(g.sent), Got: check.Clip(g.verack.Raw)}
		va, ok := g.verack.Msg.(wire.Verack)
		switch {
		case !ok:
			r.Verdict, r.Detail = check.Fail, g.verack.Err.Error()
		case va.Nonce == g.nonce:
			r.Verdict, r.Detail = check.Pass, "echoes our nonce"
		case isBlockID(g.version, va.Nonce):
			r.Verdict, r.Detail = check.Warn, fmt.Sprintf("carries %d, the block id of its own version (as the spec's example does), not our nonce %d", va.Nonce, g.nonce)
		default:
			r.Verdict, r.Detail = check.Warn, fmt.Sprintf("carries %d, not our version's nonce %d", va.Nonce, g.nonce)
		}
		return r
	})
}

func isBlockID(version line, n uint64) bool {
	v, ok := version.Msg.(wire.Version)
	return ok && v.BlockID == n
}

func probeQuietHandshake(e *env) check.Result {
	return e.greeted(true, func(c *conn, g *greeting) check.Result {
		// Give the peer time to say something it should not, then finish.
		more, err := c.Watch(e.o.Settle())
		early := append(g.early, more...)
		if err == nil {
			err = e.finish(c, g)
		}
		r := check.Result{Sent: check.Clip(g.sent), Got: check.ClipFrames(g.got())}
		switch {
		case len(early) > 0:
			r.Verdict, r.Got = check.Fail, check.ClipFrames(early)
			r.Detail = "sent " + check.Commands(early) + " before the handshake completed"
		case err != nil:
			r.Verdict, r.Detail = check.Fail, err.Error()
		default:
			r.Verdict, r.Detail = check.Pass, "only version and verack until it had our verack"
		}
		return r
	})
}
