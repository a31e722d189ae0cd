package bitclone

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/crawl"
	"github.com/bitclone/bitclone/peer"
	node "github.com/bitclone/bitclone/peer/bitclone"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// testTimeout is the crawl's wait for an answer in tests: the silent fakes
// cost it once each.
const testTimeout = time.Second

// network is bitclone nodes on loopback, each started with one earlier
// node to dial, so that gossip must make the rest known.
type network struct {
	t     testing.TB
	nodes []*node.Node

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when any node has news
}

func startNetwork(t testing.TB, n int) *network {
	t.Helper()
	w := &network{t: t, changed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := range n {
		node := node.New(node.Config{
			ListenHost:        "127.0.0.1",
			UserAgent:         fmt.Sprintf("node-%d", i),
			Target:            3,
			PingInterval:      time.Second,
			IdleTimeout:       time.Minute, // no address goes stale during a test
			AdvertiseInterval: 300 * time.Millisecond,
			HandshakeTimeout:  2 * time.Second,
			RetryBase:         100 * time.Millisecond,
			RetryMax:          time.Second,
			PeersFile:         fmt.Sprintf("%s/peers-%d", t.TempDir(), i),
		})
		if err := node.Listen(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := node.Run(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("node %d: %v", i, err)
			}
		})
		wg.Go(func() {
			for range node.Events() {
				w.mu.Lock()
				close(w.changed)
				w.changed = make(chan struct{})
				w.mu.Unlock()
			}
		})
		w.nodes = append(w.nodes, node)
		if i > 0 {
			w.connect(i, w.nodes[(i-1)/2].Addr())
		}
	}
	return w
}

