package bitclone

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// These tests run inside testing/synctest bubbles: time is fake and moves
// only when every goroutine is blocked, so a 90 s timeout takes no time.
// Connections are net.Pipe pairs with made-up addresses; nothing touches
// the network.

// addrConn gives a pipe end TCP addresses.
type addrConn struct {
	net.Conn
	local, remote netip.AddrPort
}

func (c addrConn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }
func (c addrConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// pipeListener hands the node connections the test makes.
type pipeListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error { l.closeOnce.Do(func() { close(l.closed) }); return nil }
func (l *pipeListener) Addr() net.Addr {
	return net.TCPAddrFromAddrPort(mustAddr("127.0.0.1:8088"))
}

// remote is the scripted far end of one connection.
type remote struct {
	t     *testing.T
	conn  net.Conn
	addr  netip.AddrPort // the remote's address as the node sees it
	lines chan string    // what the node sent, one line each, closed at EOF
}

func newRemote(t *testing.T, conn net.Conn, addr netip.AddrPort) *remote {
	r := &remote{t: t, conn: conn, addr: addr, lines: make(chan string, 4096)}
	go func() {
		defer close(r.lines)
		rd := wire.NewReader(conn, 0)
		for {
			line, err := rd.Next()
			if err != nil {
				return
			}
			r.lines <- string(line)
		}
	}()
	return r
}

func (r *remote) send(line string) {
	r.t.Helper()
	if _, err := r.conn.Write([]byte(line + "\r\n")); err != nil {
		r.t.Fatalf("remote %s: write %q: %v", r.addr, line, err)
	}
}

// expect returns the next line the node sent and checks its prefix.
func (r *remote) expect(prefix string) string {
	r.t.Helper()
	select {
	case line, ok := <-r.lines:
		if !ok {
			r.t.Fatalf("remote %s: connection closed while waiting for %q", r.addr, prefix)
		}
		if !strings.HasPrefix(line, prefix) {
			r.t.Fatalf("remote %s: got %q, want prefix %q", r.addr, line, prefix)
		}
		return line
	case <-time.After(time.Hour):
		r.t.Fatalf("remote %s: nothing received, want %q", r.addr, prefix)
	}
	return ""
}

// expectClosed drains until the node closes the connection.
func (r *remote) expectClosed() []string {
	r.t.Helper()
	var rest []string
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				return rest
			}
			rest = append(rest, line)
		case <-time.After(time.Hour):
			r.t.Fatalf("remote %s: connection still open", r.addr)
		}
	}
}

// pipeNode is a node served through a pipe listener and a pipe dialer.
type pipeNode struct {
	*Node
	t       *testing.T
	ln      *pipeListener
	dialled chan *remote // far ends of the node's outbound connections
	cancel  context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex
	events  []peer.Event
	refused map[netip.AddrPort]bool // dials to these fail as refused TCP dials do
	dials   map[netip.AddrPort]int  // dials started, per address
}

// refuse makes dials to a fail, or succeed again.
func (pn *pipeNode) refuse(a netip.AddrPort, refused bool) {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	pn.refused[a] = refused
}

func (pn *pipeNode) dialCount(a netip.AddrPort) int {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	return pn.dials[a]
}

func startPipeNode(t *testing.T, cfg Config, opts ...Option) *pipeNode {
	pn := &pipeNode{t: t, ln: newPipeListener(), dialled: make(chan *remote, 16), done: make(chan struct{}),
		refused: map[netip.AddrPort]bool{}, dials: map[netip.AddrPort]int{}}
	dial := func(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
		pn.mu.Lock()
		pn.dials[a]++
		refused := pn.refused[a]
		pn.mu.Unlock()
		if refused {
			// What net.Dial returns, word for word.
			return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(a), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}
		ours, theirs := net.Pipe()
		local := mustAddr("127.0.0.1:40000")
		pn.dialled <- newRemote(t, addrConn{theirs, a, local}, a)
		return addrConn{ours, local, a}, nil
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "node"
	}
	pn.Node = New(cfg, append([]Option{WithListener(pn.ln), WithDialer(dial), WithSeed(1)}, opts...)...)
	if err := pn.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pn.cancel = cancel
	go func() {
		defer close(pn.done)
		go pn.Run(ctx)
		for batch := range pn.Events() {
			pn.mu.Lock()
			pn.events = append(pn.events, batch...)
			pn.mu.Unlock()
		}
	}()
	t.Cleanup(pn.stop)
	return pn
}

