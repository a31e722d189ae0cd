// Package crawl is the dialect-neutral half of bitclone crawl: what a crawl
// of a peer-to-peer network found (Result, Peer, Score), what changed
// between two rounds (Diff), and how to print it (a table, JSON lines,
// Graphviz DOT). A dialect's crawler (crawl/bitclone) fills it; the front
// ends render it without knowing the dialect. Peer text in it (agents,
// reasons) is raw: escape it, as the writers here do.
package crawl

import (
	"net/netip"
	"time"

	"github.com/bitclone/bitclone/check"
)

// Status is how a visit to a peer went.
type Status int

const (
	Unvisited   Status = iota // heard of, not called on (over MaxPeers, or the crawl ended first)
	Reachable                 // the handshake completed
	Refused                   // the connection was refused
	Timeout                   // no connection, or no full handshake, within the timeout
	Closed                    // it closed the connection during the handshake
	NotBitClone               // it answered, but not in BitClone
	Failed                    // any other network error (Peer.Reason says which)
)

var statusNames = [...]string{
	Unvisited: "unvisited", Reachable: "reachable", Refused: "refused", Timeout: "timeout",
	Closed: "closed", NotBitClone: "not-bitclone", Failed: "failed",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "?"
}

// Peer is one address the crawl met, and what it found there.
type Peer struct {
	Addr   netip.AddrPort
	Status Status
	// Reason says why a peer is not reachable, or what went wrong after
	// the handshake (a getaddr it hung up on), in a few words; peer text.
	Reason string
	// From the handshake, for a reachable peer. SeenAs is our address as
	// it saw us (its version's recipient). Agent is peer text.
	Handshake time.Duration
	Agent     string
	Version   uint64
	SeenAs    string
	// RTT is one ping's round trip (0: no pong; PingErr says why).
	RTT     time.Duration
	PingErr string
	// Knows is what it answered to getaddr, without itself and us: the
	// graph's edges from it. AddrErr says why there are none.
	Knows   []netip.AddrPort
	AddrErr string
	// KnownBy is who gossips it.
	KnownBy []netip.AddrPort
	// LastSeen is when we reached it, or else the latest time a peer that
	// gossips it gave (zero: never).
	LastSeen time.Time
	// Score is its report card, with Options.Check (nil: not checked).
	Score *Score
}

// Gossiped tells an address others still give out though we could not
// reach it: the graph marks it.
func (p *Peer) Gossiped() bool { return p.Status != Reachable && len(p.KnownBy) > 0 }

// Score is a reachable peer's report card, in short.
type Score struct {
	Pass, Warn, Fail, Down, NotRun int
	// RootCause names the check where the handshake failed, after which
	// nothing more ran ("" if none did).
	RootCause string
	// Crashed names the check under which the peer went down ("" if it
	// stayed up); it is not checked again, not even in later rounds.
	Crashed string
	// Refused is set when it stayed up but refused us after Crashed (a ban).
	Refused bool
	// Failed names the checks that failed, in the order they ran.
	Failed []string
	// Err is a run that could not start (the peer went away meanwhile).
	Err      string
	Duration time.Duration
	// Report is the whole report card, for a front end to open.
	Report *check.Report
}

// Points is the score out of 100: the share of the checks run that
// passed, a warning counting half.
func (s *Score) Points() int {
	run := s.Pass + s.Warn + s.Fail + s.Down
	if run == 0 {
		return 0
	}
	return (200*s.Pass + 100*s.Warn) / (2 * run)
}

// Result is one round of the crawl.
type Result struct {
	Round    int
	Us       netip.AddrPort // the one address the crawl claimed
	Started  time.Time
	Duration time.Duration
	Peers    []Peer // by address
	// Truncated is set when more addresses were heard of than MaxPeers.
	Truncated bool
}

// Peer returns the peer at a, if the round met it.
func (r *Result) Peer(a netip.AddrPort) (*Peer, bool) {
	for i := range r.Peers {
		if r.Peers[i].Addr == a {
			return &r.Peers[i], true
		}
	}
	return nil, false
}

// Summary counts a round's peers.
type Summary struct {
	Peers, Reachable, Unreachable, Unvisited, Edges int
	Checked, Crashed                                int
}

// Summary counts the round's peers.
func (r *Result) Summary() Summary {
	var s Summary
	for _, p := range r.Peers {
		s.Peers++
		s.Edges += len(p.Knows)
		switch p.Status {
		case Reachable:
			s.Reachable++
		case Unvisited:
			s.Unvisited++
		default:
			s.Unreachable++
		}
		if p.Score != nil {
			s.Checked++
			if p.Score.Crashed != "" && !p.Score.Refused {
				s.Crashed++
			}
		}
	}
	return s
}
