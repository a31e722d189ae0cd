// Package nodetest runs a swarm node in a test and waits on what it says:
// the harness the dialects' multi-node tests share (loopback only). No
// program imports it.
package nodetest

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// WaitLimit bounds every wait: far beyond what a download of a few
// megabytes on loopback takes under -race, so that only a hang trips it.
const WaitLimit = 60 * time.Second

// Node is what the harness needs of a node.
type Node interface {
	Run(ctx context.Context) error
	Events() <-chan []peer.Event
	Completed() <-chan struct{}
	Snapshot() peer.Snapshot
}

// Start binds n (New's result, with err) and runs it as Run does.
func Start[N interface {
	Node
	Listen() error
}](t testing.TB, n N, err error) (N, *Running) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	return n, Run(t, n)
}

// Running is a running node and everything it has said.
type Running struct {
	t    testing.TB
	stop func()

	mu      sync.Mutex
	events  []peer.Event
	changed chan struct{} // closed and replaced on every batch
	ended   chan struct{} // the event channel closed
}

// Run starts n (bound already) and collects its events until Stop or the
// end of the test.
func Run(t testing.TB, n Node) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{t: t, changed: make(chan struct{}), ended: make(chan struct{})}
	ran := make(chan error, 1)
	go func() { ran <- n.Run(ctx) }()
	go func() {
		defer close(r.ended)
		for batch := range n.Events() {
			r.mu.Lock()
			r.events = append(r.events, batch...)
			close(r.changed)
			r.changed = make(chan struct{})
			r.mu.Unlock()
		}
	}()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-ran; err != nil {
				t.Errorf("Run: %v", err)
			}
			<-r.ended
		})
	}
	t.Cleanup(r.stop)
	return r
}

// Stop stops the node and waits until it has ended.
func (r *Running) Stop() { r.stop() }

// WaitEvent waits for an event that ok accepts and returns it.
func (r *Running) WaitEvent(what string, ok func(peer.Event) bool) peer.Event {
	r.t.Helper()
	deadline := time.After(WaitLimit)
	seen := 0
	for {
		r.mu.Lock()
		evs, ch := r.events[seen:], r.changed
		seen = len(r.events)
		r.mu.Unlock()
		for _, e := range evs {
			if ok(e) {
				return e
			}
		}
		select {
		case <-ch:
		case <-r.ended:
			r.t.Fatalf("the node stopped before %s:\n%s", what, r.Log())
		case <-deadline:
			r.t.Fatalf("no %s within %s:\n%s", what, WaitLimit, r.Log())
		}
	}
}

// WaitText waits for an event of kind whose text contains sub.
func (r *Running) WaitText(kind peer.Kind, sub string) peer.Event {
	r.t.Helper()
	return r.WaitEvent(kind.String()+" "+sub, func(e peer.Event) bool {
		return e.Kind == kind && strings.Contains(e.Text, sub)
	})
}

// Wait waits for ch to close.
func (r *Running) Wait(what string, ch <-chan struct{}) {
	r.t.Helper()
	select {
	case <-ch:
	case <-time.After(WaitLimit):
		r.t.Fatalf("no %s within %s:\n%s", what, WaitLimit, r.Log())
	}
}

// Log is every event so far but frames, one per line, for a failure
// message.
func (r *Running) Log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		if e.Kind == peer.KindRecv || e.Kind == peer.KindSend {
			continue
		}
		b.WriteString(e.Kind.String() + " " + e.Peer + " " + e.Text + "\n")
	}
	return b.String()
}

// Seen is a copy of every event so far.
func (r *Running) Seen() []peer.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]peer.Event(nil), r.events...)
}

// Count is how many events so far ok accepts.
func (r *Running) Count(ok func(peer.Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if ok(e) {
			n++
		}
	}
	return n
}

// Listen is a listener on a free loopback port.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// AddrOf is a listener's address.
func AddrOf(ln net.Listener) netip.AddrPort {
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// Pattern is size bytes that differ from piece to piece.
func Pattern(size int, seed byte) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31+i>>10) ^ seed
	}
	return data
}
