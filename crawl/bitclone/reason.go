package bitclone

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/bitclone/bitclone/check"
	checkbc "github.com/bitclone/bitclone/check/bitclone"
	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/crawl"
)

// heard is an address a peer gave, with the time it gave for it.
type heard struct {
	Addr netip.AddrPort
	Time time.Time
}

// describe fills p from its visit (err: the visit failed) and returns the
// addresses it gave, without itself and us.
func describe(p *crawl.Peer, v *checkbc.Visit, err error, us netip.AddrPort) []heard {
	if err != nil {
		p.Status, p.Reason = why(v.Got, err)
		return nil
	}
	p.Status, p.Handshake, p.LastSeen = crawl.Reachable, v.Handshake, time.Now()
	if v.Version != nil {
		p.Agent, p.Version, p.SeenAs = v.Version.UserAgent, v.Version.Version, v.Version.Recipient.String()
	} else {
		p.Reason = "its version does not parse: " + v.VersionLine
	}
	p.RTT = v.RTT
	if v.PingErr != nil {
		p.PingErr = v.PingErr.Error()
	}
	if v.AddrErr != nil {
		p.AddrErr = v.AddrErr.Error()
		if p.Reason == "" {
			p.Reason = "getaddr: " + p.AddrErr
		}
	}
	var out []heard
	seen := map[netip.AddrPort]bool{p.Addr: true, us: true}
	for _, e := range v.Addrs {
		a := netip.AddrPortFrom(e.Addr.Addr().Unmap(), e.Addr.Port())
		if seen[a] || !a.IsValid() || a.Port() == 0 {
			continue
		}
		seen[a] = true
		p.Knows = append(p.Knows, a)
		out = append(out, heard{a, time.Unix(e.Time, 0)})
	}
	return out
}

// why names a failed visit's cause: got is what the peer sent meanwhile.
func why(got []check.Frame, err error) (crawl.Status, string) {
	var herr *check.HandshakeError
	handshake := errors.As(err, &herr)
	var nerr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return crawl.Refused, "connection refused"
	case !handshake && errors.As(err, &nerr) && nerr.Timeout():
		return crawl.Timeout, "no connection within the timeout"
	case !handshake:
		return crawl.Failed, err.Error()
	case notBitClone(got, err):
		if len(got) == 0 {
			return crawl.NotBitClone, err.Error()
		}
		return crawl.NotBitClone, "it sent " + check.Clip(got[0].Raw)
	case check.IsClosed(err):
		return crawl.Closed, err.Error()
	case check.IsNoAnswer(err):
		return crawl.Timeout, err.Error()
	}
	return crawl.Failed, err.Error()
}

// notBitClone tells a peer that answered, but with nothing BitClone reads:
// no line of it parses, or a line was far longer than the spec allows.
func notBitClone(got []check.Frame, err error) bool {
	if errors.Is(err, wire.ErrLineTooLong) {
		return true
	}
	for _, f := range got {
		if f.Msg != nil {
			return false
		}
	}
	return len(got) > 0
}
