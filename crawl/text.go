package crawl

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/humanize"
)

// maxAgentShown bounds an agent in the table, so one peer cannot push the
// columns off a projector.
const maxAgentShown = 24

// WriteTable writes the round as a table for people: one row per peer,
// peer text escaped, then a summary line.
func WriteTable(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tSTATUS\tAGENT\tVER\tHANDSHAKE\tRTT\tKNOWS\tKNOWN BY\tSEES US AS\tSCORE\tNOTE")
	for _, p := range r.Peers {
		agent, ver, hs, rtt, seen := "-", "-", "-", "-", "-"
		if p.Status == Reachable {
			agent = clipRunes(codec.PrintableString(p.Agent), maxAgentShown)
			ver, hs, seen = fmt.Sprint(p.Version), check.Dur(p.Handshake), codec.PrintableString(p.SeenAs)
			if p.RTT > 0 {
				rtt = check.Dur(p.RTT)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", p.Addr, p.Status, agent, ver, hs, rtt,
			len(p.Knows), len(p.KnownBy), seen, ScoreText(p.Score), codec.PrintableString(Note(p, r.Started.Add(r.Duration))))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, summaryText(r))
	return err
}

// ScoreText is a score in a few characters: points (pass/warn/fail).
func ScoreText(s *Score) string {
	switch {
	case s == nil:
		return "-"
	case s.Err != "":
		return "error"
	}
	return fmt.Sprintf("%d (%d/%d/%d)", s.Points(), s.Pass, s.Warn, s.Fail)
}

// Note is what a row says beyond its columns: why a peer is unreachable
// (and when others last saw it), what failed after its handshake, how its
// check went wrong. now is the end of the round.
func Note(p Peer, now time.Time) string {
	var parts []string
	if p.Reason != "" {
		parts = append(parts, p.Reason)
	}
	if p.Status != Reachable && !p.LastSeen.IsZero() {
		parts = append(parts, "gossiped as seen "+humanize.Age(now, p.LastSeen)+" before")
	}
	if p.Status == Reachable && p.PingErr != "" {
		parts = append(parts, "ping: "+p.PingErr)
	}
	if p.Status == Unvisited {
		parts = append(parts, "not called on")
	}
	if s := p.Score; s != nil {
		switch {
		case s.Err != "":
			parts = append(parts, "check: "+s.Err)
		case s.Crashed != "" && s.Refused:
			parts = append(parts, "refused us after "+s.Crashed)
		case s.Crashed != "":
			parts = append(parts, "crashed under "+s.Crashed)
		case s.RootCause != "":
			parts = append(parts, "no handshake in "+s.RootCause)
		}
	}
	return strings.Join(parts, "; ")
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// summaryText is the round in one line.
func summaryText(r *Result) string {
	s := r.Summary()
	line := fmt.Sprintf("round %d: %s, %d reachable, %d unreachable, %s; %s; listened on %s",
		r.Round, humanize.Count(s.Peers, "peer"), s.Reachable, s.Unreachable, humanize.Count(s.Edges, "edge"),
		check.Dur(r.Duration), r.Us)
	if s.Checked > 0 {
		line += fmt.Sprintf("; %d checked, %d crashed", s.Checked, s.Crashed)
	}
	if r.Truncated {
		line += fmt.Sprintf("; stopped at %d peers", s.Peers)
	}
	return line
}

// The JSON lines: one object per peer, then one summary object.
type jsonPeer struct {
	Round       int        `json:"round"`
	Addr        string     `json:"addr"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	Agent       string     `json:"agent,omitempty"`
	Version     uint64     `json:"version,omitempty"`
	HandshakeMS float64    `json:"handshake_ms,omitempty"`
	RTTMS       float64    `json:"rtt_ms,omitempty"`
	PingErr     string     `json:"ping_error,omitempty"`
	SeenAs      string     `json:"sees_us_as,omitempty"`
	Knows       []string   `json:"knows"`
	AddrErr     string     `json:"getaddr_error,omitempty"`
	KnownBy     []string   `json:"known_by"`
	LastSeen    string     `json:"last_seen,omitempty"`
	Score       *jsonScore `json:"score,omitempty"`
}

type jsonScore struct {
	Points     int      `json:"points"`
	Pass       int      `json:"pass"`
	Warn       int      `json:"warn"`
	Fail       int      `json:"fail"`
	Down       int      `json:"skipped_down"`
	NotRun     int      `json:"not_run"`
	RootCause  string   `json:"no_handshake_in,omitempty"`
	Crashed    string   `json:"crashed_in,omitempty"`
	Refused    bool     `json:"refused,omitempty"`
	Failed     []string `json:"failed,omitempty"`
	Err        string   `json:"error,omitempty"`
	DurationMS int64    `json:"duration_ms"`
}

type jsonSummary struct {
	Summary struct {
		Round       int    `json:"round"`
		Us          string `json:"us"`
		Started     string `json:"started"`
		DurationMS  int64  `json:"duration_ms"`
		Peers       int    `json:"peers"`
		Reachable   int    `json:"reachable"`
		Unreachable int    `json:"unreachable"`
		Unvisited   int    `json:"unvisited"`
		Edges       int    `json:"edges"`
		Checked     int    `json:"checked"`
		Crashed     int    `json:"crashed"`
		Truncated   bool   `json:"truncated,omitempty"`
	} `json:"summary"`
}

// WriteJSON writes the round as JSON lines: one per peer, then a summary
// line ({"summary": {...}}). Peer text is as it came (JSON escapes it).
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	for _, p := range r.Peers {
		if err := enc.Encode(jsonPeerOf(r.Round, p)); err != nil {
			return err
		}
	}
	var js jsonSummary
	s, o := r.Summary(), &js.Summary
	o.Round, o.Us, o.Started, o.DurationMS = r.Round, r.Us.String(), r.Started.UTC().Format(time.RFC3339Nano), r.Duration.Milliseconds()
	o.Peers, o.Reachable, o.Unreachable, o.Unvisited, o.Edges = s.Peers, s.Reachable, s.Unreachable, s.Unvisited, s.Edges
	o.Checked, o.Crashed, o.Truncated = s.Checked, s.Crashed, r.Truncated
	return enc.Encode(js)
}

func jsonPeerOf(round int, p Peer) jsonPeer {
	j := jsonPeer{
		Round: round, Addr: p.Addr.String(), Status: p.Status.String(), Reason: p.Reason,
		Agent: p.Agent, Version: p.Version, SeenAs: p.SeenAs, PingErr: p.PingErr, AddrErr: p.AddrErr,
		HandshakeMS: millis(p.Handshake), RTTMS: millis(p.RTT),
		Knows: make([]string, len(p.Knows)), KnownBy: make([]string, len(p.KnownBy)),
	}
	for i, a := range p.Knows {
		j.Knows[i] = a.String()
	}
	for i, a := range p.KnownBy {
		j.KnownBy[i] = a.String()
	}
	if !p.LastSeen.IsZero() {
		j.LastSeen = p.LastSeen.UTC().Format(time.RFC3339)
	}
	if s := p.Score; s != nil {
		j.Score = &jsonScore{Points: s.Points(), Pass: s.Pass, Warn: s.Warn, Fail: s.Fail, Down: s.Down, NotRun: s.NotRun,
			RootCause: s.RootCause, Crashed: s.Crashed, Refused: s.Refused, Failed: s.Failed, Err: s.Err, DurationMS: s.Duration.Milliseconds()}
	}
	return j
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteChanges writes what changed since the last round, one line each,
// peer text escaped; "no change" when nothing did.
func WriteChanges(w io.Writer, round int, cs []Change) error {
	if len(cs) == 0 {
		_, err := fmt.Fprintf(w, "round %d: no change\n", round)
		return err
	}
	for _, c := range cs {
		line := fmt.Sprintf("round %d: %-10s %s", round, c.Kind, c.Addr)
		switch c.Kind {
		case Appeared:
			line += " " + codec.Quote(c.Peer.Agent)
		case Gone:
			line += " (" + c.Peer.Status.String()
			if c.Peer.Reason != "" {
				line += ": " + codec.PrintableString(c.Peer.Reason)
			}
			line += ")"
		case ScoreUp, ScoreDown:
			line += fmt.Sprintf(" %d -> %d", c.From, c.To)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// WriteChangesJSON writes what changed since the last round as JSON lines:
// {"round":2,"change":"new","addr":"…","from":…,"to":…}.
func WriteChangesJSON(w io.Writer, round int, cs []Change) error {
	type jsonChange struct {
		Round  int    `json:"round"`
		Change string `json:"change"`
		Addr   string `json:"addr"`
		Status string `json:"status"`
		From   *int   `json:"from,omitempty"`
		To     *int   `json:"to,omitempty"`
	}
	enc := json.NewEncoder(w)
	for _, c := range cs {
		j := jsonChange{Round: round, Change: c.Kind.String(), Addr: c.Addr.String(), Status: c.Peer.Status.String()}
		if c.Kind == ScoreUp || c.Kind == ScoreDown {
			j.From, j.To = &c.From, &c.To
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}
