package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run the real binary, as a user would, on loopback.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bitclone-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "bitclone")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one running bitclone --headless with its transcript collected.
type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	port  int
	lines chan string
	done  chan struct{}

	mu  sync.Mutex
	all []string
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startPeer(t *testing.T, peersFile string, port int, args ...string) *proc {
	t.Helper()
	base := []string{"--headless", "--host", "127.0.0.1", "-p", fmt.Sprint(port), "--peers-file", peersFile,
		"--agent", fmt.Sprint("peer", port), "--ping-interval", "300ms", "--advertise-interval", "300ms", "--idle-timeout", "5s"}
	p := startProc(t, append(base, args...)...)
	p.port = port
	return p
}

// startProc runs bitclone with args until the test ends, collecting its
// stdout.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, lines: make(chan string, 1<<16), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.all = append(p.all, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		cmd.Wait()
	})
	return p
}

// waitFor reads the transcript until every pattern, a regular expression,
// has matched some line.
func (p *proc) waitFor(patterns ...string) {
	p.t.Helper()
	missing := map[string]*regexp.Regexp{}
	for _, pat := range patterns {
		missing[pat] = regexp.MustCompile(pat)
	}
	match := func(l string) {
		for pat, re := range missing {
			if re.MatchString(l) {
				delete(missing, pat)
			}
		}
	}
	p.mu.Lock()
	for _, l := range p.all {
		match(l)
	}
	p.mu.Unlock()
	deadline := time.After(30 * time.Second)
	for len(missing) > 0 {
		select {
		case l := <-p.lines:
			match(l)
		case <-p.done:
			p.t.Fatalf("peer %d exited; still missing %v", p.port, keys(missing))
		case <-deadline:
			p.t.Fatalf("peer %d: transcript lacks %v", p.port, keys(missing))
		}
	}
}

func keys(m map[string]*regexp.Regexp) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestThreePeersFindEachOtherAndSaveOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	ports := []int{freePort(t), freePort(t), freePort(t)}
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	p1 := startPeer(t, filepath.Join(dir, "1"), ports[0])
	p2 := startPeer(t, filepath.Join(dir, "2"), ports[1], addr(0))
	p3 := startPeer(t, filepath.Join(dir, "3"), ports[2], addr(1))

	// Peer 3 was told only of peer 2; through gossip it and peer 1 learn of
	// each other and connect (whichever dials first), and every transcript
	// shows the whole protocol.
	// Lines are "TIME DIR PEER TEXT".
	line := func(dir, peer, text string) string {
		return `^[0-9:.]+ ` + regexp.QuoteMeta(dir) + ` ` + peer + ` ` + regexp.QuoteMeta(text)
	}
	p2addr, anyPeer := regexp.QuoteMeta(addr(1)), `\S+`
	p3.waitFor(line(">", p2addr, "version|3|1|"), line("<", p2addr, "verack|"), line("*", p2addr, "established (out)"),
		regexp.QuoteMeta("listening on "+addr(0)), line("<", anyPeer, "addr|"), line("<", anyPeer, "ping|"),
		line(">", anyPeer, "pong|"), line(">", anyPeer, "ping|"), line("<", anyPeer, "pong|"))
	for _, p := range []*proc{p1, p2} {
		p.waitFor(line("*", anyPeer, "established (in)"), line("<", anyPeer, "getaddr"), line(">", anyPeer, "addr|"),
			line("<", anyPeer, "ping|"), line(">", anyPeer, "pong|"))
	}

	// SIGTERM: connections close, the peers file is saved, the exit is clean.
	p3.cmd.Process.Signal(syscall.SIGTERM)
	<-p3.done
	if err := p3.cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	p3.waitFor(line("*", anyPeer, "closed (out): shutting down"), "saved the address book")
	data, err := os.ReadFile(filepath.Join(dir, "3"))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1} {
		if !strings.Contains(string(data), addr(i)+" ") {
			t.Errorf("peers file lacks %s:\n%s", addr(i), data)
		}
	}
}

// `bitclone --json | head`: once the reader of stdout is gone, the node
// stops as on :quit, saving its peers file, instead of dying of SIGPIPE.
func TestClosedStdoutStopsCleanly(t *testing.T) {
	peers := filepath.Join(t.TempDir(), "peers")
	cmd := exec.Command(binary, "--json", "--host", "127.0.0.1", "-p", "0", "--peers-file", peers)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(first, `"kind":"info"`) {
		t.Fatalf("first line %q, %v", first, err)
	}
	stdout.Close()                // as head does after its lines
	fmt.Fprintln(stdin, ":peers") // the next write finds the pipe closed
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(stderr.String(), "stdout closed") {
			t.Errorf("exit %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running after stdout closed; stderr:\n%s", stderr.String())
	}
	stdin.Close()
	if _, err := os.Stat(peers); err != nil {
		t.Errorf("peers file not saved: %v", err)
	}
}

// waitForFile waits until path holds want, polling (a save prints nothing),
// and fails after within.
func waitForFile(t *testing.T, path, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), want) {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("after %s, %s lacks %q:\n%s", within, path, want, data)
		}
	}
}

func TestKilledPeerRestartsFromItsFile(t *testing.T) {
	dir := t.TempDir()
	ports := []int{freePort(t), freePort(t)}
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	file := filepath.Join(dir, "2")
	startPeer(t, filepath.Join(dir, "1"), ports[0])
	p2 := startPeer(t, file, ports[1], addr(0))
	p2.waitFor(regexp.QuoteMeta("* " + addr(0) + " established (out)"))

	// The handshake reaches the peers file within about two seconds (the
	// periodic save is a minute away); then kill -9, which saves nothing.
	waitForFile(t, file, addr(0)+" ", 5*time.Second)
	p2.cmd.Process.Kill()
	<-p2.done
	p2.cmd.Wait()

	// Restarted with no peer arguments, it finds its peer in the file.
	again := startPeer(t, file, ports[1])
	again.waitFor(regexp.QuoteMeta("loaded 1 addresses from "+file), regexp.QuoteMeta("* "+addr(0)+" established (out)"))
}
