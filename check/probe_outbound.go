package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// probeOutbound has the peer dial us: we listen, tell it our address in an
// addr on an established connection, and judge the handshake it opens.
func probeOutbound(e *env) Result {
	c, _, err := e.established()
	if err != nil {
		return failed(err)
	}
	defer c.close()
	ln, err := e.listen(c.local.Addr())
	if err != nil {
		return failed(err)
	}
	defer ln.Close()
	us := addrPortOf(ln.Addr())

	addr := wire.Addr{Entries: []wire.AddrEntry{{Time: time.Now().Unix(), Addr: us}}}.AppendWire(nil)
	if err := c.send(addr); err != nil {
		return Result{Verdict: Fail, Sent: show(addr), Detail: err.Error()}
	}
	wait := max(3*e.o.Timeout, e.o.AdvertiseInterval+slack(e.o.AdvertiseInterval))
	sent := time.Now()
	nc, err := accept(e.ctx, ln, wait)
	if err != nil {
		return Result{Verdict: Fail, Sent: show(addr), Detail: fmt.Sprintf("it did not dial %s within %s of our addr: %v", us, wait, err)}
	}
	in := newConn(e.ctx, nc, e.o.Pace)
	defer in.close()
	r := e.answer(in, us)
	r.Sent = show(addr)
	if r.Verdict == Pass {
		r.Detail = fmt.Sprintf("dialled %s %s after our addr; %s", us, dur(time.Since(sent)), r.Detail)
	}
	return r
}

// listen opens our listener at Options.Listen; the host defaults to ours
// on the connection to the peer.
func (e *env) listen(ours netip.Addr) (net.Listener, error) {
	host, port := "", e.o.Listen
	if strings.Contains(port, ":") {
		var err error
		if host, port, err = net.SplitHostPort(port); err != nil {
			return nil, fmt.Errorf("listen %q: %w", e.o.Listen, err)
		}
	}
	if host == "" {
		host = ours.String()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}

// accept waits up to d for one connection on ln.
func accept(ctx context.Context, ln net.Listener, d time.Duration) (net.Conn, error) {
	if tl, ok := ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(d))
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	nc, err := ln.Accept()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = errors.New("no connection")
	}
	return nc, err
}

// answer plays the listener's side of a handshake the peer opened, and
// judges it: version first, nothing else before the handshake completes,
// a verack with our nonce, then getaddr.
func (e *env) answer(in *conn, us netip.AddrPort) Result {
	first, err := in.next(e.o.Timeout)
	if err != nil {
		return Result{Verdict: Fail, Detail: "it dialled us but sent no version: " + err.Error()}
	}
	r := Result{Got: show(first.raw)}
	v, ok := first.msg.(wire.Version)
	switch {
	case first.cmd != wire.CmdVersion:
		r.Verdict, r.Detail = Fail, "it dialled us and sent "+first.cmd+" first; the dialer must open with version"
		return r
	case !ok:
		r.Verdict, r.Detail = Fail, "its version does not parse: "+first.err.Error()
		return r
	}
	early, err := in.watch(e.o.settle())
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
	var verack line
	if err == nil {
		var before []line
		verack, before, err = in.await(e.o.Timeout, is(wire.CmdVerack))
		early = append(early, before...)
	}
	if len(early) > 0 {
		r.Verdict, r.Got = Fail, showLines(early)
		r.Detail = "it sent " + commands(early) + " before the handshake completed"
		return r
	}
	if err != nil {
		r.Verdict, r.Detail = Fail, "handshake: waiting for its verack: "+err.Error()
		return r
	}
	r.Got = show(append(append([]byte(nil), first.raw...), verack.raw...))

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
