package check

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// probeOutbound judges the handshake the peer opens when it dials us. It
// may have dialled already: every version of ours names our listener as
// the sender. If not, we tell it our address in an addr, as the spec has
// peers do, and wait.
func probeOutbound(e *env) Result {
	if in, ok := e.ln.firstDial(0); ok {
		return outbound(e, in, Result{}, time.Time{})
	}
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	addr := wire.Addr{Entries: []wire.AddrEntry{{Time: time.Now().Unix(), Addr: e.us}}}.AppendWire(nil)
	err = c.send(addr)
	sent := c.sending
	// Hang up: while this connection claims our address, a peer that keeps
	// one connection per address (bitclone does) will not dial it.
	c.close()
	r := Result{Sent: clip(addr)}
	if err != nil {
		r.Verdict, r.Detail = Fail, err.Error()
		return r
	}
	wait := max(3*e.o.Timeout, within(e.o.AdvertiseInterval))
	in, ok := e.ln.firstDial(wait)
	if !ok {
		r.Verdict, r.Detail = Fail, fmt.Sprintf("it did not dial %s within %s of our addr", e.us, wait)
		return r
	}
	return outbound(e, in, r, sent)
}

// outbound reports the judgement of the peer's first connection to us; r
// has what we sent, addrAt when we sent our addr (zero if we did not).
func outbound(e *env, in dialIn, r Result, addrAt time.Time) Result {
	r.Verdict, r.Got = in.result.Verdict, in.result.Got
	r.Detail = in.result.Detail
	if r.Verdict != Pass {
		return r
	}
	if !addrAt.IsZero() && !in.at.Before(addrAt) {
		r.Detail = fmt.Sprintf("dialled %s %s after our addr; %s", e.us, dur(in.at.Sub(addrAt)), r.Detail)
	} else {
		r.Detail = fmt.Sprintf("dialled %s, which it learned from our versions; %s", e.us, r.Detail)
	}
	return r
}

// answer plays the listener's side of a handshake the peer opened: it waits
// for the peer's version, then, in its turn (see turns), sends verack and
// our version and waits for the peer's verack. If judge is set it judges
// the handshake too: version first, nothing else before the handshake
// completes, a verack with our nonce, then getaddr. The result's verdict is
// Fail when there is no handshake to hold on to. shaken is called once the
// peer's verack is in, while the turn is still ours, so that the
// connection is known as held before a probe of ours can start.
func (e *env) answer(in *conn, us netip.AddrPort, judge bool, shaken func()) Result {
	first, err := in.next(e.o.Timeout)
	if err != nil {
		return Result{Verdict: Fail, Detail: "it dialled us but sent no version: " + err.Error()}
	}
	r := Result{Got: clip(first.raw)}
	v, ok := first.msg.(wire.Version)
	switch {
	case first.cmd != wire.CmdVersion:
		r.Verdict, r.Detail = Fail, "it dialled us and sent "+first.cmd+" first; the dialer must open with version"
		return r
	case !ok:
		r.Verdict, r.Detail = Fail, "its version does not parse: "+first.err.Error()
		return r
	}
	var early []line
	if judge {
		early, err = in.watch(e.o.settle())
	}
	if err == nil {
		var release func()
		if release, err = e.turns.theirs(e.ctx); err == nil {
			// Held until the judgement is done: our next probe connection
			// hangs this one up (listener.yield) and replaces it.
			defer release()
		}
	}
	var verack line
	defer func() { // runs before release
		if err == nil {
			shaken()
		}
	}()
	nonce := newNonce()
	if err == nil {
		err = in.send(wire.Verack{Nonce: v.Nonce}.AppendWire(nil))
	}
	if err == nil {
		err = in.send(wire.Version{
			Version: wire.ProtocolVersion, Services: wire.ServiceP2P, Time: time.Now().Unix(),
			Recipient: in.remote, Sender: us, Nonce: nonce, UserAgent: e.o.Agent,
		}.AppendWire(nil))
	}
	if err == nil {
		var before []line
		verack, before, err = in.await(e.o.Timeout, is(wire.CmdVerack))
		early = append(early, before...)
	}
	switch {
	case judge && len(early) > 0:
		r.Verdict, r.Got = Fail, clipLines(early)
		r.Detail = "it sent " + commands(early) + " before the handshake completed"
		return r
	case err != nil:
		r.Verdict, r.Detail = Fail, "handshake: waiting for its verack: "+err.Error()
		return r
	case !judge:
		r.Verdict, r.Detail = Pass, "handshake done"
		return r
	}
	r.Got = clip(append(append([]byte(nil), first.raw...), verack.raw...))

	var warns []string
	if va, ok := verack.msg.(wire.Verack); !ok {
		warns = append(warns, "its verack does not parse: "+verack.err.Error())
	} else if va.Nonce != nonce {
		warns = append(warns, fmt.Sprintf("its verack carries %d, not our nonce %d", va.Nonce, nonce))
	}
	if v.Recipient != us {
		warns = append(warns, fmt.Sprintf("its version names recipient %s, but it dialled %s", v.Recipient, us))
	}
	if _, _, err := in.await(e.o.Timeout, is(wire.CmdGetAddr)); err != nil {
		warns = append(warns, "no getaddr after the handshake: "+err.Error())
	}
	if len(warns) > 0 {
		r.Verdict, r.Detail = Warn, strings.Join(warns, "; ")
		return r
	}
	r.Verdict, r.Detail = Pass, "version first, verack with our nonce, then getaddr"
	return r
}
