package nibble

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
)

// waitLimit bounds every wait of these tests: far beyond what a download
// of a few megabytes on loopback takes under -race, so that only a hang
// trips it.
const waitLimit = 60 * time.Second

// testTorrent describes data in pieces of pieceSize.
func testTorrent(t testing.TB, data []byte, pieceSize int) *nibble.Torrent {
	t.Helper()
	tor, err := nibble.MakeTorrent(bytes.NewReader(data), "file.bin", "http://127.0.0.1:1/announce", pieceSize)
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

// listenLoopback is a listener on a free loopback port.
func listenLoopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func mustAddr(t testing.TB, s string) netip.AddrPort {
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func addrOf(ln net.Listener) netip.AddrPort {
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// startSeeder serves data as a fake classmate's peer with quirks.
func startSeeder(t testing.TB, tor *nibble.Torrent, data []byte, q fakepeer.Quirks, has func(int) bool) (*fakepeer.Seeder, netip.AddrPort) {
	t.Helper()
	ln := listenLoopback(t)
	s := &fakepeer.Seeder{ID: tor.ID, PieceSize: tor.PieceSize, Data: data, Quirks: q, Has: has}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return s, addrOf(ln)
}

// fastConfig is a node's configuration with the timers of a test: dials
// retried, bitfields refreshed and the loop run within milliseconds.
func fastConfig(tor *nibble.Torrent, dir string) Config {
	return Config{
		Torrent: tor, Dir: dir, NetID: "tester", ListenHost: "127.0.0.1", NoTracker: true,
		Tick: 10 * time.Millisecond, RehelloInterval: 20 * time.Millisecond,
		RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		ProgressEvery: 50 * time.Millisecond,
	}
}

// testNode is a running node and everything it has said.
type testNode struct {
	*Node
	t    testing.TB
	dir  string
	stop func()

	mu      sync.Mutex
	events  []peer.Event
	changed chan struct{} // closed and replaced on every batch
	ended   chan struct{} // the event channel closed
}

// runNode starts a node on cfg and collects its events until the test ends.
func runNode(t testing.TB, cfg Config, opts ...Option) *testNode {
	t.Helper()
	n, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{Node: n, t: t, dir: cfg.Dir, changed: make(chan struct{}), ended: make(chan struct{})}
	ran := make(chan error, 1)
	go func() { ran <- n.Run(ctx) }()
	go func() {
		defer close(tn.ended)
		for batch := range n.Events() {
			tn.mu.Lock()
			tn.events = append(tn.events, batch...)
			close(tn.changed)
			tn.changed = make(chan struct{})
			tn.mu.Unlock()
		}
	}()
	var once sync.Once
	tn.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-ran; err != nil {
				t.Errorf("Run: %v", err)
			}
			<-tn.ended
		})
	}
	t.Cleanup(tn.stop)
	return tn
}

// waitEvent waits for an event that ok accepts and returns it.
func (tn *testNode) waitEvent(what string, ok func(peer.Event) bool) peer.Event {
	tn.t.Helper()
	deadline := time.After(waitLimit)
	seen := 0
	for {
		tn.mu.Lock()
		evs, ch := tn.events[seen:], tn.changed
		seen = len(tn.events)
		tn.mu.Unlock()
		for _, e := range evs {
			if ok(e) {
				return e
			}
		}
		select {
		case <-ch:
		case <-tn.ended:
			tn.t.Fatalf("the node stopped before %s:\n%s", what, tn.log())
		case <-deadline:
			tn.t.Fatalf("no %s within %s:\n%s", what, waitLimit, tn.log())
		}
	}
}

// waitText waits for an event of kind whose text contains sub.
func (tn *testNode) waitText(kind peer.Kind, sub string) peer.Event {
	tn.t.Helper()
	return tn.waitEvent(kind.String()+" "+sub, func(e peer.Event) bool {
		return e.Kind == kind && strings.Contains(e.Text, sub)
	})
}

// waitComplete waits until the file is complete and checks its bytes.
func (tn *testNode) waitComplete(want []byte) {
	tn.t.Helper()
	select {
	case <-tn.Completed():
	case <-time.After(waitLimit):
		tn.t.Fatalf("not complete within %s: %+v\n%s", waitLimit, tn.Snapshot().Progress, tn.log())
	}
	got, err := os.ReadFile(filepath.Join(tn.dir, tn.t0().FileName))
	if err != nil {
		tn.t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tn.t.Fatalf("the downloaded file differs from the original (%d bytes, want %d)", len(got), len(want))
	}
}

func (tn *testNode) t0() *nibble.Torrent { return tn.cfg.Torrent }

// log is every event so far, one per line, for a failure message.
func (tn *testNode) log() string {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	var b strings.Builder
	for _, e := range tn.events {
		if e.Kind == peer.KindRecv || e.Kind == peer.KindSend {
			continue
		}
		b.WriteString(e.Kind.String() + " " + e.Peer + " " + e.Text + "\n")
	}
	return b.String()
}

// count is how many events ok accepts.
func (tn *testNode) count(ok func(peer.Event) bool) int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	n := 0
	for _, e := range tn.events {
		if ok(e) {
			n++
		}
	}
	return n
}

// pattern is size bytes that differ from piece to piece.
func pattern(size int, seed byte) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31+i>>10) ^ seed
	}
	return data
}
