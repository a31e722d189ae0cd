package bitclone

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// Issue 9, points 2-4: bad lines that are never answered still count, a
// connection claiming an established peer's address cannot cut it off, and
// only a dial of ours can mark an address as ourselves.

// noRejects fails if the node sent any reject among lines.
func noRejects(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		if strings.HasPrefix(l, "reject|") {
			t.Errorf("the node answered with %q; a bad line that is never answered must stay unanswered", l)
		}
	}
}

func TestUnsolicitedPongsCountTowardsDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		for i := range 10 {
			r.send(fmt.Sprintf("pong|%d", 1000+i))
		}
		noRejects(t, r.expectClosed())
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "misbehaving: 10 bad lines within 1m0s") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		if !pn.hasEvent(peer.KindWarn, "pong nonce 1000 matches no outstanding ping") {
			t.Errorf("warnings: %v", pn.eventTexts(peer.KindWarn))
		}
	})
}

func TestMalformedRejectsCountTowardsDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		for range 10 {
			r.send("reject|oops")
		}
		noRejects(t, r.expectClosed())
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "misbehaving") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		if !pn.hasEvent(peer.KindWarn, "malformed reject") {
			t.Errorf("warnings: %v", pn.eventTexts(peer.KindWarn))
		}
	})
}

func TestBadLinesOutsideTheWindowAreForgiven(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		// Nine bad lines of each kind, a window apart: never ten within one.
		for _, line := range []string{"pong|1", "reject|oops", "pong|2"} {
			for range 9 {
				r.send(line)
			}
			time.Sleep(61 * time.Second)
		}
		r.send("ping|5")
		r.expect("pong|5")
	})
}

// A pong to our ping that a typed ping overtook answers something we sent:
// no fault.
func TestPongToAnOvertakenPingIsNoFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: 30 * time.Second, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		first := strings.TrimPrefix(r.expect("ping|"), "ping|")
		if err := pn.Do(peer.Command{Op: peer.OpSend, Line: "ping|77", Frame: []byte("ping|77\r\n")}); err != nil {
			t.Fatal(err)
		}
		r.expect("ping|77")
		r.send("pong|" + first)
		r.send("pong|77")
		synctest.Wait()
		if w := pn.eventTexts(peer.KindWarn); len(w) != 0 {
			t.Errorf("warnings: %v", w)
		}
	})
}

// answerPings plays a live peer on r: it answers every ping, until the
// connection closes.
func answerPings(r *remote) {
	go func() {
		for line := range r.lines {
			if nonce, ok := strings.CutPrefix(line, "ping|"); ok {
				r.conn.Write([]byte("pong|" + nonce + "\r\n"))
			}
		}
	}()
}

// handshakeUpToVerack opens an inbound connection from addr claiming listen
// with nonce, and sends our verack; the node's answer is left unread.
func (pn *pipeNode) handshakeUpToVerack(addr, listen string, nonce uint64) *remote {
	r := pn.connect(addr)
	r.send(versionFrom(listen, nonce))
	r.expect(fmt.Sprintf("verack|%d", nonce))
	v := r.expect("version|")
	r.send("verack|" + strings.Split(v, "|")[6])
	return r
}

func TestClaimingALivePeersAddressCannotCutItOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		honest := pn.handshakeIn("127.0.0.2:9001")
		answerPings(honest)
		// Someone on the same IP (loopback, a NAT) claims the honest peer's
		// listening address with a nonce of its own, again and again.
		for i := range 3 {
			attacker := pn.handshakeUpToVerack(fmt.Sprintf("127.0.0.2:%d", 50000+i), "127.0.0.2:9001", 666)
			attacker.expectClosed()
		}
		synctest.Wait()
		s := pn.Snapshot()
		if s.Inbound != 1 || len(s.Conns) != 1 || s.Conns[0].Remote != "127.0.0.2:9001" {
			t.Fatalf("want only the honest connection: %+v", s.Conns)
		}
		if pn.hasEvent(peer.KindClosed, "replaced") {
			t.Errorf("the honest connection was replaced: %v", pn.eventTexts(peer.KindClosed))
		}
		want := "kept the established connection to 127.0.0.2:9001 (127.0.0.2:9001): it answered a ping; the new one claimed its address"
		if got := pn.eventTexts(peer.KindClosed); len(got) != 3 || got[0] != want {
			t.Errorf("closed events %q, want three of %q", got, want)
		}
	})
}

// The same over real loopback TCP, against a running honest neighbour.
func TestLoopbackAttackerCannotCutOffAnHonestPeer(t *testing.T) {
	// A target of one connection does not dial the honest peer back: the
	// attacker meets one settled connection, not two being deduplicated.
	cfg := fastConfig(t)
	cfg.Target = 1
	w, target, honest := hostileSetup(t, cfg)
	// The honest peer is established on its side once it sent its verack;
	// the target, once it read it. The attacker comes after both.
	w.waitUntil(convergeTimeout, "the target established with the honest peer", func() error {
		if target.established() != 1 {
			return fmt.Errorf("%s", describe(target))
		}
		return nil
	})
	p := dialRaw(t, target)
	p.write(fmt.Sprintf("version|3|1|%d|%s|%s|666|raw|0\r\n", time.Now().Unix(), target.Addr(), honest.Addr()))
	p.until("verack|666")
	v := p.until("version|")
	p.write("verack|" + strings.Split(strings.TrimSpace(v), "|")[6] + "\r\n")
	p.closed()
	w.waitUntil(convergeTimeout, "the attacker's close reported", func() error {
		if len(target.eventsMatching(peer.KindClosed, "kept the established connection to "+honest.Addr().String())) == 0 {
			var closed []string
			for _, e := range target.eventsMatching(peer.KindClosed, "") {
				closed = append(closed, e.Peer+": "+e.Text)
			}
			return fmt.Errorf("no kept close; closed: %q", closed)
		}
		return nil
	})
	stillHonest(t, w, honest)
}

func TestRestartedPeerReplacesItsDeadConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		old := pn.handshakeIn("127.0.0.2:9001")
		// old is silently dead: it reads, and answers nothing.
		restarted := pn.handshakeUpToVerack("127.0.0.2:50000", "127.0.0.2:9001", 5151)
		start := time.Now()
		old.expect("ping|")
		restarted.expect("getaddr")
		if took := time.Since(start); took != livenessProbe {
			t.Errorf("the restarted peer got in after %s, want the %s probe", took, livenessProbe)
		}
		old.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "replaced by a new connection claiming its address with a new nonce: it did not answer a ping within 1s") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
		if s := pn.Snapshot(); s.Inbound != 1 || s.Conns[0].Remote != "127.0.0.2:50000" {
			t.Errorf("want only the new connection: %+v", s.Conns)
		}
	})
}

// A peer that hung up is replaced at once, without waiting for the probe.
func TestClosedConnectionIsReplacedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		old := pn.handshakeIn("127.0.0.2:9001")
		restarted := pn.handshakeUpToVerack("127.0.0.2:50000", "127.0.0.2:9001", 5151)
		start := time.Now()
		old.expect("ping|")
		old.conn.Close()
		restarted.expect("getaddr")
		if took := time.Since(start); took != 0 {
			t.Errorf("the restarted peer got in after %s, want at once", took)
		}
	})
}

func selfCount(pn *pipeNode) int {
	pn.Node.mu.Lock()
	defer pn.Node.mu.Unlock()
	return len(pn.selfAddrs)
}

func isSelf(pn *pipeNode, a netip.AddrPort) bool {
	pn.Node.mu.Lock()
	defer pn.Node.mu.Unlock()
	return pn.isSelfLocked(a)
}

func TestSpoofedSelfVersionsMarkNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		victim := mustAddr("127.0.0.2:9001")
		pn.handshakeIn(victim.String())
		// Our nonce is in the version we sent: anyone who shares the
		// victim's IP copies it and claims the victim's address, or any
		// other port, to grow what we remember.
		for i := range 30000 {
			claim := fmt.Sprintf("127.0.0.2:%d", 20000+i)
			if i%1000 == 0 {
				claim = victim.String()
			}
			r := pn.connect(fmt.Sprintf("127.0.0.2:%d", 10000+i))
			r.send(versionFrom(claim, pn.nonce))
			r.expectClosed()
		}
		synctest.Wait()
		if n := selfCount(pn); n != 0 {
			t.Errorf("%d addresses marked as ourselves, want none", n)
		}
		if isSelf(pn, victim) {
			t.Error("the victim is taken for ourselves")
		}
		inBook := false
		for _, e := range pn.Snapshot().Addrs {
			inBook = inBook || e.Addr == victim.String()
		}
		if !inBook {
			t.Error("the victim was removed from the address book")
		}
		if got := pn.eventCount(peer.KindClosed); got != 30000 || !pn.hasEvent(peer.KindClosed, "self") {
			t.Errorf("%d closed events, want 30000 saying self", got)
		}
	})
}

func TestSelfDialMarksTheAddressCappedAndForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour, Target: 1, RetryBase: time.Hour})
		addrs := make([]netip.AddrPort, maxSelfAddrs+10)
		for i := range addrs {
			addrs[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}), 7000)
			if err := pn.Do(peer.Command{Op: peer.OpConnect, Targets: []string{addrs[i].String()}}); err != nil {
				t.Fatal(err)
			}
			r := <-pn.dialled
			r.expect("version|")
			r.send(versionFrom(addrs[i].String(), pn.nonce)) // we reached ourselves
			r.expectClosed()
			time.Sleep(time.Second)
		}
		synctest.Wait()
		if n := selfCount(pn); n != maxSelfAddrs {
			t.Errorf("%d addresses marked as ourselves, want the cap %d", n, maxSelfAddrs)
		}
		last := addrs[len(addrs)-1]
		if !isSelf(pn, last) {
			t.Errorf("%s, reached by our own dial, is not taken for ourselves", last)
		}
		if isSelf(pn, addrs[0]) {
			t.Errorf("%s, the oldest, was kept beyond the cap", addrs[0])
		}
		if err := pn.Do(peer.Command{Op: peer.OpConnect, Targets: []string{last.String()}}); err == nil {
			t.Errorf(":connect to ourselves at %s was accepted", last)
		}
		time.Sleep(selfAddrTTL)
		if isSelf(pn, last) {
			t.Errorf("%s is still taken for ourselves after %s", last, selfAddrTTL)
		}
	})
}