// connect has node i dial a.
func (w *network) connect(i int, a netip.AddrPort) {
	w.t.Helper()
	if err := w.nodes[i].Do(peer.Command{Op: peer.OpConnect, Targets: []string{a.String()}}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *network) addrs() []netip.AddrPort {
	var out []netip.AddrPort
	for _, n := range w.nodes {
		out = append(out, n.Addr())
	}
	return out
}

// book is node i's live addresses as its getaddr answer gives them: not
// itself, nor the asker.
func (w *network) book(i int, asker netip.AddrPort) []netip.AddrPort {
	live, _ := w.bookSure(i, asker)
	return live
}

// bookSure is book, and within it the addresses its getaddr answer surely
// gives: a node leaves out an address it never reached once a dial to it
// failed, and the snapshot tells only that a dial failed (Attempts).
func (w *network) bookSure(i int, asker netip.AddrPort) (live, sure []netip.AddrPort) {
	for _, a := range w.nodes[i].Snapshot().Addrs {
		ap, err := netip.ParseAddrPort(a.Addr)
		if err != nil {
			w.t.Fatalf("node %d's book holds %q", i, a.Addr)
		}
		if a.Live && ap != asker && ap != w.nodes[i].Addr() {
			live = append(live, ap)
			if a.Attempts == 0 {
				sure = append(sure, ap)
			}
		}
	}
	slices.SortFunc(live, netip.AddrPort.Compare)
	slices.SortFunc(sure, netip.AddrPort.Compare)
	return live, sure
}

// waitKnown waits until every node's book holds every address in want as
// live (checked again whenever a node has news).
func (w *network) waitKnown(want []netip.AddrPort) {
	w.t.Helper()
	deadline := time.After(nodetest.WaitLimit)
	for {
		w.mu.Lock()
		changed := w.changed
		w.mu.Unlock()
		missing := ""
		for i := range w.nodes {
			got := w.book(i, netip.AddrPort{})
			for _, a := range want {
				if a != w.nodes[i].Addr() && !slices.Contains(got, a) {
					missing = fmt.Sprintf("node %d does not know %s", i, a)
				}
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			w.t.Fatalf("gossip did not spread within %s: %s", nodetest.WaitLimit, missing)
		}
	}
}

// shakeWith dials a and completes a handshake as a plain BitClone client:
// whether a answers like a peer.
func shakeWith(t *testing.T, a netip.AddrPort) error {
	t.Helper()
	c, err := net.DialTimeout("tcp", a.String(), testTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * testTimeout))
	me := c.LocalAddr().(*net.TCPAddr).AddrPort()
	c.Write(wire.Version{Version: wire.ProtocolVersion, Services: wire.ServiceP2P, Time: time.Now().Unix(),
		Recipient: a, Sender: me, Nonce: 5, UserAgent: "test"}.AppendWire(nil))
	r := bufio.NewReader(c)
	gotVersion, gotVerack := false, false
	for !gotVersion || !gotVerack {
		m, l, ok := readLine(r)
		if !ok {
			return fmt.Errorf("%s closed during the handshake", a)
		}
		switch m.(type) {
		case wire.Version:
			gotVersion = true
		case wire.Verack:
			gotVerack = true
		default:
			return fmt.Errorf("%s sent %q during the handshake", a, l)
		}
	}
	return nil
}

// TestCrawlNetwork crawls ten nodes and the fakes from one seed: every
// reachable peer found, each fake's fault named, the edges what each
// node's book holds, and no address of ours in any book but the one we
// listened on, which answered while the crawl lasted.
func TestCrawlNetwork(t *testing.T) {
	testCrawlNetwork(t, 10)
}

// TestCrawlNetwork30 is the thirty nodes.
func TestCrawlNetwork30(t *testing.T) {
	if testing.Short() {
		t.Skip("30 nodes: not with -short")
	}
	testCrawlNetwork(t, 30)
}

func testCrawlNetwork(t *testing.T, n int) {
	w := startNetwork(t, n)
	refused := closedPort(t)
	fakes := map[string]*fake{
		"silent":           startFake(t, silent),
		"noverack":         startFake(t, noVerack),
		"hangup":           startFake(t, hangUp),
		"http":             startFake(t, httpServer),
		"close-on-getaddr": startFake(t, closeOnGetAddr),
		"early-pong":       startFake(t, earlyPong),
	}
	var listed []netip.AddrPort
	for _, f := range fakes {
		listed = append(listed, f.addr)
	}
	listed = append(listed, refused)
	g := startFake(t, gossiper(func() []netip.AddrPort { return listed }))
	w.connect(0, g.addr)
	w.waitKnown(append(w.addrs(), g.addr))

	ctx := context.Background()
	c, err := New(ctx, []netip.AddrPort{w.nodes[n-1].Addr()}, "127.0.0.1:0", Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	us := c.Us()
	if err := shakeWith(t, us); err != nil {
		t.Errorf("our listener %s does not answer during the crawl: %v", us, err)
	}
	books, sure := make([][]netip.AddrPort, n), make([][]netip.AddrPort, n)
	for i := range w.nodes {
		books[i], sure[i] = w.bookSure(i, us)
	}
	c.Close()
	t.Logf("the crawl:\n%s", table(r))

	// Every node, the gossiper, every fake and the closed port, once each.
	if want := n + 1 + len(fakes) + 1; len(r.Peers) != want {
		t.Errorf("the crawl met %d addresses, want %d:\n%s", len(r.Peers), want, table(r))
	}
	for i, node := range w.nodes {
		p, ok := r.Peer(node.Addr())
		if !ok || p.Status != crawl.Reachable {
			t.Errorf("node %d (%s) not reachable in the crawl:\n%s", i, node.Addr(), table(r))
			continue
		}
		if want := fmt.Sprintf("node-%d", i); p.Agent != want {
			t.Errorf("node %d: agent %q, want %q", i, p.Agent, want)
		}
		if p.RTT <= 0 || p.Handshake <= 0 || p.Version != wire.ProtocolVersion {
			t.Errorf("node %d: rtt %v, handshake %v, version %d", i, p.RTT, p.Handshake, p.Version)
		}
		if ap, err := netip.ParseAddrPort(p.SeenAs); err != nil || ap.Addr() != us.Addr() {
			t.Errorf("node %d saw us as %q, want an address of %s", i, p.SeenAs, us.Addr())
		}
		knows := slices.SortedFunc(slices.Values(p.Knows), netip.AddrPort.Compare)
		for _, a := range knows {
			if !slices.Contains(books[i], a) {
				t.Errorf("node %d: an edge to %s, which its book does not hold live (%v)", i, a, books[i])
			}
		}
		for _, a := range sure[i] {
			if !slices.Contains(knows, a) {
				t.Errorf("node %d: no edge to %s, which its book holds live (%v)", i, a, knows)
			}
		}
	}
	for name, want := range map[string]struct {
		status crawl.Status
		reason string
	}{
		"silent":           {crawl.Timeout, "version and verack"},
		"noverack":         {crawl.Timeout, "its verack"},
		"hangup":           {crawl.Closed, "closed"},
		"http":             {crawl.NotBitClone, "HTTP/1.1 400"},
		"close-on-getaddr": {crawl.Reachable, "getaddr: the peer closed the connection"},
		"early-pong":       {crawl.Reachable, ""},
	} {
		p, ok := r.Peer(fakes[name].addr)
		if !ok || p.Status != want.status || !strings.Contains(p.Reason, want.reason) || (want.reason == "" && p.Reason != "") {
			t.Errorf("fake %s: got %+v, want %s with %q", name, p, want.status, want.reason)
		}
		if got := fakes[name].calls.Load(); got != 1 {
			t.Errorf("fake %s: called on %d times in one round, want once", name, got)
		}
	}
	p, ok := r.Peer(refused)
	if !ok || p.Status != crawl.Refused || !p.Gossiped() || !slices.Equal(p.KnownBy, []netip.AddrPort{g.addr}) {
		t.Errorf("closed port: got %+v, want refused, gossiped by %s", p, g.addr)
	}
	if p.LastSeen.IsZero() {
		t.Errorf("closed port: no last seen from the gossip")
	}

	// No trace: every address in every book is a node, the gossiper or
	// our listener; nothing else of ours (an ephemeral port) got in.
	allowed := append(w.addrs(), g.addr, us)
	for i := range w.nodes {
		for _, a := range w.nodes[i].Snapshot().Addrs {
			ap, _ := netip.ParseAddrPort(a.Addr)
			if !slices.Contains(allowed, ap) {
				t.Errorf("node %d's book holds %s, where nobody listens", i, a.Addr)
			}
		}
	}
}

func table(r *crawl.Result) string {
	var b strings.Builder
	crawl.WriteTable(&b, r)
	return b.String()
}

// TestCrawlCheck scores every reachable peer: a node passes, the fake that
// answers pings before the handshake fails early-ping, the one that hangs
// up on getaddr fails getaddr, and the one that crashes under a probe is
// reported so, and not checked again in the next round, though it is back.
func TestCrawlCheck(t *testing.T) {
	w := startNetwork(t, 2)
	early, closer := startFake(t, earlyPong), startFake(t, closeOnGetAddr)
	crasher := startFake(t, crashOnUnknown)
	listed := []netip.AddrPort{early.addr, closer.addr, crasher.addr}
	g := startFake(t, gossiper(func() []netip.AddrPort { return listed }))
	w.connect(0, g.addr)
	w.waitKnown(append(w.addrs(), g.addr))

	ctx := context.Background()
	var progress []crawl.Peer
	c, err := New(ctx, []netip.AddrPort{w.nodes[0].Addr()}, "127.0.0.1:0", Options{
		Timeout: testTimeout, Check: true, Progress: func(p crawl.Peer) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("round 1:\n%s", table(r))
	score := func(r *crawl.Result, a netip.AddrPort) *crawl.Score {
		t.Helper()
		p, ok := r.Peer(a)
		if !ok || p.Score == nil {
			t.Fatalf("%s: no score:\n%s", a, table(r))
		}
		return p.Score
	}
	for _, node := range w.nodes {
		if s := score(r, node.Addr()); s.Fail != 0 || s.Crashed != "" || s.Pass == 0 || s.Report == nil {
			t.Errorf("node %s: %+v, want no failure", node.Addr(), s)
		}
	}
	if s := score(r, early.addr); !slices.Contains(s.Failed, "early-ping") {
		t.Errorf("early-pong: failed %v, want early-ping among them", s.Failed)
	}
	if s := score(r, closer.addr); !slices.Contains(s.Failed, "getaddr") {
		t.Errorf("close-on-getaddr: failed %v, want getaddr among them", s.Failed)
	}
	s := score(r, crasher.addr)
	if s.Crashed != "unknown-command" || s.Refused {
		t.Errorf("crasher: crashed %q (refused %v), want a crash under unknown-command", s.Crashed, s.Refused)
	}
	if got := r.Summary().Crashed; got != 1 {
		t.Errorf("summary: %d crashed, want 1", got)
	}
	if !strings.Contains(table(r), "crashed under unknown-command") {
		t.Errorf("the table does not say the crash:\n%s", table(r))
	}
	// Every peer was reported as its visit ended, and the checked ones
	// again with their score.
	scored := 0
	for _, p := range progress {
		if p.Score != nil {
			scored++
		}
	}
	if want := len(w.nodes) + 4; scored != want {
		t.Errorf("progress gave %d scores, want %d", scored, want)
	}

	crasher.restart(t, crashOnUnknown)
	before := crasher.calls.Load()
	r2, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := r2.Peer(crasher.addr); p.Status != crawl.Reachable || p.Score == nil || p.Score.Crashed != "unknown-command" {
		t.Errorf("round 2, crasher: %+v, want reachable with its old score", p)
	}
	if got := crasher.calls.Load() - before; got != 1 {
		t.Errorf("round 2: %d connections to the crasher, want 1 (the visit; no check again)", got)
	}
}

// A round calls on the peers the last one reached, though nobody gossips
// them any more: one still up is reached, one gone down is seen to refuse.
func TestCrawlRemembersReached(t *testing.T) {
	w := startNetwork(t, 1)
	up, down := startFake(t, earlyPong), startFake(t, earlyPong)
	var listed atomic.Pointer[[]netip.AddrPort]
	listed.Store(&[]netip.AddrPort{up.addr, down.addr})
	g := startFake(t, gossiper(func() []netip.AddrPort { return *listed.Load() }))
	w.connect(0, g.addr)
	w.waitKnown([]netip.AddrPort{g.addr})

	ctx := context.Background()
	c, err := New(ctx, []netip.AddrPort{w.nodes[0].Addr()}, "127.0.0.1:0", Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r1, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	listed.Store(&[]netip.AddrPort{})
	down.srv.Close()
	r2, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := r2.Peer(up.addr); !ok || p.Status != crawl.Reachable || len(p.KnownBy) != 0 {
		t.Errorf("round 2, the fake still up: %+v, want reachable and gossiped by nobody:\n%s", p, table(r2))
	}
	if p, ok := r2.Peer(down.addr); !ok || p.Status != crawl.Refused {
		t.Errorf("round 2, the fake gone down: %+v, want refused:\n%s", p, table(r2))
	}
	changes := crawl.Diff(r1, r2)
	if len(changes) != 1 || changes[0].Kind != crawl.Gone || changes[0].Addr != down.addr {
		t.Errorf("changes %+v, want the one gone down", changes)
	}
}

// Past MaxPeers addresses, a round calls on no more and says it stopped.
func TestCrawlMaxPeers(t *testing.T) {
	var closed []netip.AddrPort
	for range 5 {
		closed = append(closed, closedPort(t))
	}
	g := startFake(t, gossiper(func() []netip.AddrPort { return closed }))
	ctx := context.Background()
	c, err := New(ctx, []netip.AddrPort{g.addr}, "127.0.0.1:0", Options{Timeout: testTimeout, MaxPeers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Peers) != 3 || !r.Truncated || !strings.Contains(table(r), "stopped at 3 peers") {
		t.Errorf("%d peers, truncated %v, want 3 and truncated:\n%s", len(r.Peers), r.Truncated, table(r))
	}
	if p, _ := r.Peer(g.addr); len(p.Knows) != 5 {
		t.Errorf("the gossiper's edges: %v, want all 5 though 2 were not called on", p.Knows)
	}
}

// A round cut short returns at once with what it has: the visit in flight
// is not blamed on its peer, what was not called on is unvisited.
func TestCrawlInterrupted(t *testing.T) {
	w := startNetwork(t, 1)
	quiet := startFake(t, silent)
	g := startFake(t, gossiper(func() []netip.AddrPort { return nil }))
	w.connect(0, g.addr)
	w.waitKnown([]netip.AddrPort{g.addr})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := New(ctx, []netip.AddrPort{w.nodes[0].Addr(), quiet.addr}, "127.0.0.1:0", Options{
		Timeout: time.Hour, // only the end of the crawl ends the silent fake's visit
		Progress: func(p crawl.Peer) {
			if p.Addr == w.nodes[0].Addr() {
				cancel()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Round(ctx)
	if err != context.Canceled {
		t.Errorf("Round: %v, want context.Canceled", err)
	}
	for a, want := range map[netip.AddrPort]crawl.Status{w.nodes[0].Addr(): crawl.Reachable, quiet.addr: crawl.Unvisited, g.addr: crawl.Unvisited} {
		if p, ok := r.Peer(a); !ok || p.Status != want {
			t.Errorf("%s: %+v, want %s:\n%s", a, p, want, table(r))
		}
	}
}

// countingNet is the real network, counting our open connections per
// peer: the most ever open to each at once.
type countingNet struct {
	check.TCP
	mu       sync.Mutex
	open     map[string]int
	mostOpen map[string]int
}

func (n *countingNet) Dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	c, err := n.TCP.Dial(ctx, addr, timeout)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.open[addr]++
	n.mostOpen[addr] = max(n.mostOpen[addr], n.open[addr])
	n.mu.Unlock()
	return &countedConn{Conn: c, closed: sync.OnceFunc(func() {
		n.mu.Lock()
		n.open[addr]--
		n.mu.Unlock()
	})}, nil
}

type countedConn struct {
	net.Conn
	closed func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.closed()
	return err
}

// Never two connections of ours to one peer at once: not the visit and
// the check, not two probes, with every peer checked.
func TestCrawlOneConnectionPerPeer(t *testing.T) {
	w := startNetwork(t, 3)
	early := startFake(t, earlyPong)
	g := startFake(t, gossiper(func() []netip.AddrPort { return []netip.AddrPort{early.addr} }))
	w.connect(0, g.addr)
	w.waitKnown(append(w.addrs(), g.addr))

	nw := &countingNet{open: map[string]int{}, mostOpen: map[string]int{}}
	ctx := context.Background()
	c, err := New(ctx, []netip.AddrPort{w.nodes[0].Addr()}, "127.0.0.1:0", Options{Timeout: testTimeout, Check: true, Network: nw})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Summary(); s.Checked != len(w.nodes)+2 {
		t.Fatalf("%d checked, want %d:\n%s", s.Checked, len(w.nodes)+2, table(r))
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if len(nw.mostOpen) != len(w.nodes)+2 {
		t.Errorf("connections to %d peers, want %d: %v", len(nw.mostOpen), len(w.nodes)+2, nw.mostOpen)
	}
	for addr, most := range nw.mostOpen {
		if most != 1 {
			t.Errorf("%s: %d connections of ours at once", addr, most)
		}
		if nw.open[addr] != 0 {
			t.Errorf("%s: %d connections of ours left open", addr, nw.open[addr])
		}
	}
}
