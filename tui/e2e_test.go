package tui

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// e2eDeadline bounds each wait on the real programs; pollEvery is how
// often the screen or transcript is looked at meanwhile.
const (
	e2eDeadline = 20 * time.Second
	pollEvery   = 50 * time.Millisecond
)

// tmuxSession is the real binary running in a tmux server of its own.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) screen() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "tui")
	return out
}

// keys sends tmux key names (Enter, Escape) or, with literal, text.
func (s *tmuxSession) keys(literal bool, keys ...string) {
	s.t.Helper()
	args := []string{"send-keys", "-t", "tui"}
	if literal {
		args = append(args, "-l")
	}
	if out, err := s.tmux(append(args, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys: %v: %s", err, out)
	}
}

// waitScreen polls the screen until ok says yes.
func (s *tmuxSession) waitScreen(what string, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the TUI never showed %s; screen:\n%s", what, scr)
		}
		time.Sleep(pollEvery)
	}
}

// transcript collects a headless peer's stdout.
type transcript struct {
	mu    sync.Mutex
	lines []string
}

func (tr *transcript) wait(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	for {
		tr.mu.Lock()
		for _, l := range tr.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				tr.mu.Unlock()
				return m
			}
		}
		all := strings.Join(tr.lines, "\n")
		tr.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("the headless peer never printed %s; transcript:\n%s", re, all)
		}
		time.Sleep(pollEvery)
	}
}

// TestEndToEndInTmux runs the real binary's TUI in tmux against a second,
// headless bitclone on loopback: the two connect, a raw line typed at the
// TUI reaches the other peer, its answer shows in the log, the history is
// kept, and q quits.
func TestEndToEndInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the tmux test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: skipping the real-terminal test (CI installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bitclone")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/bitclone/bitclone").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The other peer: headless, its transcript collected.
	peerCmd := exec.Command(bin, "--headless", "--host", "127.0.0.1", "-p", "0", "--no-peers-file", "--agent", "other")
	peerIn, _ := peerCmd.StdinPipe() // kept open: the peer runs until killed
	stdout, _ := peerCmd.StdoutPipe()
	if err := peerCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		peerIn.Close()
		peerCmd.Process.Kill()
		peerCmd.Wait()
	})
	var tr transcript
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			tr.mu.Lock()
			tr.lines = append(tr.lines, sc.Text())
			tr.mu.Unlock()
		}
	}()
	port := tr.wait(t, regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)`))[1]
	other := "127.0.0.1:" + port

	// The TUI, in a tmux server of its own with no user configuration.
	s := &tmuxSession{t: t, socket: fmt.Sprintf("bitclone-e2e-%d", os.Getpid())}
	t.Cleanup(func() { s.tmux("kill-server") })
	state := filepath.Join(dir, "state")
	command := fmt.Sprintf("env XDG_STATE_HOME=%q %q --host 127.0.0.1 -p 0 --no-peers-file --agent tui %s", state, bin, other)
	if out, err := s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", "120", "-y", "40", command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}

	s.waitScreen("the established connection", func(scr string) bool {
		return strings.Contains(scr, "established 0 in + 1 out") && strings.Contains(scr, other)
	})
	s.keys(true, "ping|42")
	s.waitScreen("the hint for ping|42", func(scr string) bool { return strings.Contains(scr, "✓ valid ping") })
	s.keys(false, "Enter")

	tr.wait(t, regexp.MustCompile(`< \S+ ping\|42$`)) // headless: TIME DIR PEER TEXT, as the TUI log
	s.waitScreen("the line sent and the pong", func(scr string) bool {
		return strings.Contains(scr, "> "+other+" ping|42") && strings.Contains(scr, "< "+other+" pong|42")
	})

	// Esc leaves the command line (wait for the footer to say so, so the
	// q is not read as Alt-q), then q quits.
	s.keys(false, "Escape")
	s.waitScreen("the connections keys", func(scr string) bool { return strings.Contains(scr, "space select") })
	s.keys(false, "q")
	deadline := time.Now().Add(e2eDeadline)
	for {
		if _, err := s.tmux("has-session", "-t", "tui"); err != nil {
			break // the program exited and its session with it
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit; screen:\n%s", s.screen())
		}
		time.Sleep(pollEvery)
	}
	history, err := os.ReadFile(filepath.Join(state, "bitclone", "history"))
	if err != nil || string(history) != "ping|42\n" {
		t.Errorf("history file %q, %v", history, err)
	}
}
