package bitclone

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// rawPeer is a hand-driven TCP client on loopback, playing a buggy or
// hostile classmate.
type rawPeer struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialRaw(t *testing.T, n *testNode) *rawPeer {
	t.Helper()
	c, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, conn: c, rd: bufio.NewReader(c)}
}

func (p *rawPeer) write(s string) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.conn.Write([]byte(s)); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// line reads one raw line, terminator included.
func (p *rawPeer) line() (string, error) {
	p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return p.rd.ReadString('\n')
}

// until reads lines until one starts with prefix, skipping pings, addrs and
// the like that the node sends on its own.
func (p *rawPeer) until(prefix string) string {
	p.t.Helper()
	for {
		l, err := p.line()
		if err != nil {
			p.t.Fatalf("waiting for %q: %v", prefix, err)
		}
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
}

// closed reads until the node closes the connection.
func (p *rawPeer) closed() {
	p.t.Helper()
	for {
		if _, err := p.line(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				p.t.Fatal("connection still open")
			}
			return
		}
	}
}

// handshake completes an inbound handshake using eol as the line ending.
func (p *rawPeer) handshake(eol string) {
	p.t.Helper()
	local := p.conn.LocalAddr().String()
	p.write(fmt.Sprintf("version|3|1|%d|%s|%s|99|raw|0%s", time.Now().Unix(), p.conn.RemoteAddr(), local, eol))
	p.until("verack|99")
	v := p.until("version|")
	p.write("verack|" + strings.Split(strings.TrimSpace(v), "|")[6] + eol)
	p.until("getaddr\r\n")
}

// hostileSetup starts a node with an honest neighbour established to it.
func hostileSetup(t *testing.T, cfg Config) (*network, *testNode, *testNode) {
	w := newNetwork(t)
	target := w.start(cfg)
	honestCfg := fastConfig(t)
	honestCfg.Seeds = append(honestCfg.Seeds, target.Addr())
	honest := w.start(honestCfg)
	w.waitUntil(convergeTimeout, "honest peer connected", func() error {
		if honest.established() != 1 {
			return fmt.Errorf("%s", describe(honest))
		}
		return nil
	})
	return w, target, honest
}

// stillHonest checks the honest neighbour kept its one connection and that
// it is still being answered.
func stillHonest(t *testing.T, w *network, honest *testNode) {
	t.Helper()
	before := honest.Snapshot().Conns[0]
	w.waitUntil(convergeTimeout, "honest peer answered", func() error {
		s := honest.Snapshot()
		if len(s.Conns) != 1 || s.Conns[0].ID != before.ID {
			return fmt.Errorf("honest connection changed: %+v", s.Conns)
		}
		if s.Conns[0].In["pong"].Msgs <= before.In["pong"].Msgs {
			return fmt.Errorf("no new pong since the attack")
		}
		return nil
	})
}

func TestManyMessagesInOneSegmentAndBareLF(t *testing.T) {
	w, target, honest := hostileSetup(t, fastConfig(t))
	p := dialRaw(t, target)
	p.handshake("\n") // bare LF line endings throughout
	var burst strings.Builder
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&burst, "ping|%d\n", i)
	}
	p.write(burst.String()) // one write: one segment on loopback
	for i := 1; i <= 50; i++ {
		if got, want := p.until("pong|"), fmt.Sprintf("pong|%d\r\n", i); got != want {
			t.Fatalf("got %q, want %q (CRLF, in order)", got, want)
		}
	}
	stillHonest(t, w, honest)
}

func TestGarbageIsRejectedThenDropped(t *testing.T) {
	w, target, honest := hostileSetup(t, fastConfig(t))
	p := dialRaw(t, target)
	p.handshake("\r\n")
	garbage := []string{"\x00\x01\x02", "\xff\xfe|\x1b[2J", "PING|1", "ping|-1", "ping", "addr|2|1|127.0.0.1:1", "version|3"}
	for _, g := range garbage {
		p.write(g + "\r\n")
		if l := p.until("reject|"); !strings.HasPrefix(l, "reject|400|") || strings.Count(l, "|") != 3 {
			t.Fatalf("after %q: %q is not a well-formed 4xx reject", g, l)
		}
	}
	// The connection went on through all of that ...
	p.write("ping|5\r\n")
	p.until("pong|5")
	// ... until the tenth reject within the window: dropped, but as a
	// loopback peer never banned.
	for range DefaultBanAfter - len(garbage) {
		p.write("nonsense\r\n")
	}
	p.closed()
	w.waitUntil(convergeTimeout, "drop reported", func() error {
		if len(target.eventsMatching(peer.KindClosed, "misbehaving")) == 0 {
			return fmt.Errorf("no misbehaving close")
		}
		return nil
	})
	if len(target.eventsMatching(peer.KindClosed, "banned")) != 0 {
		t.Error("a loopback peer was banned")
	}
	again := dialRaw(t, target)
	again.handshake("\r\n")
	stillHonest(t, w, honest)
}

