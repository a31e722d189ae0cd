package bitclone

import (
	"net/netip"
	"strconv"
)

// Check reports, as a *ParseError, why m cannot be sent faithfully: Parse
// would refuse its wire form or read back a different message. It catches
// text containing '|', CR or LF, an empty user agent, a version nonce of 0,
// a zero, zoned or port-0 address, a negative time, more than MaxAddrs
// entries and a code out of range. AppendWire itself refuses nothing, so
// the raw command line can still send anything.
//
// An IPv4-mapped IPv6 address is fine: it is sent, and read back, as IPv4.
// Check accepts pointers (*Ping) as well as values; it returns nil for
// Message types of other packages.
func Check(m Message) error {
	if m == nil {
		return &ParseError{Reason: "nil message"}
	}
	c, ok := m.(interface{ check(*problems) })
	if !ok {
		return nil
	}
	p := problems{cmd: m.Command()}
	c.check(&p)
	return p.result()
}

func (v Version) check(p *problems) {
	p.checkTime("time", v.Time)
	p.checkAddr("recipient", v.Recipient)
	p.checkAddr("sender", v.Sender)
	if v.Nonce == 0 {
		p.fail("nonce", whyZero)
	}
	p.checkText("user agent", v.UserAgent, false)
}

func (Verack) check(*problems)  {}
func (GetAddr) check(*problems) {}
func (Ping) check(*problems)    {}
func (Pong) check(*problems)    {}

func (a Addr) check(p *problems) {
	if len(a.Entries) > MaxAddrs {
		p.fail("count", "more than "+strconv.Itoa(MaxAddrs))
		return
	}
	for i, e := range a.Entries {
		if e.Time < 0 {
			p.fail(entryField(i, "time"), whyNeg)
		}
		if why := addrProblem(e.Addr); why != "" {
			p.fail(entryField(i, "address"), why)
		}
	}
}

func (r Reject) check(p *problems) {
	p.checkCode(r.Code, 400, 599)
	p.checkText("reason", r.Reason, true)
	p.checkText("detail", r.Detail, true)
}

func (m Info) check(p *problems) {
	p.checkCode(m.Code, 100, 199)
	p.checkText("summary", m.Summary, true)
	p.checkText("detail", m.Detail, true)
}

func (p *problems) checkTime(field string, t int64) {
	if t < 0 {
		p.fail(field, whyNeg)
	}
}

func (p *problems) checkAddr(field string, ap netip.AddrPort) {
	if why := addrProblem(ap); why != "" {
		p.fail(field, why)
	}
}

func (p *problems) checkCode(code, lo, hi int) {
	if code < lo || code > hi {
		p.fail("code", whyRange+" "+strconv.Itoa(lo)+"-"+strconv.Itoa(hi))
	}
}

func (p *problems) checkText(field, s string, mayBeEmpty bool) {
	if why := textProblem([]byte(s), mayBeEmpty); why != "" {
		p.fail(field, why)
	}
}
