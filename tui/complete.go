package tui

import (
	"net/netip"
	"slices"
	"strings"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// completion is the state of Tab: the candidates for the text as it was,
// and which one the last Tab put in. Another Tab, with the text unchanged,
// puts in the next.
type completion struct {
	cands []string
	i     int
	set   string // the text the last Tab produced
}

func (c *completion) cycling(text string) bool { return len(c.cands) > 1 && text == c.set }

// messageNames are the commands a raw line can start with.
var messageNames = []string{
	wire.CmdVersion, wire.CmdVerack, wire.CmdGetAddr, wire.CmdAddr,
	wire.CmdPing, wire.CmdPong, wire.CmdReject, wire.CmdMessage,
}

// complete handles Tab on the command line.
func (m *Model) complete() {
	c := &m.cmd.comp
	text := m.cmd.value()
	if c.cycling(text) {
		c.i = (c.i + 1) % len(c.cands)
		c.set = c.cands[c.i]
		m.cmd.set(c.set)
		return
	}
	cands := m.completions(text)
	*c = completion{cands: cands}
	switch {
	case len(cands) == 0:
		return
	case len(cands) == 1:
		c.set = cands[0]
	default:
		// Extend to what all candidates share; if that adds nothing,
		// put in the first and let further Tabs cycle.
		if p := commonPrefix(cands); len(p) > len(text) {
			c.set, c.cands = p, nil
		} else {
			c.set = cands[0]
		}
	}
	m.cmd.set(c.set)
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		n := 0
		for n < len(p) && n < len(s) && p[n] == s[n] {
			n++
		}
		p = p[:n]
	}
	return p
}

// completions are the full texts Tab may turn text into.
func (m *Model) completions(text string) []string {
	switch {
	case strings.HasPrefix(text, ":"):
		name, arg, hasArg := strings.Cut(text, " ")
		if !hasArg {
			var out []string
			for _, c := range peer.ColonCommands {
				if strings.HasPrefix(c, name) {
					if c == ":connect" || c == ":drop" || c == ":forget" {
						c += " "
					}
					out = append(out, c)
				}
			}
			return out
		}
		var addrs []string
		switch name {
		case ":connect":
			addrs = m.bookAddrs()
		case ":drop":
			addrs = m.connAddrs()
		case ":forget":
			for _, a := range m.addrs.addrs {
				addrs = append(addrs, a.Addr)
			}
			addrs = uniq(addrs)
		}
		return prefixed(name+" ", addrs, strings.TrimSpace(arg), "")
	case strings.HasPrefix(text, "@"):
		target, rest, hasRest := strings.Cut(text[1:], " ")
		if !hasRest {
			return prefixed("@", m.connAddrs(), target, " ")
		}
		return prefixed("@"+target+" ", m.templates(strings.TrimLeft(rest, " "), target), "", "")
	}
	return m.templates(text, "")
}

// prefixed is head+s+tail for each s starting with prefix.
func prefixed(head string, ss []string, prefix, tail string) []string {
	var out []string
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			out = append(out, head+s+tail)
		}
	}
	return out
}

// connAddrs are the addresses of the connections, remote and listening.
func (m *Model) connAddrs() []string {
	var out []string
	for _, c := range m.conns.conns {
		out = append(out, c.Remote)
		if c.Listen != "" && c.Listen != c.Remote {
			out = append(out, c.Listen)
		}
	}
	return uniq(out)
}

// bookAddrs are the address book's addresses not connected, best first.
func (m *Model) bookAddrs() []string {
	var out []string
	for _, a := range m.addrs.addrs {
		if !a.Connected && !a.Banned {
			out = append(out, a.Addr)
		}
	}
	return uniq(out)
}

func uniq(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) && safe(s) == s {
			out = append(out, s)
		}
	}
	return out
}

// templates completes the command word of a raw line to whole, valid
// messages. A line that has fields already is left alone.
func (m *Model) templates(word, target string) []string {
	if strings.ContainsAny(word, "| ") {
		return nil
	}
	var out []string
	for _, name := range messageNames {
		if strings.HasPrefix(name, word) {
			out = append(out, m.template(name, target))
		}
	}
	return out
}