func TestOversizeLineDropsOnlyThatPeer(t *testing.T) {
	w, target, honest := hostileSetup(t, fastConfig(t))
	p := dialRaw(t, target)
	p.handshake("\r\n")
	big := bytes.Repeat([]byte("x"), 200<<10) // past the 128 KiB line limit
	go p.conn.Write(big)                      // may fail once the node hangs up
	p.closed()
	w.waitUntil(convergeTimeout, "drop reported", func() error {
		if len(target.eventsMatching(peer.KindClosed, "too long")) == 0 {
			return fmt.Errorf("closed events: %v", target.eventsMatching(peer.KindClosed, ""))
		}
		return nil
	})
	stillHonest(t, w, honest)
}

func TestFloodIsDropped(t *testing.T) {
	cfg := fastConfig(t)
	cfg.MaxMsgRate, cfg.MaxMsgBurst = 1000, 2000
	w, target, honest := hostileSetup(t, cfg)
	p := dialRaw(t, target)
	p.handshake("\r\n")
	go func() { // read and discard the pongs, like a peer that keeps up
		for {
			if _, err := p.line(); err != nil {
				return
			}
		}
	}()
	pings := []byte(strings.Repeat("ping|1\r\n", 1000))
	for range 100 {
		if _, err := p.conn.Write(pings); err != nil {
			break // dropped
		}
	}
	w.waitUntil(convergeTimeout, "flood dropped", func() error {
		if len(target.eventsMatching(peer.KindClosed, "flood")) == 0 {
			return fmt.Errorf("closed events: %v", target.eventsMatching(peer.KindClosed, ""))
		}
		return nil
	})
	stillHonest(t, w, honest)
}

func TestMisbehavingRemoteIPIsBanned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{BanFor: 10 * time.Minute})
		r := pn.handshakeIn("192.0.2.7:9001")
		for i := range DefaultBanAfter {
			r.send(fmt.Sprintf("bogus|%d", i))
		}
		r.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "banned for 10m0s") {
			t.Fatalf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		// While banned, the IP is refused at once; afterwards it is welcome.
		pn.connect("192.0.2.7:9002").expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindWarn, "refused inbound 192.0.2.7:9002: banned") {
			t.Errorf("warnings: %v", pn.eventTexts(peer.KindWarn))
		}
		time.Sleep(11 * time.Minute)
		pn.handshakeIn("192.0.2.7:9003")
	})
}

func TestRejectRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		// A reject, well-formed or not, is never answered (no reject loops).
		r.send("reject|400|Invalid command|what")
		r.send("reject|oops")
		// A second version after the handshake is rejected, and so is a verack.
		r.send(versionFrom("127.0.0.2:9001", 4242))
		r.expect("reject|400|duplicate version|")
		r.send("verack|1")
		r.expect("reject|400|unexpected verack|")
		// Field errors name the field, and a '|' from the peer's text cannot
		// break our reject's fields.
		r.send("ping|12x")
		r.expect("reject|400|bad message|ping: nonce: not a number")
		r.send("hello|there")
		if l := r.expect("reject|400|unknown command|"); strings.Count(l, "|") != 3 {
			t.Errorf("reject %q has extra fields", l)
		}
		synctest.Wait()
		if c := pn.Snapshot().Conns[0]; c.LastReject[0] != "reject|400|Invalid command|what" || !strings.HasPrefix(c.LastReject[1], "reject|400|unknown command") {
			t.Errorf("last rejects %q", c.LastReject)
		}
		if !pn.hasEvent(peer.KindWarn, "malformed reject") {
			t.Errorf("warnings: %v", pn.eventTexts(peer.KindWarn))
		}
	})
}

func TestOneAddressAddrSpamIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{AdvertiseInterval: 30 * time.Second, PingInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		for i := range oneAddrBurst + 1 {
			r.send(fmt.Sprintf("addr|1|%d|127.0.0.9:%d", time.Now().Unix(), 1000+i))
		}
		r.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "addr spam") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}

