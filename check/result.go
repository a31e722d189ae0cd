package check

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verdict is how a check went.
type Verdict int

const (
	Pass Verdict = iota + 1
	Warn         // works, but deviates from the spec or the notes
	Fail
	Skip // not run: not asked for, or the peer was down
)

var verdictNames = [...]string{Pass: "pass", Warn: "warn", Fail: "fail", Skip: "skip"}

func (v Verdict) String() string {
	if v > 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "?"
}

// Result is what one probe found. Sent, Got and Detail may hold the peer's
// bytes as they came: escape them before they reach a terminal (the text
// report does).
type Result struct {
	Verdict Verdict
	Sent    string // what we sent that matters, shortened
	Got     string // what came back, shortened
	Detail  string // one sentence: what was right or wrong
}

// Outcome is a Result with the check it belongs to.
type Outcome struct {
	Name   string // "version", "getaddr", ...
	Group  string // "handshake", "rejects", ...
	Spec   string // the section of the spec or the notes
	Expect string // what the spec expects, in a few words
	// Hostile is the probe's: it may upset the peer (see Probe.Hostile).
	Hostile bool
	Result
	At      time.Duration // when the probe started, since the start of the run
	Elapsed time.Duration
	// DownSince names the probe during which the peer went down, for a
	// check skipped because of it.
	DownSince string
	// Blocked names the probe in which a handshake failed, for a check not
	// run because of it.
	Blocked string
}

// Report is a whole run.
type Report struct {
	Target string
	// Us is where we listened for the run, the one address of ours a
	// dialect names (BitClone: as the sender of our versions); UsNote says
	// so in words, a format with one %s for it.
	Us       netip.AddrPort
	UsNote   string
	Started  time.Time
	Duration time.Duration
	Outcomes []Outcome
	// DiedIn is the probe during which the peer went down ("" if it stayed
	// up), DiedAt when that probe started, Down what the liveness check saw.
	// Refused is set when it is up but refuses our connections (a ban).
	DiedIn  string
	DiedAt  time.Duration
	Down    string
	Refused bool
	// NoHandshake is the probe in which a handshake first failed, after
	// which nothing more was run ("" if none failed). That probe's Detail
	// says why.
	NoHandshake string
	// Handshake is the suite's word for it (Suite.Handshake); "" is
	// "handshake".
	Handshake string
}

// handshakeWord is what the report calls the handshake every check needs.
func (r *Report) handshakeWord() string {
	if r.Handshake == "" {
		return "handshake"
	}
	return r.Handshake
}

// Counts tallies the verdicts; skipped-because-down are counted apart
// from the checks that were not asked for.
type Counts struct {
	Pass, Warn, Fail, Down, NotRun int
}

// Counts tallies the outcomes.
func (r *Report) Counts() Counts {
	var c Counts
	for _, o := range r.Outcomes {
		switch {
		case o.Verdict == Pass:
			c.Pass++
		case o.Verdict == Warn:
			c.Warn++
		case o.Verdict == Fail:
			c.Fail++
		case o.DownSince != "":
			c.Down++
		default:
			c.NotRun++
		}
	}
	return c
}

// OK reports whether the peer passed: no check failed, and none was skipped
// because the peer had gone down. Warnings are fine.
func (r *Report) OK() bool {
	c := r.Counts()
	return c.Fail == 0 && c.Down == 0
}

// Outcome returns the outcome of the named check.
func (r *Report) Outcome(name string) (Outcome, bool) {
	for _, o := range r.Outcomes {
		if o.Name == name {
			return o, true
		}
	}
	return Outcome{}, false
}

// maxShown is how many bytes of what was sent or received a report keeps.
const maxShown = 120

// Clip shortens peer or probe bytes for the report, leaving them raw: the
// text report escapes them once, the JSON report carries them as they are.
func Clip(b []byte) string {
	if len(b) <= maxShown {
		return string(b)
	}
	cut := maxShown
	for cut > 0 && !isRuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "… (" + strconv.Itoa(len(b)) + " bytes)"
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }

// ClipFrames is frames as they came off the wire, terminators included,
// clipped.
func ClipFrames(fs []Frame) string {
	var b []byte
	for _, f := range fs {
		b = append(b, f.Raw...)
	}
	return Clip(b)
}

// maxCommands is how many distinct commands Commands names.
const maxCommands = 5

// Commands lists the distinct commands of frames in order: "getaddr, ping".
func Commands(fs []Frame) string {
	var names []string
	for _, f := range fs {
		if slices.Contains(names, f.Cmd) {
			continue
		}
		if len(names) == maxCommands {
			names = append(names, "…")
			break
		}
		names = append(names, f.Cmd)
	}
	return strings.Join(names, ", ")
}

// Plural is one or many, as n says.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Dur shows a duration at a useful precision: 0.35ms, 12ms, 1.25s.
func Dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