// template is a valid message of the named command, as the line would go
// to target (or the connection a raw line would go to): version carries
// the time, that connection's addresses, our nonce and agent; verack echoes
// the nonce of that peer's version.
func (m *Model) template(name, target string) string {
	now := m.now().Unix()
	conn, known := m.templateConn(target)
	recipient := fallbackPeer
	if ap, err := wire.ParseAddr(conn.Remote); err == nil {
		recipient = ap
	}
	sender := m.ourAddr(conn, recipient)
	agent := m.snap.Agent
	if agent == "" {
		agent = "bitclone"
	}
	var msg wire.Message
	switch name {
	case wire.CmdVersion:
		nonce := m.snap.Nonce
		if nonce == 0 {
			nonce = m.rng.Uint64() | 1
		}
		msg = wire.Version{
			Version: wire.ProtocolVersion, Services: wire.ServiceP2P, Time: now,
			Recipient: recipient, Sender: sender, Nonce: nonce, UserAgent: agent,
		}
	case wire.CmdVerack:
		nonce := m.nonce()
		if known && conn.RemoteNonce != 0 {
			nonce = conn.RemoteNonce
		}
		msg = wire.Verack{Nonce: nonce}
	case wire.CmdGetAddr:
		msg = wire.GetAddr{}
	case wire.CmdAddr:
		msg = wire.Addr{Entries: []wire.AddrEntry{{Time: now, Addr: sender}}}
	case wire.CmdPing:
		msg = wire.Ping{Nonce: m.nonce()}
	case wire.CmdPong:
		msg = wire.Pong{Nonce: m.nonce()}
	case wire.CmdReject:
		msg = wire.Reject{Code: 400, Reason: "bad request", Detail: "typed by hand"}
	default:
		msg = wire.Info{Code: 100, Summary: "hello", Detail: "from " + agent}
	}
	return wire.Format(msg)
}

// nonce is a short random nonce for hand-typed lines: readable on a
// projector, and never 0.
func (m *Model) nonce() uint64 { return 1 + m.rng.Uint64N(1<<32-1) }

// fallbackPeer stands in for the recipient when there is no connection.
var fallbackPeer = netip.MustParseAddrPort("127.0.0.1:8088")

// templateConn is the connection a template is written for: target (a
// remote or listening address), else the first selected connection, else
// the one under the cursor. Without one, known is false and the returned
// ConnInfo has only the address typed, if any.
func (m *Model) templateConn(target string) (c peer.ConnInfo, known bool) {
	addr := target
	if addr == "" {
		if t := m.conns.targets(); len(t) > 0 {
			addr = t[0]
		} else if cur, ok := m.conns.current(); ok {
			return cur, true
		}
	}
	for _, c := range m.conns.conns {
		if c.Remote == addr || c.Listen == addr {
			return c, true
		}
	}
	return peer.ConnInfo{Remote: addr}, false
}

// ourAddr is our address as the recipient would reach us, as the node
// writes it in its own version: our IP on that connection when there is
// one, else loopback to a loopback peer, else the external address peers
// report (else the listening address's IP); always our listening port.
func (m *Model) ourAddr(conn peer.ConnInfo, recipient netip.AddrPort) netip.AddrPort {
	listen, err := wire.ParseAddr(m.snap.Listen)
	if err != nil {
		listen = netip.AddrPortFrom(netip.IPv4Unspecified(), fallbackPeer.Port())
	}
	ip := listen.Addr()
	local, localErr := wire.ParseAddr(conn.Local)
	ext, extErr := wire.ParseAddr(m.snap.External)
	switch {
	case localErr == nil:
		ip = local.Addr()
	case recipient.Addr().IsLoopback() && recipient.Addr().Is4():
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case recipient.Addr().IsLoopback():
		ip = netip.IPv6Loopback()
	case extErr == nil:
		ip = ext.Addr()
	}
	return netip.AddrPortFrom(ip, listen.Port())
}
