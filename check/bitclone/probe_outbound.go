package bitclone

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// probeOutbound judges the handshake the peer opens when it dials us. It
// may have dialled already: every version of ours names our listener as
// the sender. If not, we tell it our address in an addr, as the spec has
// peers do, and wait.
func probeOutbound(e *env) check.Result {
	if in, ok := e.FirstDial(0); ok {
		return outbound(e, in, check.Result{}, time.Time{})
	}
	c, _, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	addr := wire.Addr{Entries: []wire.AddrEntry{{Time: time.Now().Unix(), Addr: e.Us()}}}.AppendWire(nil)
	err = c.Send(addr)
	sent := c.Sending()
	// Hang up: while this connection claims our address, a peer that keeps
	// one connection per address (bitclone does) will not dial it.
	c.Close()
	r := check.Result{Sent: check.Clip(addr)}
	if err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	wait := max(3*e.o.Timeout, check.Within(e.o.AdvertiseInterval))
	in, ok := e.FirstDial(wait)
	if !ok {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("it did not dial %s within %s of our addr", e.Us(), wait)
		return r
	}
	return outbound(e, in, r, sent)
}

// outbound reports the judgement of the peer's first connection to us; r
// has what we sent, addrAt when we sent our addr (zero if we did not).
func outbound(e *env, in check.DialIn, r check.Result, addrAt time.Time) check.Result {
	r.Verdict, r.Got = in.Result.Verdict, in.Result.Got
	r.Detail = in.Result.Detail
	if r.Verdict != check.Pass {
		return r
	}
	if !addrAt.IsZero() && !in.At.Before(addrAt) {
		r.Detail = fmt.Sprintf("dialled %s %s after our addr; %s", e.Us(), check.Dur(in.At.Sub(addrAt)), r.Detail)
	} else {
		r.Detail = fmt.Sprintf("dialled %s, which it learned from our versions; %s", e.Us(), r.Detail)
	}
	return r
}

// answer plays the listener's side of a handshake the peer opened: it waits
// for the peer's version, then, in its turn (check.Env.TheirTurnFor), sends verack and
// our version and waits for the peer's verack. If judge is set it judges
// the handshake too: version first, nothing else before the handshake
// completes, a verack with our nonce, then getaddr. The result's verdict is
// check.Fail when there is no handshake to hold on to. shaken is called once the
// peer's verack is in, while the turn is still ours, so that the
// connection is known as held before a probe of ours can start.
func (e *env) answer(in *conn, us netip.AddrPort, judge bool, shaken func()) check.Result {
	first, err := in.Next(e.o.Timeout)
	if err != nil {
		return check.Result{Verdict: check.Fail, Detail: "it dialled us but sent no version: " + err.Error()}
	}
	r := check.Result{Got: check.Clip(first.Raw)}
	v, ok := first.Msg.(wire.Version)
	switch {
	case first.Cmd != wire.CmdVersion:
		r.Verdict, r.Detail = check.Fail, "it dialled us and sent "+first.Cmd+" first; the dialer must open with version"
		return r
	case !ok:
		r.Verdict, r.Detail = check.Fail, "its version does not parse: "+first.Err.Error()
		return r
	}
	var early []line
	if judge {
		early, err = in.Watch(e.o.Settle())
	}
	if err == nil {
		// The peer is known by the address it claims, as a bitclone node
		// knows it: its IP, the port its version names.
		claim := netip.AddrPortFrom(in.Remote().Addr(), v.Sender.Port())
		e.Claim(in, claim)
		var release func()
		if release, err = e.TheirTurnFor(claim); err == nil {
			// Held until the judgement is done: our next probe connection
			// hangs this one up (check's listener yields it) and replaces it.
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
		err = in.Send(wire.Verack{Nonce: v.Nonce}.AppendWire(nil))
	}
	if err == nil {
		err = in.Send(wire.Version{
			Version: wire.ProtocolVersion, Services: wire.ServiceP2P, Time: time.Now().Unix(),
			Recipient: in.Remote(), Sender: us, Nonce: nonce, UserAgent: e.o.Agent,
		}.AppendWire(nil))
	}
	if err == nil {
		var before []line
		verack, before, err = in.Await(e.o.Timeout, check.Is(wire.CmdVerack))
		early = append(early, before...)
	}
	switch {
	case judge && len(early) > 0:
		r.Verdict, r.Got = check.Fail, check.ClipFrames(early)
		r.Detail = "it sent " + check.Commands(early) + " before the handshake completed"
		return r
	case err != nil:
		r.Verdict, r.Detail = check.Fail, "handshake: waiting for its verack: "+err.Error()
		return r
	case !judge:
		r.Verdict, r.Detail = check.Pass, "handshake done"
		return r
	}
	r.Got = check.Clip(append(append([]byte(nil), first.Raw...), verack.Raw...))

	var warns []string
	if va, ok := verack.Msg.(wire.Verack); !ok {
		warns = append(warns, "its verack does not parse: "+verack.Err.Error())
	} else if va.Nonce != nonce {
		warns = append(warns, fmt.Sprintf("its verack carries %d, not our nonce %d", va.Nonce, nonce))
	}
	if v.Recipient != us {
		warns = append(warns, fmt.Sprintf("its version names recipient %s, but it dialled %s", v.Recipient, us))
	}
	if _, _, err := in.Await(e.o.Timeout, check.Is(wire.CmdGetAddr)); err != nil {
		warns = append(warns, "no getaddr after the handshake: "+err.Error())
	}
	if len(warns) > 0 {
		r.Verdict, r.Detail = check.Warn, strings.Join(warns, "; ")
		return r
	}
	r.Verdict, r.Detail = check.Pass, "version first, verack with our nonce, then getaddr"
	return r
}