func (pn *pipeNode) stop() {
	pn.cancel()
	<-pn.done
}

// connect opens an inbound connection from addr.
func (pn *pipeNode) connect(addr string) *remote {
	ours, theirs := net.Pipe()
	a := mustAddr(addr)
	local := mustAddr("127.0.0.1:8088")
	pn.ln.conns <- addrConn{ours, local, a}
	return newRemote(pn.t, addrConn{theirs, a, local}, a)
}

func (pn *pipeNode) eventTexts(kind peer.Kind) []string {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	var out []string
	for _, e := range pn.events {
		if e.Kind == kind {
			out = append(out, e.Text)
		}
	}
	return out
}

// eventCount is how many events of kind the node published: those
// delivered, and those a summary of the bus stands for (a reader that fell
// behind gets a summary past peer.MaxQueuedNotices).
func (pn *pipeNode) eventCount(kind peer.Kind) uint64 {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	var n uint64
	for _, e := range pn.events {
		if e.Kind == kind {
			n += max(1, e.Suppressed)
		}
	}
	return n
}

func (pn *pipeNode) hasEvent(kind peer.Kind, sub string) bool {
	for _, text := range pn.eventTexts(kind) {
		if strings.Contains(text, sub) {
			return true
		}
	}
	return false
}

// versionFrom is a valid version line from the remote at addr (listening on its port).
func versionFrom(addr string, nonce uint64) string {
	return fmt.Sprintf("version|3|1|%d|127.0.0.1:8088|%s|%d|classmate|0", time.Now().Unix(), addr, nonce)
}

// handshakeIn completes an inbound handshake from addr and returns the remote.
func (pn *pipeNode) handshakeIn(addr string) *remote {
	return pn.handshakeInWithNonce(addr, addr, 4242)
}

// handshakeInWithNonce completes an inbound handshake from addr, by a peer
// listening on listen whose version nonce is nonce.
func (pn *pipeNode) handshakeInWithNonce(addr, listen string, nonce uint64) *remote {
	r := pn.connect(addr)
	r.send(versionFrom(listen, nonce))
	r.expect(fmt.Sprintf("verack|%d", nonce))
	v := r.expect("version|")
	r.send("verack|" + strings.Split(v, "|")[6])
	r.expect("getaddr")
	return r
}

func TestInboundHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		r := pn.connect("127.0.0.2:9001")
		r.send(versionFrom("127.0.0.2:9001", 4242))
		// The listener answers with verack, then its own version.
		r.expect("verack|4242")
		v, err := wire.Parse([]byte(r.expect("version|")))
		if err != nil {
			t.Fatal(err)
		}
		ver := v.(wire.Version)
		if ver.Recipient != r.addr {
			t.Errorf("version recipient %s, want the remote's address %s", ver.Recipient, r.addr)
		}
		if ver.Sender != mustAddr("127.0.0.1:8088") {
			t.Errorf("version sender %s, want our IP on this connection and our port", ver.Sender)
		}
		if ver.Version != 3 || ver.Services != 1 || ver.UserAgent != "node" || ver.Nonce != pn.nonce || ver.Time != time.Now().Unix() {
			t.Errorf("version fields: %+v", ver)
		}
		r.send(fmt.Sprintf("verack|%d", ver.Nonce))
		r.expect("getaddr")
		synctest.Wait()
		s := pn.Snapshot()
		if s.Inbound != 1 || len(s.Conns) != 1 || s.Conns[0].UserAgent != "classmate" || s.Conns[0].Listen != "127.0.0.2:9001" {
			t.Fatalf("snapshot after handshake: %+v", s)
		}
		if s.External != "127.0.0.1:8088" {
			t.Errorf("external address %q, want what the remote's version said", s.External)
		}
		if !pn.hasEvent(peer.KindEstablished, `agent "classmate"`) {
			t.Errorf("no established event: %v", pn.eventTexts(peer.KindEstablished))
		}
	})
}

func TestOutboundHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		if err := pn.Do(peer.Command{Op: peer.OpConnect, Targets: []string{"127.0.0.3:9000"}}); err != nil {
			t.Fatal(err)
		}
		r := <-pn.dialled
		// The dialer speaks first.
		v := r.expect("version|3|1|")
		if !strings.Contains(v, "|127.0.0.3:9000|127.0.0.1:8088|") {
			t.Errorf("version %q: want recipient 127.0.0.3:9000 and sender 127.0.0.1:8088", v)
		}
		nonce := strings.Split(v, "|")[6]
		r.send("verack|" + nonce)
		r.send(versionFrom("127.0.0.3:9000", 77))
		r.expect("verack|77")
		r.expect("getaddr")
		synctest.Wait()
		if s := pn.Snapshot(); s.Outbound != 1 {
			t.Fatalf("want one established outbound connection: %+v", s.Conns)
		}
		// A connection to the same listening address is refused by Do.
		if err := pn.Do(peer.Command{Op: peer.OpConnect, Targets: []string{"127.0.0.3:9000"}}); err == nil {
			t.Error("second :connect to a connected peer succeeded")
		}
	})
}

func TestHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{HandshakeTimeout: 10 * time.Second})
		r := pn.connect("127.0.0.2:9001")
		start := time.Now()
		r.expectClosed()
		if took := time.Since(start); took != 10*time.Second {
			t.Errorf("closed after %s, want the 10s handshake timeout", took)
		}
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "handshake timeout") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}

func TestMessagesBeforeHandshakeAreRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		r := pn.connect("127.0.0.2:9001")
		for _, line := range []string{"ping|1", "getaddr", "addr|1|1700000000|127.0.0.9:1", "message|100|hi|there"} {
			r.send(line)
			r.expect("reject|400|handshake not complete|")
		}
		// Not acted on: no pong, no addr, nothing learned.
		if pn.hasEvent(peer.KindLearned, "127.0.0.9") {
			t.Error("an addr before the handshake was acted on")
		}
		// The connection goes on and the handshake still works.
		r.send(versionFrom("127.0.0.2:9001", 5))
		r.expect("verack|5")
		r.expect("version|")
	})
}

func TestSelfConnectionIsClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		r := pn.connect("127.0.0.1:8088")
		r.send(versionFrom("127.0.0.1:8088", pn.nonce))
		r.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "self") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		pn.mu.Lock()
		defer pn.mu.Unlock()
		if !pn.isSelfLocked(mustAddr("127.0.0.1:8088")) {
			t.Error("our own address is not remembered as ourselves")
		}
	})
}

func TestEstablishedTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: 30 * time.Second, AdvertiseInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")

		r.send("ping|77")
		r.expect("pong|77")

		r.send("getaddr")
		a, err := wire.Parse([]byte(r.expect("addr|")))
		if err != nil {
			t.Fatal(err)
		}
		if entries := a.(wire.Addr).Entries; len(entries) != 1 || entries[0].Addr != mustAddr("127.0.0.1:8088") {
			t.Errorf("addr answer %+v: want only our own address (never the asker's)", entries)
		}

		r.send("addr|2|1700000000|127.0.0.5:7000|1700000001|[::1]:7001")
		synctest.Wait()
		known := map[string]string{}
		for _, e := range pn.Snapshot().Addrs {
			known[e.Addr] = e.Source
		}
		if known["127.0.0.5:7000"] != "gossip" || known["[::1]:7001"] != "gossip" {
			t.Errorf("gossiped addresses not learned: %v", known)
		}

		// The node pings on its interval; a pong 5 ms later is a 5 ms round trip.
		nonce := strings.TrimPrefix(r.expect("ping|"), "ping|")
		time.Sleep(5 * time.Millisecond) // fake time: advances the bubble's clock
		r.send("pong|" + nonce)
		synctest.Wait()
		c := pn.Snapshot().Conns[0]
		if c.PingLast != 5*time.Millisecond || c.PingMin != 5*time.Millisecond || c.PingWait {
			t.Errorf("ping last %s min %s waiting %v, want a 5ms round trip", c.PingLast, c.PingMin, c.PingWait)
		}
		if c.In["ping"].Msgs != 1 || c.Out["pong"].Msgs != 1 || c.In["addr"].Msgs != 1 {
			t.Errorf("per-command counters in %v out %v", c.In, c.Out)
		}
	})
}

// synctestWait lets every goroutine in the bubble settle.

func TestOneConnectionPerListeningAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		first := pn.handshakeIn("127.0.0.2:9001")
		// Same peer (same nonce, same listening port), second connection.
		r := pn.connect("127.0.0.2:50000")
		r.send(versionFrom("127.0.0.2:9001", 4242))
		r.expect("verack|4242")
		v := r.expect("version|")
		r.send("verack|" + strings.Split(v, "|")[6])
		r.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "duplicate") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		if s := pn.Snapshot(); s.Inbound != 1 {
			t.Errorf("want the first connection kept: %+v", s.Conns)
		}
		// A new run of the peer (a new nonce) replaces the old connection,
		// which is probably dead without our knowing yet.
		pn.handshakeInWithNonce("127.0.0.2:50001", "127.0.0.2:9001", 5151)
		first.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "replaced by a new connection") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		if s := pn.Snapshot(); s.Inbound != 1 || s.Conns[0].Remote != "127.0.0.2:50001" {
			t.Errorf("want only the new connection: %+v", s.Conns)
		}
	})
}

func TestAdvertisesOwnAndLiveAddresses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{AdvertiseInterval: 30 * time.Second, PingInterval: time.Hour, IdleTimeout: time.Hour})
		a := pn.handshakeIn("127.0.0.2:9001")
		b := pn.handshakeIn("127.0.0.3:9002")
		start := time.Now()
		// Each peer is told about us and the other peer, never about itself.
		for _, tc := range []struct {
			r     *remote
			other string
		}{{a, "127.0.0.3:9002"}, {b, "127.0.0.2:9001"}} {
			m, err := wire.Parse([]byte(tc.r.expect("addr|")))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range m.(wire.Addr).Entries {
				got = append(got, e.Addr.String())
			}
			if want := []string{"127.0.0.1:8088", tc.other}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("advertised %v to %s, want %v", got, tc.r.addr, want)
			}
		}
		if took := time.Since(start); took != 30*time.Second {
			t.Errorf("advertised after %s, want 30s", took)
		}
	})
}

func TestCorruptPeersFileKeepsGoodLines(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	content := "# bitclone peers file\n127.0.0.5:7000 946000000 gossip\n\x00\x01garbage\nnot-an-address 1 cli\n[::1]:7001 0\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PeersFile: path, Target: 1, RetryBase: time.Hour})
		synctest.Wait()
		if !pn.hasEvent(peer.KindInfo, "loaded 2 addresses") {
			t.Errorf("info: %v", pn.eventTexts(peer.KindInfo))
		}
		if w := pn.eventTexts(peer.KindWarn); len(w) != 2 {
			t.Errorf("want a warning per bad line, got %q", w)
		}
		pn.stop()
	})
	// Saved on exit, atomically, with the good lines.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"127.0.0.5:7000 946000000", "[::1]:7001"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("saved file lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "garbage") {
		t.Errorf("saved file kept a bad line:\n%s", data)
	}
}

func TestPaceSpacesWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{Pace: time.Second, PingInterval: time.Hour, AdvertiseInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		r.send("ping|1\r\nping|2\r\nping|3") // one segment
		start := time.Now()
		for i, want := range []string{"pong|1", "pong|2", "pong|3"} {
			r.expect(want)
			// The handshake's last write started the pace timer; each pong waits its turn.
			if got := time.Since(start); got != time.Duration(i+1)*time.Second {
				t.Errorf("%s after %s, want %ds", want, got, i+1)
			}
		}
	})
}

// memRecorder keeps records in memory.
type memRecorder struct {
	mu      sync.Mutex
	records []peer.Record
}

func (m *memRecorder) Record(r peer.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.Bytes = append([]byte(nil), r.Bytes...)
	m.records = append(m.records, r)
}

func TestRecorderGetsExactBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &memRecorder{}
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour}, WithRecorder(rec))
		r := pn.handshakeIn("127.0.0.2:9001")
		r.send("ping|1\nping|2") // a bare LF, then CRLF
		r.expect("pong|1")
		r.expect("pong|2")
		r.conn.Write([]byte("ping|3")) // hang up mid-line
		r.conn.Close()
		synctest.Wait()
		pn.stop()

		// Received and sent frames interleave as the goroutines run; each
		// direction keeps its order.
		var recv, sent []string
		for _, rc := range rec.records {
			if rc.ConnID != 1 { // later, the node dials the peer back
				continue
			}
			line := fmt.Sprintf("%s %q %s", rc.Kind, rc.Bytes, rc.Text)
			if rc.Kind == peer.KindSend {
				sent = append(sent, line)
			} else {
				recv = append(recv, line)
			}
		}
		wantRecv := []string{
			`connected "" `, `recv "version|3|1|946684800|127.0.0.1:8088|127.0.0.2:9001|4242|classmate|0\r\n" `,
			`recv "verack|9729921568035403839\r\n" `,
			`recv "ping|1\n" `, `recv "ping|2\r\n" `, `recv "ping|3" `,
			`closed "" unexpected EOF: 6 bytes at the end had no line ending`,
		}
		if fmt.Sprint(recv) != fmt.Sprint(wantRecv) {
			t.Errorf("received records:\n%s\nwant\n%s", strings.Join(recv, "\n"), strings.Join(wantRecv, "\n"))
		}
		if n := len(sent); n < 2 || sent[n-2] != `send "pong|1\r\n" ` || sent[n-1] != `send "pong|2\r\n" ` {
			t.Errorf("sent records:\n%s", strings.Join(sent, "\n"))
		}
		if !pn.hasEvent(peer.KindClosed, "no line ending") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}

func TestNewLiveAddressesAreRelayedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{AdvertiseInterval: 30 * time.Second, PingInterval: time.Hour, IdleTimeout: 90 * time.Second})
		a := pn.handshakeIn("127.0.0.2:9001")
		b := pn.handshakeIn("127.0.0.3:9002")
		start := time.Now()
		now := time.Now().Unix()
		a.send(fmt.Sprintf("addr|2|%d|127.0.0.7:7000|%d|127.0.0.8:8000", now, now-1000))
		// b hears of the live address within the relay interval (not the
		// 30 s advertising interval); the stale one waits for advertising.
		m, err := wire.Parse([]byte(b.expect("addr|")))
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("relayed after %s", took)
		}
		var got []string
		for _, e := range m.(wire.Addr).Entries {
			got = append(got, e.Addr.String())
		}
		if want := []string{"127.0.0.1:8088", "127.0.0.7:7000"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("relayed %v, want %v", got, want)
		}
		// a, who told us, hears nothing back before the advertising interval.
		line := a.expect("addr|")
		if took := time.Since(start); took != 30*time.Second {
			t.Errorf("a got %q after %s: want only the 30s advertisement", line, took)
		}
	})
}
