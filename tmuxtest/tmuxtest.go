// Package tmuxtest runs a terminal program in a tmux server of its own, for
// tests that drive the real binary as a person would: keys in, the screen
// out. A terminal's screen can only be looked at, not waited on, so the
// waits poll it, with a deadline.
package tmuxtest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Deadline bounds each wait; PollEvery is how often the screen is looked
// at meanwhile.
const (
	Deadline  = 20 * time.Second
	PollEvery = 50 * time.Millisecond
)

// Need skips the test under -short or when tmux is not installed.
func Need(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the tmux test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: skipping the real-terminal test (CI installs it)")
	}
}

// Session is one program in a w×h window of a private tmux server, ended
// with the test.
type Session struct {
	t      *testing.T
	socket string
}

// Start runs command (a shell command line) in a new session.
func Start(t *testing.T, w, h int, command string) *Session {
	t.Helper()
	s := &Session{t: t, socket: fmt.Sprintf("bitclone-e2e-%d-%s", os.Getpid(), t.Name())}
	t.Cleanup(func() { s.Tmux("kill-server") })
	if out, err := s.Tmux("-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	return s
}

// Tmux runs a tmux command against the session's server.
func (s *Session) Tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// Screen is what the window shows now.
func (s *Session) Screen() string {
	out, _ := s.Tmux("capture-pane", "-p", "-t", "tui")
	return out
}

// Keys sends tmux key names (Enter, Escape) or, with literal, text.
func (s *Session) Keys(literal bool, keys ...string) {
	s.t.Helper()
	args := []string{"send-keys", "-t", "tui"}
	if literal {
		args = append(args, "-l")
	}
	if out, err := s.Tmux(append(args, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys: %v: %s", err, out)
	}
}

// WaitScreen polls the screen until ok says yes, and returns it.
func (s *Session) WaitScreen(what string, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(Deadline)
	for {
		scr := s.Screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the TUI never showed %s; screen:\n%s", what, scr)
		}
		time.Sleep(PollEvery)
	}
}

// WaitExit waits for the program, and so its session, to end.
func (s *Session) WaitExit(what string) {
	s.t.Helper()
	deadline := time.Now().Add(Deadline)
	for {
		if _, err := s.Tmux("has-session", "-t", "tui"); err != nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not quit; screen:\n%s", what, s.Screen())
		}
		time.Sleep(PollEvery)
	}
}
