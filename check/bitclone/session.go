package bitclone

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// env is what every BitClone probe gets: the run's check.Env and the
// BitClone options, defaults filled in.
type env struct {
	*check.Env
	o Options
}

// wrap gives a probe of the run e its env.
func wrap(e *check.Env, o Options) *env {
	o = o.withDefaults()
	o.Options = e.Options()
	return &env{Env: e, o: o}
}

// newEnv opens a run's env to try probes one by one (tests).
func newEnv(ctx context.Context, target string, o Options, nw check.Network) (*env, error) {
	e, err := check.NewEnv(ctx, target, suite(o), o.Options, nw)
	if err != nil {
		return nil, err
	}
	return wrap(e, o), nil
}

// newNonce returns a random non-zero nonce.
func newNonce() uint64 {
	for {
		if n := rand.Uint64(); n != 0 {
			return n
		}
	}
}

// version is our version on c: the peer as we reach it is the recipient,
// the run's listener the sender. Each version has a nonce of its own, so a
// peer that keeps one connection per address takes each probe for a new run
// of ours and lets it replace the last, once that one is closed or stops
// answering pings (rather than refusing it as a duplicate).
func (e *env) version(c *conn, nonce uint64) []byte {
	return wire.Version{
		Version:   wire.ProtocolVersion,
		Services:  wire.ServiceP2P,
		Time:      time.Now().Unix(),
		Recipient: c.Remote(),
		Sender:    e.Us(),
		Nonce:     nonce,
		UserAgent: e.o.Agent,
	}.AppendWire(nil)
}

// greeting is a handshake we opened, as far as it got.
type greeting struct {
	nonce   uint64 // our version's
	sent    []byte // our version
	version line   // the peer's version, parsed or not
	verack  line
	early   []line // anything else the peer sent before the handshake completed
}

// greet sends our version and waits for the peer's version and, if
// wantVerack, its verack; our verack is left unsent. A greeting that fails
// is a check.HandshakeError, and the run's first one is the root cause
// that the report states once.
func (e *env) greet(c *conn, wantVerack bool) (*greeting, error) {
	g := &greeting{nonce: newNonce()}
	g.sent = e.version(c, g.nonce)
	if err := c.Send(g.sent); err != nil {
		return g, e.FailedHandshake("sending our version", err)
	}
	deadline := time.Now().Add(e.o.Timeout)
	for g.version.Raw == nil || (wantVerack && g.verack.Raw == nil) {
		l, err := c.Next(time.Until(deadline))
		if check.IsNoAnswer(err) {
			err = check.NoAnswer{D: e.o.Timeout, Other: g.got()}
		}
		if err != nil {
			return g, e.FailedHandshake("waiting for its "+g.missing(wantVerack), err)
		}
		switch {
		case l.Cmd == wire.CmdVersion && g.version.Raw == nil:
			g.version = l
		case l.Cmd == wire.CmdVerack && g.verack.Raw == nil:
			g.verack = l
		default:
			g.early = append(g.early, l)
		}
	}
	if wantVerack {
		e.Greeted()
	}
	return g, nil
}

func (g *greeting) missing(wantVerack bool) string {
	switch {
	case g.version.Raw == nil && wantVerack && g.verack.Raw == nil:
		return "version and verack"
	case g.version.Raw == nil:
		return "version"
	}
	return "verack"
}

// got is everything the peer sent during the greeting, in order.
func (g *greeting) got() []line {
	all := append([]line(nil), g.early...)
	for _, l := range []line{g.version, g.verack} {
		if l.Raw != nil {
			all = append(all, l)
		}
	}
	return all
}

// theirNonce is the nonce of the peer's version, read leniently when the
// version does not parse, so the handshake can go on and later probes can
// still judge what they are about.
func (g *greeting) theirNonce() uint64 {
	if v, ok := g.version.Msg.(wire.Version); ok {
		return v.Nonce
	}
	fields := bytes.Split(g.version.Text, []byte("|"))
	if len(fields) > 6 {
		if n, err := strconv.ParseUint(string(fields[6]), 10, 64); err == nil {
			return n
		}
	}
	return 0
}

// finish sends our verack, completing the handshake.
func (e *env) finish(c *conn, g *greeting) error {
	if err := c.Send(wire.Verack{Nonce: g.theirNonce()}.AppendWire(nil)); err != nil {
		return e.FailedHandshake("sending our verack", err)
	}
	return nil
}

// established opens a connection and completes a handshake, for the probes
// about what comes after it.
func (e *env) established() (*conn, *greeting, error) {
	c, err := e.Dial()
	if err != nil {
		return nil, nil, err
	}
	g, err := e.greet(c, true)
	if err == nil {
		err = e.finish(c, g)
	}
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, g, nil
}

// awaitReply waits up to the timeout for the peer's reply to what we last
// sent on c: a line that reply matches. A reject does not end the wait at
// once, for the peer may have sent it about something else: one read
// before we began sending is passed over, and one read after is taken for
// the reply only if nothing that reply matches follows within settle. So
// an unsolicited reject is not blamed on the probe that happens to run.
// skipped holds the lines passed over, rejects included.
func (e *env) awaitReply(c *conn, reply func(line) bool) (got line, skipped []line, err error) {
	asked := c.Sending()
	deadline := time.Now().Add(e.o.Timeout)
	var reject *line
	for {
		wait := time.Until(deadline)
		if reject != nil {
			wait = min(wait, time.Until(reject.At.Add(e.o.Settle())))
		}
		l, err := c.Next(wait)
		switch {
		case err != nil && reject != nil && e.Ctx().Err() == nil:
			return *reject, skipped, nil
		case check.IsNoAnswer(err):
			return line{}, skipped, check.NoAnswer{D: e.o.Timeout, Other: skipped}
		case err != nil:
			return line{}, skipped, err
		case reply(l):
			if reject != nil {
				skipped = append(skipped, *reject)
			}
			return l, skipped, nil
		case l.Cmd == wire.CmdReject && reject == nil && !l.At.Before(asked):
			reject = &l
		default:
			skipped = append(skipped, l)
		}
	}
}

// unsolicited is the detail to add when a reject came that we did not take
// for the reply.
func unsolicited(skipped []line) string {
	for _, l := range skipped {
		if l.Cmd == wire.CmdReject {
			return "; a reject came as well, not taken for the answer"
		}
	}
	return ""
}
