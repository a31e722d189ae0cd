package tui

import (
	"slices"
	"strings"

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
			for _, c := range m.opts.Dialect.ColonNames() {
				if strings.HasPrefix(c, name) {
					if m.takesArgs(c) {
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

// takesArgs reports whether a colon command wants arguments after it.
func (m *Model) takesArgs(name string) bool {
	if name == ":connect" || name == ":drop" || name == ":forget" {
		return true
	}
	c, ok := m.opts.Dialect.Colon(name)
	return ok && c.Usage != ""
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

// templates are the dialect's whole lines for the command word typed so
// far, written for target (or the connection a raw line would go to).
func (m *Model) templates(word, target string) []string {
	if m.opts.Dialect.Templates == nil {
		return nil
	}
	conn, known := m.templateConn(target)
	return m.opts.Dialect.Templates(word, peer.TemplateContext{
		Now: m.now(), Conn: conn, Known: known,
		Listen: m.snap.Listen, External: m.snap.External, Agent: m.snap.Agent, Nonce: m.snap.Nonce,
		Rand: m.rng,
	})
}

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