// An honest peer's advertisements, one per interval, held up and read all
// at once (a stall of ten intervals), are not spam.
func TestBunchedAdvertisementsAreNotSpam(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{AdvertiseInterval: 30 * time.Second, PingInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		var burst strings.Builder
		for i := range 10 {
			fmt.Fprintf(&burst, "addr|1|%d|127.0.0.2:9001\r\n", time.Now().Unix()+int64(i))
		}
		r.conn.Write([]byte(burst.String()))
		synctest.Wait()
		if pn.hasEvent(peer.KindClosed, "") {
			t.Fatalf("an honest peer was dropped: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}

func TestIdleTimeoutAndPings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: 25 * time.Second, IdleTimeout: 90 * time.Second, AdvertiseInterval: time.Hour})
		start := time.Now()
		r := pn.handshakeIn("127.0.0.2:9001")
		// Say nothing more: the node pings every 25 s and gives up after 90 s.
		rest := r.expectClosed()
		if took := time.Since(start); took < 90*time.Second || took > 91*time.Second {
			t.Errorf("closed after %s, want the 90s idle timeout", took)
		}
		pings := 0
		for _, l := range rest {
			if strings.HasPrefix(l, "ping|") {
				pings++
			}
		}
		if pings != 3 {
			t.Errorf("got %d pings in 90s (%q), want 3", pings, rest)
		}
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "timeout: nothing received for 1m30s") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}

func TestInboundCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{MaxInbound: 4, MaxHandshakingPerIP: 2, Target: 1, RetryBase: time.Hour})
		// Two handshaking connections from one non-loopback IP; the third is refused.
		a1 := pn.connect("192.0.2.1:1001")
		time.Sleep(time.Second)
		a2 := pn.connect("192.0.2.1:1002")
		pn.connect("192.0.2.1:1003").expectClosed()
		synctest.Wait()
		if w := strings.Join(pn.eventTexts(peer.KindWarn), "\n"); !strings.Contains(w, "192.0.2.1:1003: 2 connections from 192.0.2.1 still handshaking") {
			t.Errorf("warnings:\n%s", w)
		}
		// Loopback is exempt from the per-IP cap, not from the total: when
		// the inbound table is full, the longest-handshaking connection
		// makes room, and established ones are never evicted.
		pn.handshakeIn("127.0.0.2:1001")
		pn.handshakeIn("127.0.0.2:1002") // the table is full now
		pn.handshakeIn("127.0.0.2:1003") // a1 made room
		a1.expectClosed()
		pn.handshakeIn("127.0.0.2:1004") // a2 made room
		a2.expectClosed()
		synctest.Wait()
		if got := len(pn.eventTexts(peer.KindClosed)); got != 2 || !pn.hasEvent(peer.KindClosed, "evicted") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		// Every slot established: a newcomer is refused.
		pn.connect("127.0.0.9:9").expectClosed()
		synctest.Wait()
		if w := strings.Join(pn.eventTexts(peer.KindWarn), "\n"); !strings.Contains(w, "127.0.0.9:9: 4 inbound connections already") {
			t.Errorf("warnings:\n%s", w)
		}
		if s := pn.Snapshot(); s.Inbound != 4 || s.Refused != 2 {
			t.Errorf("%d established inbound, %d refused; want 4 and 2", s.Inbound, s.Refused)
		}
	})
}

// addrLine makes an addr of count made-up loopback addresses, fresh.
func addrLine(first, count int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "addr|%d", count)
	for i := first; i < first+count; i++ {
		fmt.Fprintf(&b, "|%d|127.1.%d.%d:%d", time.Now().Unix(), i/250, i%250, 1000+i)
	}
	return b.String()
}

func TestNewAddressesAreRateLimitedPerPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{Target: 1, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		r.send(addrLine(0, 1000))
		r.send(addrLine(1000, 1000))
		synctest.Wait()
		c := pn.Snapshot().Conns[0]
		if c.AddrsProcessed != 1000 || c.AddrsLimited != 1000 {
			t.Errorf("processed %d, limited %d: want the burst of 1000 taken and the rest ignored", c.AddrsProcessed, c.AddrsLimited)
		}
		// Ten seconds later, ten a second more.
		time.Sleep(10 * time.Second)
		r.send(addrLine(2000, 1000))
		synctest.Wait()
		c = pn.Snapshot().Conns[0]
		if c.AddrsProcessed != 1100 {
			t.Errorf("processed %d after 10s, want 1100", c.AddrsProcessed)
		}
		// Known addresses cost nothing: the first batch again is all processed.
		r.send(addrLine(0, 1000))
		synctest.Wait()
		if c := pn.Snapshot().Conns[0]; c.AddrsProcessed != 2100 {
			t.Errorf("processed %d, want 2100 (known addresses are free)", c.AddrsProcessed)
		}
	})
}

func TestIdleTimeoutCountsFromTheLastMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, IdleTimeout: 90 * time.Second, AdvertiseInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		time.Sleep(50 * time.Second)
		r.send("message|100|still|here")
		last := time.Now()
		r.expectClosed()
		if idle := time.Since(last); idle != 90*time.Second {
			t.Errorf("closed %s after the last message, want exactly the 90s idle timeout", idle)
		}
	})
}
