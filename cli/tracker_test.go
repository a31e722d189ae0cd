package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bitclone/bitclone/tracker"
)

// lineWriter hands each complete line written to it to a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 100)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line) // not complete yet
			return len(p), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}

// next is the next line, or a failure after a while.
func (w *lineWriter) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-w.lines:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line in 10s")
		return ""
	}
}

func TestTrackerHelpAndFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"tracker", "--help"}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("--help: status %d", status)
	}
	for _, flag := range []string{"-p, --port N", "--host ADDR", "--interval D", "(default 6969)", "(default 30s)"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help lacks %q:\n%s", flag, stdout.String())
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"tracker", "--interval", "1500ms"}, "bitclone tracker: --interval 1.5s: want whole seconds from 1s to 1h0m0s\n"},
		{[]string{"tracker", "--interval", "0s"}, "bitclone tracker: --interval 0s: want whole seconds"},
		{[]string{"tracker", "--interval", "2h"}, "bitclone tracker: --interval 2h0m0s: want whole seconds"},
		{[]string{"tracker", "-p", "70000"}, "bitclone tracker: --port 70000: want 0 to 65535\n"},
		{[]string{"tracker", "extra"}, "bitclone tracker: unknown command \"extra\" for \"bitclone tracker\"\n"},
		{[]string{"tracker", "--bogus"}, "bitclone tracker: unknown flag: --bogus\n"},
	} {
		stdout.Reset()
		stderr.Reset()
		if status := execute(tt.args, nil, &stdout, &stderr); status != ExitUsage || !strings.HasPrefix(stderr.String(), tt.want) || stdout.Len() != 0 {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", tt.args, status, stderr.String(), ExitUsage, tt.want)
		}
	}
}

func TestTrackerBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if status := execute([]string{"tracker", "--host", "127.0.0.1", "-p", port}, nil, &stdout, &stderr); status != ExitError ||
		!strings.HasPrefix(stderr.String(), "bitclone tracker: listen: ") {
		t.Errorf("status %d, stderr %q", status, stderr.String())
	}
}

// bitclone tracker on loopback, end to end: it prints where it listens, two
// peers announce with our client and see each other, each announce is a
// line, GET / shows the swarm, and SIGINT stops it cleanly.
func TestTrackerEndToEnd(t *testing.T) {
	stdout := newLineWriter()
	var stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- execute([]string{"tracker", "--host", "127.0.0.1", "-p", "0", "--interval", "7s"}, nil, stdout, &stderr)
	}()
	first := stdout.next(t)
	addr, ok := strings.CutPrefix(first, "tracker listening on 127.0.0.1:")
	if !ok {
		t.Fatalf("first line %q; stderr %q", first, stderr.String())
	}
	base := "http://127.0.0.1:" + addr
	if l := stdout.next(t); l != "announce at "+base+"/announce, swarms at "+base+"/ (interval 7s; a peer expires after 14s)" {
		t.Errorf("second line %q", l)
	}

	ctx := context.Background()
	tid := "84e199cad6b953eee0c9b6d8b72612ddb2488999"
	alice := tracker.Request{PeerID: tracker.PeerID("alice"), Port: 7001, TorrentID: tid}
	bob := tracker.Request{PeerID: tracker.PeerID("bob"), Port: 7002, TorrentID: tid}
	if _, err := tracker.Announce(ctx, nil, base+"/announce", alice); err != nil {
		t.Fatal(err)
	}
	r, err := tracker.Announce(ctx, nil, base+"/announce", bob)
	if err != nil || r.Interval != 7*time.Second || len(r.Peers) != 1 || r.Peers[0].ID != "-ECEN426-alice" || r.Peers[0].Addr.String() != "127.0.0.1:7001" {
		t.Fatalf("bob: %+v, %v", r, err)
	}
	for _, who := range []string{`joined "-ECEN426-alice" 127.0.0.1:7001 torrent ` + tid + ": 1 peer",
		`joined "-ECEN426-bob" 127.0.0.1:7002 torrent ` + tid + ": 2 peers"} {
		if l := stdout.next(t); !strings.HasSuffix(l, who) {
			t.Errorf("line %q, want it to end %q", l, who)
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "nibble "+tid+": 2 peers\n") || !strings.Contains(string(page), "-ECEN426-bob") {
		t.Errorf("status page:\n%s", page)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case status := <-done:
		if status != ExitOK || stderr.Len() != 0 {
			t.Errorf("status %d, stderr %q", status, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10s after SIGINT")
	}
	if l := stdout.next(t); l != "tracker stopped" {
		t.Errorf("last line %q", l)
	}
	if _, err := net.Dial("tcp", "127.0.0.1:"+addr); err == nil {
		t.Error("still listening after it stopped")
	}
}
