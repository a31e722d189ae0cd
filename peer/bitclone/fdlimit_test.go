//go:build unix

package bitclone

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// The descriptor-limit test runs a node in a child process (this test
// binary again) whose RLIMIT_NOFILE is lowered to fdLimitChild, so that the
// limit of the process running the other tests is never touched.
const (
	fdLimitEnv   = "BITCLONE_FDLIMIT_CHILD" // the child's peers-file directory
	fdLimitChild = 64
	fdNewcomers  = 7
)

// TestDescriptorLimitChild is the child's side; it does nothing unless
// TestDescriptorLimit started it. It prints "listening ADDR", then answers
// "save" on stdin by filling its descriptor table and saving the peers
// file: "at the limit: save: ERR".
func TestDescriptorLimitChild(t *testing.T) {
	dir := os.Getenv(fdLimitEnv)
	if dir == "" {
		t.Skip("the child process of TestDescriptorLimit")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = min(fdLimitChild, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	n := New(Config{ListenHost: "127.0.0.1", PeersFile: filepath.Join(dir, "peers.txt"),
		HandshakeTimeout: time.Minute, IdleTimeout: time.Hour, PingInterval: time.Hour,
		AdvertiseInterval: time.Hour, SaveInterval: time.Hour}, WithSeed(1))
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	go func() {
		for b := range n.Events() {
			for _, e := range b {
				if e.Kind == peer.KindWarn || e.Kind == peer.KindError {
					fmt.Println("event", e.Text) // shown when the test fails
				}
			}
		}
	}()
	fmt.Printf("listening %s\n", n.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() != "save" {
			continue
		}
		// Whatever the node left free (a descriptor in use for a moment
		// when accept first failed stays free) is taken here, so the
		// save runs with the table full.
		fillers := fillFDTable()
		fmt.Printf("at the limit: save: %v\n", n.Do(peer.Command{Op: peer.OpSave}))
		for _, f := range fillers {
			f.Close()
		}
	}
	cancel()
	<-done
}

// fillFDTable opens files until the descriptor table is full.
func fillFDTable() []*os.File {
	var fs []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return fs
		}
		fs = append(fs, f)
	}
}

// At the descriptor limit, silent connections used to hold every slot until
// their handshake timeout: accept failed, honest newcomers waited, and the
// peers file could not be saved. Now each newcomer evicts a silent
// connection through a spare descriptor, and a save has a spare of its own.
func TestDescriptorLimit(t *testing.T) {
	if os.Getenv(fdLimitEnv) != "" {
		t.Skip("in the child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDescriptorLimitChild$")
	cmd.Env = append(os.Environ(), fdLimitEnv+"="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("child's stderr:\n%s", stderr.String())
		}
	})
	// What the child prints, kept whole so that its printing never blocks.
	var (
		mu      sync.Mutex
		said    []string
		read    int // lines next has looked at
		changed = make(chan struct{}, 1)
	)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			said = append(said, sc.Text())
			mu.Unlock()
			select {
			case changed <- struct{}{}:
			default:
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("the child said:\n%s", strings.Join(said, "\n"))
			mu.Unlock()
		}
	})
	// next waits for the child's next line starting with prefix.
	next := func(prefix string) string {
		t.Helper()
		timeout := time.After(10 * time.Second)
		gone := false // the child has ended: look once more, then fail
		for {
			mu.Lock()
			for ; read < len(said); read++ {
				if l := said[read]; strings.HasPrefix(l, prefix) {
					read++
					mu.Unlock()
					return strings.TrimPrefix(l, prefix)
				}
			}
			mu.Unlock()
			if gone {
				t.Fatalf("the child ended before saying %q", prefix)
			}
			select {
			case <-changed:
			case <-exited:
				gone = true
			case <-timeout:
				t.Fatalf("the child said nothing starting %q", prefix)
			}
		}
	}
	addr := next("listening ")

	// Twice the child's limit in silent connections: its table fills and
	// the rest wait in its listen queue.
	for range 2 * fdLimitChild {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	for i := range fdNewcomers {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		p := &rawPeer{t: t, conn: c, rd: bufio.NewReader(c)}
		nonce := 1000 + i
		p.write(fmt.Sprintf("version|3|1|%d|%s|%s|%d|newcomer|0\r\n", time.Now().Unix(), addr, c.LocalAddr(), nonce))
		p.until(fmt.Sprintf("verack|%d", nonce)) // fails after 10 s without an answer
		v := p.until("version|")
		p.write("verack|" + strings.Split(strings.TrimSpace(v), "|")[6] + "\r\n")
		p.until("getaddr")
	}

	if _, err := io.WriteString(stdin, "save\n"); err != nil {
		t.Fatal(err)
	}
	if got := next("at the limit: save: "); got != "<nil>" {
		t.Errorf("saving the peers file at the descriptor limit: %s", got)
	}
}
