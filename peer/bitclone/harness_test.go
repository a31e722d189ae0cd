package bitclone

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// fastConfig shrinks every protocol interval so a loopback network lives a
// whole life in seconds.
func fastConfig(t *testing.T) Config {
	return Config{
		ListenHost:        "127.0.0.1",
		UserAgent:         "test",
		PingInterval:      150 * time.Millisecond,
		IdleTimeout:       1500 * time.Millisecond,
		AdvertiseInterval: 200 * time.Millisecond,
		HandshakeTimeout:  2 * time.Second,
		SaveInterval:      300 * time.Millisecond,
		RetryBase:         100 * time.Millisecond,
		RetryMax:          time.Second,
	}
}

// freeLoopbackPort returns a loopback address whose port was free a moment
// ago, for a node started later on it.
func freeLoopbackPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// testNode is a node running on loopback, with its events recorded.
type testNode struct {
	*Node
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{} // closed when Run and the event reader have returned

	mu     sync.Mutex
	events []peer.Event
}

// changed is signalled (lossily) whenever any test node sees an event, so
// waits re-check their condition exactly when something happened.
type network struct {
	t       *testing.T
	changed chan struct{}
	nodes   []*testNode
}

func newNetwork(t *testing.T) *network {
	return &network{t: t, changed: make(chan struct{}, 1)}
}

// start runs a node; cfg.Port 0 picks a free port.
func (w *network) start(cfg Config, opts ...Option) *testNode {
	w.t.Helper()
	n := New(cfg, opts...)
	if err := n.Listen(); err != nil {
		w.t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{Node: n, t: w.t, cancel: cancel, done: make(chan struct{})}
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		if err := n.Run(ctx); err != nil {
			w.t.Errorf("run: %v", err)
		}
	}()
	go func() {
		defer close(tn.done)
		for batch := range n.Events() {
			tn.mu.Lock()
			tn.events = append(tn.events, batch...)
			tn.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
		}
		<-runDone
	}()
	w.nodes = append(w.nodes, tn)
	w.t.Cleanup(tn.stop)
	return tn
}

// stop ends the node and waits for every goroutine it started.
func (tn *testNode) stop() {
	tn.cancel()
	<-tn.done
}

// eventsMatching returns the recorded events of kind whose text contains sub.
func (tn *testNode) eventsMatching(kind peer.Kind, sub string) []peer.Event {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	var out []peer.Event
	for _, e := range tn.events {
		if e.Kind == kind && strings.Contains(e.Text, sub) {
			out = append(out, e)
		}
	}
	return out
}

// waitUntil re-checks cond whenever a node reports an event (and at least
// every 100 ms, for conditions that only the passing of time makes true),
// failing the test after timeout.
func (w *network) waitUntil(timeout time.Duration, what string, cond func() error) {
	w.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-w.changed:
		case <-tick.C:
		case <-deadline.C:
			w.t.Fatalf("after %s, still not %s: %v", timeout, what, err)
		}
	}
}

func (tn *testNode) established() int {
	s := tn.Snapshot()
	return s.Inbound + s.Outbound
}

func peersFileIn(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

func mustAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func describe(n *testNode) string {
	s := n.Snapshot()
	return fmt.Sprintf("%s: %d in + %d out, %d addrs", s.Listen, s.Inbound, s.Outbound, len(s.Addrs))
}
