package check

import (
	"encoding/json"
	"io"
	"net/netip"
	"time"
)

// The JSON report: one object.
type jsonReport struct {
	Target     string      `json:"target"`
	Us         string      `json:"us,omitempty"` // the sender address of our versions, where we listened
	Started    time.Time   `json:"started"`
	DurationMS int64       `json:"duration_ms"`
	OK         bool        `json:"ok"`
	Summary    jsonSummary `json:"summary"`
	DiedIn     string      `json:"died_in,omitempty"`
	DiedAtMS   int64       `json:"died_at_ms,omitempty"`
	Down       string      `json:"down,omitempty"`
	Refused    bool        `json:"refused,omitempty"` // up, but refusing our connections
	// NoHandshake is the check in which a handshake failed, after which
	// nothing more ran.
	NoHandshake string      `json:"no_handshake_in,omitempty"`
	Checks      []jsonCheck `json:"checks"`
}

type jsonSummary struct {
	Pass   int `json:"pass"`
	Warn   int `json:"warn"`
	Fail   int `json:"fail"`
	Down   int `json:"skipped_down"`
	NotRun int `json:"not_run"`
}

type jsonCheck struct {
	Name      string `json:"name"`
	Group     string `json:"group"`
	Verdict   string `json:"verdict"`
	Detail    string `json:"detail"`
	Sent      string `json:"sent,omitempty"`
	Got       string `json:"got,omitempty"`
	Expect    string `json:"expect"`
	Spec      string `json:"spec"`
	AtMS      int64  `json:"at_ms"`
	ElapsedMS int64  `json:"elapsed_ms"`
	DownSince string `json:"down_since,omitempty"`
	Blocked   string `json:"blocked_by,omitempty"`
}

// WriteJSON writes the report as one indented JSON object. Sent, got and
// detail carry the text as it was, not escaped for a terminal: JSON has
// its own escapes (bytes that are not UTF-8 become U+FFFD).
func (r *Report) WriteJSON(w io.Writer) error {
	c := r.Counts()
	jr := jsonReport{
		Target: r.Target, Us: addrOrEmpty(r.Us), Started: r.Started.UTC(), DurationMS: r.Duration.Milliseconds(), OK: r.OK(),
		Summary: jsonSummary{Pass: c.Pass, Warn: c.Warn, Fail: c.Fail, Down: c.Down, NotRun: c.NotRun},
		DiedIn:  r.DiedIn, DiedAtMS: r.DiedAt.Milliseconds(), Down: r.Down, Refused: r.Refused, NoHandshake: r.NoHandshake,
		Checks: make([]jsonCheck, len(r.Outcomes)),
	}
	for i, o := range r.Outcomes {
		jr.Checks[i] = jsonCheck{
			Name: o.Name, Group: o.Group, Verdict: o.Verdict.String(), Detail: o.Detail,
			Sent: o.Sent, Got: o.Got, Expect: o.Expect, Spec: o.Spec,
			AtMS: o.At.Milliseconds(), ElapsedMS: o.Elapsed.Milliseconds(), DownSince: o.DownSince, Blocked: o.Blocked,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(jr)
}

func addrOrEmpty(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
