package check

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
)

// TextOptions tune the text report.
type TextOptions struct {
	// Color paints the verdicts (green, yellow, red). Leave it off for
	// NO_COLOR and for output that is not a terminal.
	Color bool
	// Verbose shows what was sent and received for passing checks too; for
	// the others it is always shown.
	Verbose bool
}

// TextWriter prints a report for people, one line per check, as the checks
// complete: Header, then Outcome for each, then Summary.
type TextWriter struct {
	w     *bufio.Writer
	o     TextOptions
	group string
	width int // of the name column
	err   error
}

// NewTextWriter returns a TextWriter on w for a report on the checks
// named (Suite.Names).
func NewTextWriter(w io.Writer, names []string, o TextOptions) *TextWriter {
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	return &TextWriter{w: bufio.NewWriter(w), o: o, width: width}
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

func (t *TextWriter) paint(style, s string) string {
	if !t.o.Color || style == "" {
		return s
	}
	return style + s + ansiReset
}

var verdictStyles = map[Verdict]string{Pass: ansiGreen, Warn: ansiYellow, Fail: ansiRed, Skip: ansiDim}

// Header names the peer and the settings the dialect shows ("timeout 5s").
func (t *TextWriter) Header(target, settings string) error {
	fmt.Fprintf(t.w, "%s %s  (%s)\n", t.paint(ansiBold, "bitclone check"), target, settings)
	return t.flush()
}

// Outcome prints one check: a line with its verdict and what it found, and
// for anything but a pass (or with Verbose) what was sent and received and
// what the spec expects.
func (t *TextWriter) Outcome(o Outcome) error {
	if o.Group != t.group {
		t.group = o.Group
		fmt.Fprintf(t.w, "%s\n", t.paint(ansiBold, o.Group))
	}
	label := strings.ToUpper(o.Verdict.String())
	style := verdictStyles[o.Verdict]
	if o.DownSince != "" {
		style = ansiRed // counts as a failure
	}
	// The peer's bytes are escaped here, once: a Result keeps them raw.
	fmt.Fprintf(t.w, "  %s  %-*s  %s\n", t.paint(style, label), t.width, o.Name, codec.PrintableString(o.Detail))
	if (o.Verdict == Warn || o.Verdict == Fail) || (t.o.Verbose && o.Verdict == Pass) {
		indent := strings.Repeat(" ", 2+4+2)
		if o.Sent != "" {
			fmt.Fprintf(t.w, "%ssent    %s\n", indent, codec.PrintableString(o.Sent))
		}
		if o.Got != "" {
			fmt.Fprintf(t.w, "%sgot     %s\n", indent, codec.PrintableString(o.Got))
		}
		fmt.Fprintf(t.w, "%sexpect  %s (%s)\n", indent, o.Expect, o.Spec)
	}
	return t.flush()
}

// defaultUsNote tells where we listened, for a dialect that says nothing
// more (Suite.UsNote).
const defaultUsNote = "we listened at %s during the run"

// Summary prints the tally, when and how the peer died, and the verdict.
func (t *TextWriter) Summary(r *Report) error {
	c := r.Counts()
	parts := []string{fmt.Sprintf("%d passed", c.Pass)}
	if c.Warn > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", c.Warn, Plural(c.Warn, "warning", "warnings")))
	}
	if c.Fail > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", c.Fail))
	}
	if c.Down > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped (peer down)", c.Down))
	}
	if c.NotRun > 0 {
		parts = append(parts, fmt.Sprintf("%d not run", c.NotRun))
	}
	fmt.Fprintf(t.w, "\n%s in %s\n", strings.Join(parts, ", "), r.Duration.Round(10*time.Millisecond))
	if r.Us.IsValid() {
		note := r.UsNote
		if note == "" {
			note = defaultUsNote
		}
		fmt.Fprintf(t.w, note+"\n", r.Us)
	}
	switch {
	case r.Refused:
		fmt.Fprintf(t.w, "%s after %s (started at +%s): %s\n", t.paint(ansiYellow, "the peer refused us"), r.DiedIn, r.DiedAt.Round(time.Millisecond), codec.PrintableString(r.Down))
	case r.DiedIn != "":
		fmt.Fprintf(t.w, "%s during %s (started at +%s): %s\n", t.paint(ansiRed, "the peer died"), r.DiedIn, r.DiedAt.Round(time.Millisecond), codec.PrintableString(r.Down))
	case r.NoHandshake != "":
		n := 0
		for _, o := range r.Outcomes {
			if o.Blocked != "" {
				n++
			}
		}
		fmt.Fprintf(t.w, "%s in %s (see there): the %d %s after it need one and were not run\n",
			t.paint(ansiRed, "no "+r.handshakeWord()), r.NoHandshake, n, Plural(n, "check", "checks"))
	}
	if r.OK() {
		fmt.Fprintf(t.w, "%s: %s conforms\n", t.paint(ansiGreen+ansiBold, "PASS"), r.Target)
	} else {
		fmt.Fprintf(t.w, "%s: %s does not conform\n", t.paint(ansiRed+ansiBold, "FAIL"), r.Target)
	}
	return t.flush()
}

func (t *TextWriter) flush() error {
	if err := t.w.Flush(); err != nil && t.err == nil {
		t.err = err
	}
	return t.err
}

// WriteText prints the whole report at once; names and settings are as
// for NewTextWriter and Header.
func (r *Report) WriteText(w io.Writer, names []string, settings string, to TextOptions) error {
	t := NewTextWriter(w, names, to)
	t.Header(r.Target, settings)
	for _, oc := range r.Outcomes {
		t.Outcome(oc)
	}
	return t.Summary(r)
}
