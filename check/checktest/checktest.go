// Package checktest holds what the dialects' suite tests share: running a
// suite and reading its report card as bitclone check prints it, and
// judging its outcomes. No program imports it.
package checktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// Suite is one dialect's suite as its package exports it.
type Suite[O any] struct {
	Run      func(ctx context.Context, target string, o O) (*check.Report, error)
	Names    func() []string
	Settings func(o O) string
}

// Report runs s against addr and returns the report with its text, as
// bitclone check prints it (no colour).
func (s Suite[O]) Report(t testing.TB, addr string, o O) (*check.Report, string) {
	t.Helper()
	r, err := s.Run(context.Background(), addr, o)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	r.WriteText(&text, s.Names(), s.Settings(o), check.TextOptions{})
	return r, text.String()
}

// Expect checks every outcome's verdict (want names those that do not
// pass), that each detail named in detail has those words, that the
// report has one outcome per check and no escape sequence (peer text is
// escaped); text is logged when a check fails.
func (s Suite[O]) Expect(t testing.TB, r *check.Report, text string, want map[string]check.Verdict, detail map[string]string) {
	t.Helper()
	if len(r.Outcomes) != len(s.Names()) {
		t.Errorf("%d outcomes, want %d", len(r.Outcomes), len(s.Names()))
	}
	for _, oc := range r.Outcomes {
		v, ok := want[oc.Name]
		if !ok {
			v = check.Pass
		}
		if oc.Verdict != v {
			t.Errorf("%s: %s, want %s: %s\n  sent %s\n  got  %s", oc.Name, oc.Verdict, v, oc.Detail, oc.Sent, oc.Got)
		}
		if d := detail[oc.Name]; d != "" && !strings.Contains(oc.Detail, d) {
			t.Errorf("%s: detail %q lacks %q", oc.Name, oc.Detail, d)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Error("an escape sequence in the report")
	}
	if t.Failed() {
		t.Logf("\n%s", text)
	}
}

// SilentServer is a TCP listener on loopback whose connections are read
// and never answered, closed when the test ends; it returns its address.
func SilentServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var silent nodetest.Server
	silent.Serve(ln, func(c net.Conn) { io.Copy(io.Discard, c) })
	t.Cleanup(silent.Close)
	return ln.Addr().String()
}

// ExpectRootCause checks a report whose check root failed with detail,
// every other check not run for it ("not run: no WORD (see root)"), and
// the summary line that says so.
func ExpectRootCause(t testing.TB, r *check.Report, text, root, word, detail string) {
	t.Helper()
	if r.NoHandshake != root || r.DiedIn != "" || r.OK() {
		t.Errorf("no %s in %q, died in %q, OK %v", word, r.NoHandshake, r.DiedIn, r.OK())
	}
	for _, oc := range r.Outcomes {
		if oc.Name == root {
			if oc.Verdict != check.Fail || oc.Detail != detail {
				t.Errorf("%s: %s %q, want %q", root, oc.Verdict, oc.Detail, detail)
			}
			continue
		}
		if want := "not run: no " + word + " (see " + root + ")"; oc.Verdict != check.Skip || oc.Blocked != root || oc.Detail != want {
			t.Errorf("%s: %s %q, want %q", oc.Name, oc.Verdict, oc.Detail, want)
		}
	}
	if want := fmt.Sprintf("\nno %s in %s (see there): the %d checks after it need one and were not run\n", word, root, len(r.Outcomes)-1); !strings.Contains(text, want) {
		t.Errorf("report lacks %q:\n%s", want, text)
	}
}
