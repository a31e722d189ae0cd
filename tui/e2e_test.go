package tui

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/tmuxtest"
)

// transcript collects a headless peer's stdout.
type transcript struct {
	mu    sync.Mutex
	lines []string
}

func (tr *transcript) wait(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(tmuxtest.Deadline)
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
		time.Sleep(tmuxtest.PollEvery)
	}
}

// buildBinary builds bitclone into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bitclone")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/bitclone/bitclone").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startHeadless runs a headless bitclone on a free loopback port until
// the test ends, collecting its transcript; it returns the transcript and
// the peer's listening address.
func startHeadless(t *testing.T, bin string, args ...string) (*transcript, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--headless", "--host", "127.0.0.1", "-p", "0", "--no-peers-file"}, args...)...)
	stdin, _ := cmd.StdinPipe() // kept open: the peer runs until killed
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &transcript{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			tr.mu.Lock()
			tr.lines = append(tr.lines, sc.Text())
			tr.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-done // the reader ends with the pipe
		cmd.Wait()
	})
	port := tr.wait(t, regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)`))[1]
	return tr, "127.0.0.1:" + port
}

// startTUI runs bitclone's TUI in a w×h window of a tmux server of its
// own, with no user configuration; its history goes under state.
func startTUI(t *testing.T, bin, state string, w, h int, args ...string) *tmuxtest.Session {
	t.Helper()
	command := fmt.Sprintf("env XDG_STATE_HOME=%q %q --host 127.0.0.1 -p 0 --no-peers-file", state, bin)
	for _, a := range args {
		command += fmt.Sprintf(" %q", a)
	}
	return tmuxtest.Start(t, w, h, command)
}

// TestEndToEndInTmux runs the real binary's TUI in tmux against a second,
// headless bitclone on loopback: the two connect, a raw line typed at the
// TUI reaches the other peer, its answer shows in the log, the history is
// kept, and q quits.
func TestEndToEndInTmux(t *testing.T) {
	tmuxtest.Need(t)
	bin := buildBinary(t)
	tr, other := startHeadless(t, bin, "--agent", "other")
	state := filepath.Join(t.TempDir(), "state")
	s := startTUI(t, bin, state, 120, 40, "--agent", "tui", other)

	s.WaitScreen("the established connection", func(scr string) bool {
		return strings.Contains(scr, "established 0 in + 1 out") && strings.Contains(scr, other)
	})
	s.Keys(true, "ping|42")
	s.WaitScreen("the hint for ping|42", func(scr string) bool { return strings.Contains(scr, "✓ valid ping") })
	s.Keys(false, "Enter")

	tr.wait(t, regexp.MustCompile(`< \S+ ping\|42$`)) // headless: TIME DIR PEER TEXT, as the TUI log
	s.WaitScreen("the line sent and the pong", func(scr string) bool {
		return strings.Contains(scr, "> "+other+" ping|42") && strings.Contains(scr, "< "+other+" pong|42")
	})

	// Esc leaves the command line (wait for the footer to say so, so the
	// q is not read as Alt-q), then q quits.
	s.Keys(false, "Escape")
	s.WaitScreen("the connections keys", func(scr string) bool { return strings.Contains(scr, "space select") })
	s.Keys(false, "q")
	s.WaitExit("q")
	history, err := os.ReadFile(filepath.Join(state, "bitclone", "history"))
	if err != nil || string(history) != "ping|42\n" {
		t.Errorf("history file %q, %v", history, err)
	}
}

// has reports whether a line printed so far matches re.
func (tr *transcript) has(re *regexp.Regexp) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, l := range tr.lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// TestReadmeWalkthroughInTmux follows the README's "Three peers on one
// machine" keystroke by keystroke: peers 1 and 2 headless, peer 3 the TUI
// in a 120×40 tmux window. It ends with the message delivered to peer 1
// only. The ports are free ones; every line typed is checked to be in
// the README with its 8081 and 8082 put back, so the two cannot drift.
func TestReadmeWalkthroughInTmux(t *testing.T) {
	tmuxtest.Need(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	p1, addr1 := startHeadless(t, bin, "--agent", "alice")
	p2, addr2 := startHeadless(t, bin, "--agent", "bob", addr1)
	s := startTUI(t, bin, filepath.Join(t.TempDir(), "state"), 120, 40, "--agent", "carol", addr2)
	asInReadme := strings.NewReplacer(addr1, "127.0.0.1:8081", addr2, "127.0.0.1:8082")
	typed := func(text string) {
		t.Helper()
		if !strings.Contains(string(readme), "`"+asInReadme.Replace(text)+"`") {
			t.Fatalf("the README does not say to type %q", asInReadme.Replace(text))
		}
		s.Keys(true, text)
	}
	// Esc is held by tmux (escape-time) and would make Alt- of a key sent
	// right after it; a person waits for the screen, and so does the test.
	escape := func() {
		t.Helper()
		s.Keys(false, "Escape")
		s.WaitScreen("the connections keys after Esc", func(scr string) bool { return strings.Contains(scr, "space select") })
	}

	established := regexp.MustCompile(`established (\d+) in \+ (\d+) out`)
	s.WaitScreen("alice and bob established", func(scr string) bool {
		m := established.FindStringSubmatch(scr)
		if m == nil {
			return false
		}
		in, _ := strconv.Atoi(m[1])
		out, _ := strconv.Atoi(m[2])
		return in+out == 2 && strings.Contains(scr, "alice") && strings.Contains(scr, "bob")
	})

	// 1. ping|42 Enter: every established peer is pinged.
	typed("ping|42")
	s.Keys(false, "Enter")
	p1.wait(t, regexp.MustCompile(`< \S+ ping\|42$`))
	p2.wait(t, regexp.MustCompile(`< \S+ ping\|42$`))

	// 2. Esc, ↓, Space: alice is selected and the keyboard is back on the
	// command line.
	escape()
	s.Keys(false, "Down")
	s.Keys(false, "Space")
	scr := s.WaitScreen("the selection and its hint", func(scr string) bool {
		return strings.Contains(scr, "1 selected") && strings.Contains(scr, "raw lines go to 127.0.0.1:")
	})
	for _, l := range strings.Split(scr, "\n") {
		if strings.HasPrefix(l, "●") && !strings.Contains(l, "alice") {
			t.Fatalf("↓ Space selected another peer than alice:\n%s", scr)
		}
	}

	// 3. message|100|hello|class Enter: to alice alone.
	typed("message|100|hello|class")
	s.Keys(false, "Enter")
	p1.wait(t, regexp.MustCompile(`< \S+ message\|100\|hello\|class$`))

	// 4. @peer2 ping|7 Enter: to bob alone, whatever is selected. Bob has
	// it after anything sent to him before, so had the message gone to
	// him too, it would be in his transcript by now.
	typed("@" + addr2 + " ping|7")
	s.Keys(false, "Enter")
	p2.wait(t, regexp.MustCompile(`< \S+ ping\|7$`))
	if p2.has(regexp.MustCompile(`message\|100\|hello\|class`)) {
		t.Fatal("peer 2 received the message meant for peer 1 only")
	}

	// 5. Esc, Tab, Tab, /, peer:peer1 Enter: only alice's lines.
	escape()
	s.Keys(false, "Tab", "Tab")
	s.WaitScreen("the log keys", func(scr string) bool { return strings.Contains(scr, "/ filter") })
	s.Keys(true, "/")
	typed("peer:" + addr1)
	s.Keys(false, "Enter")
	s.WaitScreen("the log of alice alone", func(scr string) bool {
		return strings.Contains(scr, "filter: peer:"+addr1) && strings.Contains(scr, "> ") &&
			strings.Contains(scr, "message|100|hello|class") && !strings.Contains(scr, "ping|7")
	})

	// 6. q quits.
	s.Keys(false, "q")
	s.WaitExit("q")
}
