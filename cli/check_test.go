package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer/bitclone"
)

// startNode runs a bitclone node on loopback with short intervals.
func startNode(t *testing.T) string {
	t.Helper()
	n := bitclone.New(bitclone.Config{
		ListenHost: "127.0.0.1", UserAgent: "selftest",
		PingInterval: 300 * time.Millisecond, IdleTimeout: time.Second, AdvertiseInterval: 300 * time.Millisecond,
		RetryBase: time.Hour, RetryMax: time.Hour,
	})
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	go func() {
		for range n.Events() {
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return n.Addr().String()
}

// bitclone check passes against bitclone, the timed and outbound checks
// included, told the intervals the node runs with.
func TestCheckAgainstBitclone(t *testing.T) {
	addr := startNode(t)
	var stdout, stderr bytes.Buffer
	status := execute([]string{"check", addr, "--slow", "--listen", "0",
		"--ping-interval", "300ms", "--idle-timeout", "1s", "--advertise-interval", "300ms",
		"--timeout", "2s", "--pace", "20ms"}, nil, &stdout, &stderr)
	out := stdout.String()
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; report:\n%s", status, stderr.String(), out)
	}
	if !strings.HasPrefix(out, "bitclone check "+addr+"  (timeout 2s; ping 300ms, idle 1s, advertise 300ms)\n") ||
		!strings.Contains(out, "\n22 passed in ") || !strings.HasSuffix(out, "PASS: "+addr+" conforms\n") {
		t.Errorf("report:\n%s", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("colour in a report that does not go to a terminal")
	}
	if strings.Count(out, "  PASS  ") != 22 {
		t.Errorf("want 22 PASS lines:\n%s", out)
	}
}

// A peer that hangs up on everyone: the JSON report says its handshake
// failed at once and nothing more was run, and the exit status is 1.
func TestCheckJSONAgainstAPeerThatHangsUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var stdout, stderr bytes.Buffer
	status := execute([]string{"check", "--json", "--timeout", "300ms", ln.Addr().String()}, nil, &stdout, &stderr)
	if status != ExitError {
		t.Errorf("status %d, want %d", status, ExitError)
	}
	var r struct {
		OK          bool   `json:"ok"`
		DiedIn      string `json:"died_in"`
		NoHandshake string `json:"no_handshake_in"`
		Checks      []struct {
			Name, Verdict, Detail string
			Blocked               string `json:"blocked_by"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	if r.OK || r.DiedIn != "" || r.NoHandshake != "version" || len(r.Checks) != 22 ||
		r.Checks[0].Verdict != "fail" || r.Checks[1].Verdict != "skip" || r.Checks[1].Blocked != "version" {
		t.Errorf("report: %+v", r)
	}
}

func TestCheckErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"check"}, ExitUsage, "bitclone check: accepts 1 arg(s), received 0\n"},
		{[]string{"check", "nope"}, ExitUsage, `bitclone check: bad peer "nope": want IPv4:PORT, [IPv6]:PORT or IP,PORT` + "\n"},
		{[]string{"check", "127.0.0.1:1", "--listen", "x:1"}, ExitUsage, `bitclone check: --listen "x:1": want PORT or IP:PORT` + "\n"},
		{[]string{"check", "127.0.0.1:1", "--listen", "\a:1"}, ExitUsage, `bitclone check: --listen "\x07:1": want PORT or IP:PORT` + "\n"},
		{[]string{"check", "127.0.0.1:1", "--timeout", "0s"}, ExitUsage, "bitclone check: --timeout 0s: want a positive duration\n"},
		{[]string{"check", closed}, ExitError, "bitclone check: cannot reach " + closed + ": dial tcp " + closed + ": connect: connection refused\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := withoutUsage(stderr.String())
		if status != tt.status || got != tt.stderr {
			t.Errorf("%q: status %d, stderr %q; want %d, %q", tt.args, status, got, tt.status, tt.stderr)
		}
	}
}

func TestUseColor(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	if useColor(w) {
		t.Error("colour for a pipe")
	}
	if useColor(&bytes.Buffer{}) {
		t.Error("colour for a buffer")
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no terminal to test with")
	}
	defer tty.Close()
	if !useColor(tty) {
		t.Error("no colour for a terminal")
	}
	t.Setenv("NO_COLOR", "1")
	if useColor(tty) {
		t.Error("colour despite NO_COLOR")
	}
}

// jsonReport is what the tests read of check --json's report.
type jsonReport struct {
	OK     bool `json:"ok"`
	Checks []struct{ Name, Verdict, Detail string }
}

// checkJSON runs bitclone with args (a check with --json), wants exit
// status want, and reads the report.
func checkJSON(t *testing.T, want int, args ...string) jsonReport {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if status := execute(args, nil, &stdout, &stderr); status != want {
		t.Errorf("status %d, want %d; stderr %q", status, want, stderr.String())
	}
	var r jsonReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	return r
}

// expectOnlyFailure checks that of total checks, name alone failed, with
// detail.
func expectOnlyFailure(t *testing.T, r jsonReport, total int, name, detail string) {
	t.Helper()
	failed := 0
	for _, c := range r.Checks {
		if c.Verdict == "fail" {
			failed++
			if c.Name != name || c.Detail != detail {
				t.Errorf("%s failed: %s", c.Name, c.Detail)
			}
		}
	}
	if r.OK || failed != 1 || len(r.Checks) != total {
		t.Errorf("ok %v, %d failed of %d", r.OK, failed, len(r.Checks))
	}
}
