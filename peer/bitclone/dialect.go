package bitclone

import (
	"net/netip"
	"strings"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// Dialect is BitClone as the front ends see it: text lines, typed as they
// go on the wire, ended by CRLF.
var Dialect = peer.Dialect{
	Name:      "bitclone",
	Framing:   framing,
	Encode:    func(line string) ([]byte, error) { return wire.Typed(line), nil },
	FrameEnd:  wire.LineEnd,
	Templates: templates,
	Class:     classOf,
	Messages:  wire.Commands,
	Hint:      "ping|42",
}

// classOf is the colour class of a command.
func classOf(cmd string) peer.Class {
	switch cmd {
	case wire.CmdVersion, wire.CmdVerack:
		return peer.ClassHandshake
	case wire.CmdPing, wire.CmdPong:
		return peer.ClassKeepalive
	case wire.CmdGetAddr, wire.CmdAddr:
		return peer.ClassData
	case wire.CmdReject:
		return peer.ClassError
	case wire.CmdMessage:
		return peer.ClassMessage
	}
	return peer.ClassUnknown // not one of the eight: the peer deviates
}

// templates completes the command word of a line to whole, valid messages.
// A line that has fields already is left alone.
func templates(word string, at peer.TemplateContext) []string {
	if strings.ContainsAny(word, "| ") {
		return nil
	}
	var out []string
	for _, name := range wire.Commands {
		if strings.HasPrefix(name, word) {
			out = append(out, template(name, at))
		}
	}
	return out
}

// template is a valid message of the named command, as the line would go
// to at.Conn: version carries the time, that connection's addresses, our
// nonce and agent; verack echoes the nonce of that peer's version.
func template(name string, at peer.TemplateContext) string {
	now := at.Now.Unix()
	recipient := fallbackPeer
	if ap, err := wire.ParseAddr(at.Conn.Remote); err == nil {
		recipient = ap
	}
	sender := templateSender(at, recipient)
	agent := at.Agent
	if agent == "" {
		agent = "bitclone"
	}
	// A short random nonce for hand-typed lines: readable on a projector,
	// and never 0.
	nonce := func() uint64 { return 1 + at.Rand.Uint64N(1<<32-1) }
	var msg wire.Message
	switch name {
	case wire.CmdVersion:
		ours := at.Nonce
		if ours == 0 {
			ours = at.Rand.Uint64() | 1
		}
		msg = wire.Version{
			Version: wire.ProtocolVersion, Services: wire.ServiceP2P, Time: now,
			Recipient: recipient, Sender: sender, Nonce: ours, UserAgent: agent,
		}
	case wire.CmdVerack:
		n := nonce()
		if at.Known && at.Conn.RemoteNonce != 0 {
			n = at.Conn.RemoteNonce
		}
		msg = wire.Verack{Nonce: n}
	case wire.CmdGetAddr:
		msg = wire.GetAddr{}
	case wire.CmdAddr:
		msg = wire.Addr{Entries: []wire.AddrEntry{{Time: now, Addr: sender}}}
	case wire.CmdPing:
		msg = wire.Ping{Nonce: nonce()}
	case wire.CmdPong:
		msg = wire.Pong{Nonce: nonce()}
	case wire.CmdReject:
		msg = wire.Reject{Code: 400, Reason: "bad request", Detail: "typed by hand"}
	default:
		msg = wire.Info{Code: 100, Summary: "hello", Detail: "from " + agent}
	}
	return wire.Format(msg)
}

// fallbackPeer stands in for the recipient when there is no connection.
var fallbackPeer = netip.MustParseAddrPort("127.0.0.1:8088")

// templateSender is our address as the recipient would reach us, as the
// node writes it in its own version: our IP on that connection when there
// is one, else loopback to a loopback peer, else the external address
// peers report (else the listening address's IP); always our listening port.
func templateSender(at peer.TemplateContext, recipient netip.AddrPort) netip.AddrPort {
	listen, err := wire.ParseAddr(at.Listen)
	if err != nil {
		listen = netip.AddrPortFrom(netip.IPv4Unspecified(), fallbackPeer.Port())
	}
	ip := listen.Addr()
	local, localErr := wire.ParseAddr(at.Conn.Local)
	ext, extErr := wire.ParseAddr(at.External)
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
