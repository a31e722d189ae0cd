package headless

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// peers prints the connections of s (:peers).
func (p *printer) peers(s peer.Snapshot) {
	now := p.snapTime(s)
	if p.enc != nil {
		r := jsonResult{Time: jsonTime(now), Kind: "result", Command: ":peers", Node: jsonNodeOf(s), Peers: []jsonConn{}}
		for _, c := range s.Conns {
			r.Peers = append(r.Peers, jsonConnOf(c))
		}
		p.encode(r)
		return
	}
	fmt.Fprintf(p.w, "listening on %s", orDash(s.Listen))
	if s.External != "" {
		fmt.Fprintf(p.w, " (external %s)", safe(s.External))
	}
	fmt.Fprintf(p.w, "; established %d in + %d out, target %d", s.Inbound, s.Outbound, s.Target)
	if s.Dropped > 0 {
		fmt.Fprintf(p.w, "; %d message events dropped", s.Dropped)
	}
	if s.Suppressed > 0 {
		fmt.Fprintf(p.w, "; %d warnings and connection events suppressed", s.Suppressed)
	}
	p.w.WriteByte('\n')
	if len(s.Conns) == 0 {
		p.w.WriteString("no connections\n")
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DIR\tADDRESS\tLISTEN\tAGENT\tSTATE\tAGE\tPING ms\tLAST RECV\tMSGS in/out\tBYTES in/out")
	for _, c := range s.Conns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s/%s\n",
			orDash(c.Dir.String()), safe(c.Remote), orDash(safe(c.Listen)), orDash(safe(c.UserAgent)),
			stateOf(c), humanize.Age(now, c.Connected), pingOf(c), humanize.Age(now, c.LastRecv),
			c.MsgsIn, c.MsgsOut, humanize.Bytes(c.BytesIn), humanize.Bytes(c.BytesOut))
	}
	tw.Flush()
}

// addrs prints the address book of s (:addrs).
func (p *printer) addrs(s peer.Snapshot) {
	now := p.snapTime(s)
	if p.enc != nil {
		r := jsonResult{Time: jsonTime(now), Kind: "result", Command: ":addrs", Node: jsonNodeOf(s), Addrs: []jsonAddr{}}
		for _, a := range s.Addrs {
			r.Addrs = append(r.Addrs, jsonAddrOf(a))
		}
		p.encode(r)
		return
	}
	file := "no peers file"
	if s.PeersFile != "" {
		file = "peers file " + safe(s.PeersFile)
	}
	fmt.Fprintf(p.w, "%d addresses; %s\n", len(s.Addrs), file)
	if len(s.Addrs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tLAST ACTIVE\tSTATUS\tSOURCE\tCONN")
	for _, a := range s.Addrs {
		active := "never"
		if !a.LastActive.IsZero() {
			active = humanize.Age(now, a.LastActive) + " ago"
		}
		source := orDash(safe(a.Source))
		if a.From != "" {
			source += " via " + safe(a.From)
		}
		hasConn := "no"
		if a.Connected {
			hasConn = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", safe(a.Addr), active, a.Status(), source, hasConn)
	}
	tw.Flush()
}

// snapTime is the moment ages are measured from: the snapshot's own.
func (p *printer) snapTime(s peer.Snapshot) time.Time {
	if s.At.IsZero() {
		return p.now()
	}
	return s.At
}

// safe escapes text that a peer may have chosen; tabs come out as \t, so
// they cannot break a table's alignment either.
func safe(s string) string { return codec.PrintableString(s) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stateOf(c peer.ConnInfo) string {
	if c.State == peer.StateClosed && c.Reason != "" {
		return "closed: " + safe(c.Reason)
	}
	return orDash(c.State.String())
}

// pingOf is "last/min" round-trip time in milliseconds, "-" before any pong.
func pingOf(c peer.ConnInfo) string {
	if c.PingLast == 0 {
		return "-"
	}
	return humanize.Millis(c.PingLast) + "/" + humanize.Millis(c.PingMin)
}

// jsonNode is the node-wide part of a :peers or :addrs result.
type jsonNode struct {
	Listen   string `json:"listen,omitempty"`
	External string `json:"external,omitempty"`
	Target   int    `json:"target"`
	Inbound  int    `json:"inbound"`
	Outbound int    `json:"outbound"`
	Dropped  uint64 `json:"dropped"`
	// Suppressed counts warnings, errors and connection events the bus
	// folded into summaries.
	Suppressed uint64 `json:"suppressed"`
	PeersFile  string `json:"peers_file,omitempty"`
}

func jsonNodeOf(s peer.Snapshot) *jsonNode {
	return &jsonNode{
		Listen: s.Listen, External: s.External, Target: s.Target,
		Inbound: s.Inbound, Outbound: s.Outbound, Dropped: s.Dropped, PeersFile: s.PeersFile,
		Suppressed: s.Suppressed,
	}
}

// jsonConn is one connection of a :peers result. Times are RFC 3339 UTC,
// left out when unknown; round trips are milliseconds.
type jsonConn struct {
	Conn      uint64  `json:"conn"`
	Peer      string  `json:"peer"`
	Listen    string  `json:"listen,omitempty"`
	Dir       string  `json:"dir"`
	State     string  `json:"state"`
	Agent     string  `json:"agent,omitempty"`
	Version   uint64  `json:"version,omitempty"`
	Connected string  `json:"connected,omitempty"`
	LastRecv  string  `json:"last_recv,omitempty"`
	LastSend  string  `json:"last_send,omitempty"`
	PingMS    float64 `json:"ping_ms,omitempty"`
	PingMinMS float64 `json:"ping_min_ms,omitempty"`
	PingWait  bool    `json:"ping_wait,omitempty"`
	MsgsIn    uint64  `json:"msgs_in"`
	MsgsOut   uint64  `json:"msgs_out"`
	BytesIn   uint64  `json:"bytes_in"`
	BytesOut  uint64  `json:"bytes_out"`
	Reason    string  `json:"reason,omitempty"`
}

func jsonConnOf(c peer.ConnInfo) jsonConn {
	return jsonConn{
		Conn: c.ID, Peer: c.Remote, Listen: c.Listen, Dir: c.Dir.String(), State: c.State.String(),
		Agent: c.UserAgent, Version: c.Version,
		Connected: optTime(c.Connected), LastRecv: optTime(c.LastRecv), LastSend: optTime(c.LastSend),
		PingMS: millis(c.PingLast), PingMinMS: millis(c.PingMin), PingWait: c.PingWait,
		MsgsIn: c.MsgsIn, MsgsOut: c.MsgsOut, BytesIn: c.BytesIn, BytesOut: c.BytesOut,
		Reason: c.Reason,
	}
}

// jsonAddr is one address book entry of an :addrs result. HasConn is not
// called "connected": in :peers that is the time a connection was made.
type jsonAddr struct {
	Addr       string `json:"addr"`
	LastActive string `json:"last_active,omitempty"`
	Status     string `json:"status"` // live, stale or banned
	Source     string `json:"source,omitempty"`
	From       string `json:"from,omitempty"`
	HasConn    bool   `json:"has_conn"` // a connection to it is open now
	Attempts   int    `json:"attempts,omitempty"`
}

func jsonAddrOf(a peer.AddrInfo) jsonAddr {
	return jsonAddr{
		Addr: a.Addr, LastActive: optTime(a.LastActive), Status: a.Status(),
		Source: a.Source, From: a.From, HasConn: a.Connected, Attempts: a.Attempts,
	}
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jsonTime(t)
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
