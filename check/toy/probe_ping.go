package toy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

func probePing(e *env) check.Result {
	c, fail := e.dial()
	if fail != nil {
		return *fail
	}
	defer c.Close()
	sent, id, f, err := e.ping(c)
	r := check.Result{Sent: shown(sent)}
	if f.Raw != nil {
		r.Got = shownFrames(f)
	}
	if err != nil {
		if silent(err) {
			// Nothing at all came back: every check needs a pong, and
			// this is the one cause to state.
			err = e.FailedHandshake("waiting for its pong", e.rootCause(err))
		}
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	e.Greeted()
	if why := notReply(f, wire.CmdPong, id); why != "" {
		r.Verdict, r.Detail = check.Fail, why
		return r
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("a pong with replyto our msgid, in %s", check.Dur(f.At.Sub(c.Sending())))
	return r
}

// known opens a socket of ours that pings the node, so that a node which
// learns its peers from whoever writes to it knows the socket's address.
func (e *env) known(what string) (*conn, *check.Result) {
	c, fail := e.dial()
	if fail != nil {
		return nil, fail
	}
	if sent, _, _, err := e.ping(c); err != nil {
		c.Close()
		return nil, &check.Result{Verdict: check.Fail, Sent: shown(sent), Detail: what + "'s ping: " + err.Error()}
	}
	return c, nil
}

func probePeerList(e *env) check.Result {
	// Another socket of ours pings first: a node that learns peers from
	// who writes to it has someone to list besides the asker, who pings
	// too, so that it is known before it asks.
	other, fail := e.known("another socket of ours")
	if fail != nil {
		return *fail
	}
	defer other.Close()
	c, fail := e.known("the asker")
	if fail != nil {
		return *fail
	}
	defer c.Close()
	m := wire.GetPeerList(e.id())
	r := check.Result{Sent: shown(encode(m))}
	f, _, err := e.ask(c, m, wire.CmdPeerList)
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "no peerlist: "+err.Error()
		return r
	}
	r.Got = shownFrames(f)
	if why := notReply(f, wire.CmdPeerList, m.ID); why != "" {
		r.Verdict, r.Detail = check.Fail, why
		return r
	}
	peers, _ := message(f)
	var warns []string
	listsOther := false
	for i, p := range peers.Peers {
		ap, isIP := ipPort(p)
		switch {
		case isIP && ap == c.Local():
			r.Verdict = check.Fail
			r.Detail = fmt.Sprintf("peer %d of %d is the asker itself, %s: a node never hands a peer its own address (spec §Request peer list)", i+1, len(peers.Peers), ap)
			return r
		case isIP && ap == other.Local():
			listsOther = true
		}
		if v, why := judgeAddr(p); v == check.Fail {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("peer %d of %d: %s", i+1, len(peers.Peers), why)
			return r
		} else if v == check.Warn {
			warns = append(warns, fmt.Sprintf("peer %d: %s", i+1, why))
		}
	}
	n := len(peers.Peers)
	r.Detail = fmt.Sprintf("%d %s, well-formed, the asker (%s) not among them", n, check.Plural(n, "peer", "peers"), c.Local())
	if listsOther {
		r.Detail += "; it lists another socket of ours that pinged it (it learns peers from who writes to it)"
	}
	r.Verdict = check.Pass
	if len(warns) > 0 {
		r.Verdict, r.Detail = check.Warn, r.Detail+"; but "+strings.Join(warns, "; ")
	}
	return r
}

// ipPort is a's address, if its host is an IP.
func ipPort(a wire.Addr) (netip.AddrPort, bool) {
	ip, err := netip.ParseAddr(a.Host)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), a.Port), true
}

// judgeAddr judges a [host, port] beyond what the codec checks (host text
// of 1 to 255 bytes, port 1 to 65535): the host an IP or a DNS name
// (Fail), and one that someone could dial (an unspecified IP warns).
func judgeAddr(a wire.Addr) (check.Verdict, string) {
	if ap, ok := ipPort(a); ok {
		if ap.Addr().IsUnspecified() {
			return check.Warn, fmt.Sprintf("%s is no address anyone can reach (a node bound to every interface names the one it was reached at)", ap)
		}
		return check.Pass, ""
	}
	if !isDNSName(a.Host) {
		return check.Fail, fmt.Sprintf("host %s is neither an IP address nor a DNS name", quoteHost(a.Host))
	}
	return check.Pass, ""
}

// isDNSName says whether s reads as a host name: dot-separated labels of
// letters, digits and hyphens, none empty or longer than 63 bytes.
func isDNSName(s string) bool {
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, ch := range label {
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return false
			}
		}
	}
	return true
}

// quoteHost quotes a peer's host for a detail; the text report escapes
// what is not printable, once.
func quoteHost(h string) string { return `"` + h + `"` }
