package bitclone

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// The tests of issue 8 ("BitClone, tried in a classroom"): what a room of
// students does to a network, in pipe-node bubbles (fake time) and on
// loopback.

// drain returns the lines the node has sent r so far, without waiting.
func drain(r *remote) []string {
	var out []string
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				return out
			}
			out = append(out, l)
		default:
			return out
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

func (pn *pipeNode) addrInfo(a string) (peer.AddrInfo, bool) {
	for _, ai := range pn.Snapshot().Addrs {
		if ai.Addr == a {
			return ai, true
		}
	}
	return peer.AddrInfo{}, false
}

func (pn *pipeNode) do(t *testing.T, op peer.Op, target string) {
	t.Helper()
	if err := pn.Do(peer.Command{Op: op, Targets: []string{target}}); err != nil {
		t.Fatalf("op %d %s: %v", op, target, err)
	}
}

// completeOutbound plays the far end of a handshake the node started.
func completeOutbound(r *remote, listen string, nonce uint64) {
	v := r.expect("version|")
	r.send("verack|" + strings.Split(v, "|")[6])
	r.send(versionFrom(listen, nonce))
	r.expect(fmt.Sprintf("verack|%d", nonce))
	r.expect("getaddr")
}

func TestBookChangesAreSavedSoonAndCoalesced(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PeersFile: path, SaveInterval: time.Hour, Target: 1, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		synctest.Wait()
		// The first handshake is on disk SaveDelay later, not at the hourly save.
		time.Sleep(SaveDelay - time.Millisecond)
		synctest.Wait()
		if got := readFile(t, path); strings.Contains(got, "127.0.0.2:9001") {
			t.Fatalf("saved before SaveDelay:\n%s", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := readFile(t, path); !strings.Contains(got, "127.0.0.2:9001 ") {
			t.Fatalf("not saved SaveDelay after the handshake:\n%q", got)
		}

		// A new address every 100 ms for 5 s: the file follows, at most once
		// per SaveDelay.
		const steps, gap = 50, 100 * time.Millisecond
		versions := map[string]bool{readFile(t, path): true}
		last := ""
		for i := range steps {
			now := time.Now().Unix()
			last = fmt.Sprintf("127.0.0.%d:7000", 10+i)
			r.send(fmt.Sprintf("addr|2|%d|127.0.0.2:9001|%d|%s", now, now, last))
			time.Sleep(gap)
			synctest.Wait()
			versions[readFile(t, path)] = true
		}
		span := time.Duration(steps) * gap
		if n, most := len(versions)-1, int(span/SaveDelay)+1; n > most || n < most-2 {
			t.Errorf("the file was written %d times in %s of changes, want about one per %s (%d)", n, span, SaveDelay, most)
		}
		time.Sleep(SaveDelay)
		synctest.Wait()
		if got := readFile(t, path); !strings.Contains(got, last+" ") {
			t.Errorf("the last change (%s) is not saved SaveDelay later:\n%s", last, got)
		}
	})
}

func TestUnreachedAddressIsForgottenAndNotRelayed(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PeersFile: path, Target: 4, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour, RetryBase: time.Second})
		bad, good := mustAddr("127.0.0.7:7000"), mustAddr("127.0.0.8:8000")
		pn.refuse(bad, true)
		a := pn.handshakeIn("127.0.0.2:9001")
		b := pn.handshakeIn("127.0.0.3:9002")
		now := time.Now().Unix()
		a.send(fmt.Sprintf("addr|3|%d|127.0.0.2:9001|%d|%s|%d|%s", now, now, bad, now, good))
		// The node dials both; good answers and completes the handshake.
		g := <-pn.dialled
		if g.addr != good {
			t.Fatalf("dialled %s, want %s", g.addr, good)
		}
		completeOutbound(g, good.String(), 88)

		// Past the relay interval, b asks for addresses: good is passed on,
		// bad (never reached, a dial failed) is not, neither relayed nor
		// in the answer.
		time.Sleep(2 * time.Second)
		b.send("getaddr")
		synctest.Wait()
		var addrs []string
		for _, l := range drain(b) {
			if strings.HasPrefix(l, "addr|") {
				addrs = append(addrs, l)
			}
		}
		if all := strings.Join(addrs, "\n"); !strings.Contains(all, good.String()) || strings.Contains(all, bad.String()) {
			t.Errorf("b was sent:\n%s\nwant %s and never %s", all, good, bad)
		}

		// Both fail from now on: bad is forgotten after MaxUnreachedFailures
		// dials; good, reached once, stays and is retried with backoff.
		pn.refuse(good, true)
		g.conn.Close()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if n := pn.dialCount(bad); n != MaxUnreachedFailures {
			t.Errorf("%s dialled %d times, want %d", bad, n, MaxUnreachedFailures)
		}
		if want := fmt.Sprintf("forgot %s: never reached, %d dials failed (last: connection refused)", bad, MaxUnreachedFailures); !pn.hasEvent(peer.KindInfo, want) {
			t.Errorf("no %q in %q", want, pn.eventTexts(peer.KindInfo))
		}
		if _, ok := pn.addrInfo(bad.String()); ok {
			t.Errorf("%s still in the book", bad)
		}
		if ai, ok := pn.addrInfo(good.String()); !ok || ai.Attempts < MaxUnreachedFailures {
			t.Errorf("%s (reached once): %+v, %v; want kept with its failures counted", good, ai, ok)
		}
		if got := readFile(t, path); strings.Contains(got, bad.String()) || !strings.Contains(got, good.String()) {
			t.Errorf("peers file, want %s and not %s:\n%s", good, bad, got)
		}
	})
}

func TestConnectGivesUpAndForgets(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PeersFile: path, RetryBase: time.Second, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		typo := mustAddr("127.0.0.1:9999")
		pn.refuse(typo, true)
		pn.do(t, peer.OpConnect, typo.String())
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := pn.dialCount(typo); n != MaxConnectTries {
			t.Errorf("dialled %d times in 10 minutes, want %d", n, MaxConnectTries)
		}
		refused := "dial 127.0.0.1:9999: connection refused"
		want := []string{refused, refused, refused, "gave up on 127.0.0.1:9999 after 3 tries: connection refused"}
		if got := pn.eventTexts(peer.KindError); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("errors:\n%q\nwant\n%q", got, want)
		}
		if _, ok := pn.addrInfo(typo.String()); ok {
			t.Error("the address given up is in the book")
		}

		// A :connect that works is remembered like a command-line peer.
		pn.do(t, peer.OpConnect, "127.0.0.3:9000")
		completeOutbound(<-pn.dialled, "127.0.0.3:9000", 77)
		synctest.Wait()
		if ai, ok := pn.addrInfo("127.0.0.3:9000"); !ok || ai.Source != "cli" {
			t.Errorf("reached :connect target: %+v, %v; want source cli", ai, ok)
		}
		pn.stop()
		if got := readFile(t, path); strings.Contains(got, "9999") || !strings.Contains(got, "127.0.0.3:9000") {
			t.Errorf("peers file:\n%s", got)
		}
	})
}

func TestForgetRemovesAnAddress(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PeersFile: path, Target: 1, SaveInterval: time.Hour, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		now := time.Now().Unix()
		r.send(fmt.Sprintf("addr|2|%d|127.0.0.2:9001|%d|127.0.0.9:7000", now, now))
		time.Sleep(SaveDelay)
		synctest.Wait()
		if !strings.Contains(readFile(t, path), "127.0.0.9:7000") {
			t.Fatal("the gossiped address was not saved")
		}
		pn.do(t, peer.OpForget, "127.0.0.9:7000")
		if _, ok := pn.addrInfo("127.0.0.9:7000"); ok {
			t.Error(":forget left the address in the book")
		}
		time.Sleep(SaveDelay)
		synctest.Wait()
		if got := readFile(t, path); strings.Contains(got, "127.0.0.9:7000") || !strings.Contains(got, "127.0.0.2:9001") {
			t.Errorf("peers file after :forget:\n%s", got)
		}
		err := pn.Do(peer.Command{Op: peer.OpForget, Targets: []string{"127.0.0.9:7000"}})
		if err == nil || err.Error() != "127.0.0.9:7000 is not in the address book" {
			t.Errorf("second :forget: %v", err)
		}
	})
}

func TestRejectBeforeHandshakeIsNotAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		r := pn.connect("127.0.0.2:9001")
		r.send("reject|400|handshake not complete|ping before version")
		r.send(versionFrom("127.0.0.2:9001", 5))
		// The first thing back is the verack: a reject is never answered.
		r.expect("verack|5")
	})
}

func TestDropIsNotRedialledAndRefusedUntilConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const dropFor = 2 * time.Minute
		pn := startPipeNode(t, Config{DropFor: dropFor, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		them := "127.0.0.2:9001"
		r := pn.handshakeIn(them)
		start := time.Now()
		pn.do(t, peer.OpDrop, them)
		r.expectClosed()

		// It dials back at once, from a new port: closed before any answer,
		// no verack, no reject.
		back := pn.connect("127.0.0.2:50000")
		back.send(versionFrom(them, 4242))
		if rest := back.expectClosed(); len(rest) != 0 {
			t.Errorf("a dropped peer dialling back was answered: %q", rest)
		}
		time.Sleep(dropFor - time.Second)
		synctest.Wait()
		if n := pn.dialCount(mustAddr(them)); n != 0 {
			t.Errorf("dropped peer redialled %d times within the drop", n)
		}
		ai, ok := pn.addrInfo(them)
		if !ok || ai.Status() != "dropped" || !ai.DroppedUntil.Equal(start.Add(dropFor)) {
			t.Errorf("address book during the drop: %+v (status %q)", ai, ai.Status())
		}

		// The drop ends: the node dials it again by itself.
		g := <-pn.dialled
		if took := time.Since(start); took < dropFor || g.addr != mustAddr(them) {
			t.Errorf("dialled %s after %s, want %s after %s", g.addr, took, them, dropFor)
		}
		completeOutbound(g, them, 4242)

		// Dropped again, and :connect lifts it at once.
		pn.do(t, peer.OpDrop, them)
		g.expectClosed()
		synctest.Wait()
		pn.do(t, peer.OpConnect, them)
		completeOutbound(<-pn.dialled, them, 4242)
		synctest.Wait()
		if ai, _ := pn.addrInfo(them); ai.Status() == "dropped" || !ai.Connected {
			t.Errorf("after :connect: %+v (status %q)", ai, ai.Status())
		}
	})
}

// eventsSince returns the events recorded from index i on.
func (tn *testNode) eventsSince(i int) []peer.Event {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return append([]peer.Event(nil), tn.events[i:]...)
}

func (tn *testNode) eventCount() int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return len(tn.events)
}

// theirEntry is tn's address book entry for other.
func (tn *testNode) theirEntry(other *testNode) (peer.AddrInfo, bool) {
	for _, ai := range tn.Snapshot().Addrs {
		if ai.Addr == other.Addr().String() {
			return ai, true
		}
	}
	return peer.AddrInfo{}, false
}

// oneConnection reports whether a and b have exactly one established
// connection each, and it is the same TCP connection.
func oneConnection(a, b *testNode) error {
	var ends [2][]peer.ConnInfo
	for i, n := range []*testNode{a, b} {
		for _, c := range n.Snapshot().Conns {
			if c.State == peer.StateEstablished {
				ends[i] = append(ends[i], c)
			}
		}
	}
	if len(ends[0]) != 1 || len(ends[1]) != 1 {
		return fmt.Errorf("%d and %d established connections", len(ends[0]), len(ends[1]))
	}
	if ends[0][0].Local != ends[1][0].Remote || ends[0][0].Remote != ends[1][0].Local {
		return fmt.Errorf("different connections kept: %s-%s and %s-%s", ends[0][0].Local, ends[0][0].Remote, ends[1][0].Remote, ends[1][0].Local)
	}
	return nil
}

// disconnected reports whether neither a nor b has an established connection.
func disconnected(a, b *testNode) error {
	if n := a.established() + b.established(); n != 0 {
		return fmt.Errorf("%d established connections", n)
	}
	return nil
}

// pingRound reports whether every node has had a pong back.
func pingRound(nodes ...*testNode) error {
	for _, n := range nodes {
		if n.eventsMatchingCommand(peer.KindRecv, "pong") == 0 {
			return fmt.Errorf("%s has no pong yet", n.Addr())
		}
	}
	return nil
}

func TestSimultaneousDialsKeepOneConnection(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			w := newNetwork(t)
			// Both listen before either starts, each told of the other: both
			// dial at once, and neither dial is refused.
			var lns [2]net.Listener
			for i := range lns {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				lns[i] = ln
			}
			var nodes []*testNode
			for i, ln := range lns {
				cfg := fastConfig(t)
				cfg.Seeds = []netip.AddrPort{peer.AddrPortOf(lns[1-i].Addr())}
				nodes = append(nodes, w.start(cfg, WithListener(ln)))
			}
			a, b := nodes[0], nodes[1]
			w.waitUntil(convergeTimeout, "one connection, the same on both sides", func() error { return oneConnection(a, b) })
			// A ping round later it still holds, and nothing stormed.
			w.waitUntil(convergeTimeout, "a ping round", func() error { return pingRound(a, b) })
			if err := oneConnection(a, b); err != nil {
				t.Fatal(err)
			}
			for _, n := range nodes {
				if got := n.eventsMatchingCommand(peer.KindSend, "reject") + n.eventsMatchingCommand(peer.KindRecv, "reject"); got != 0 {
					t.Errorf("%s: %d rejects", n.Addr(), got)
				}
				if got := len(n.eventsMatching(peer.KindConnected, "")); got > 2 {
					t.Errorf("%s: %d connections for one peer", n.Addr(), got)
				}
				// Closing the duplicate is not a failed dial of the peer.
				other := nodes[0]
				if n == other {
					other = nodes[1]
				}
				if ai, ok := n.theirEntry(other); !ok || ai.Attempts != 0 {
					t.Errorf("%s's entry for %s: %+v, want no failed attempts", n.Addr(), other.Addr(), ai)
				}
			}
		})
	}
}

func TestDroppedPeerStaysAwayQuietly(t *testing.T) {
	const dropFor = 2 * time.Second
	w := newNetwork(t)
	cfg := fastConfig(t)
	cfg.DropFor = dropFor
	a := w.start(cfg)
	cfg = fastConfig(t)
	cfg.Seeds = []netip.AddrPort{a.Addr()}
	b := w.start(cfg)
	w.waitUntil(convergeTimeout, "connected", func() error { return oneConnection(a, b) })
	w.waitUntil(convergeTimeout, "a ping round", func() error { return pingRound(a, b) })

	aMark, bMark := a.eventCount(), b.eventCount()
	dropped := time.Now()
	if err := a.Do(peer.Command{Op: peer.OpDrop, Targets: []string{b.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	w.waitUntil(convergeTimeout, "dropped", func() error { return disconnected(a, b) })
	// b dials back (it is bitclone too, and does not know); a refuses it
	// each time and b backs off. After the drop, they connect again.
	w.waitUntil(convergeTimeout, "connected again after the drop", func() error { return oneConnection(a, b) })
	var refused int
	for _, e := range a.eventsSince(aMark) {
		switch {
		case e.At.Before(dropped):
			// Still the setup.
		case e.Kind == peer.KindEstablished && e.At.Before(dropped.Add(dropFor)):
			t.Errorf("established with %s %s after the drop, within it", e.Peer, e.At.Sub(dropped))
		case e.Kind == peer.KindConnected && e.Dir == peer.Outbound && e.At.Before(dropped.Add(dropFor)):
			t.Errorf("a dialled %s %s after dropping it", e.Peer, e.At.Sub(dropped))
		case e.Kind == peer.KindClosed && strings.Contains(e.Text, "refused until"):
			refused++
		}
	}
	// Backoff from RetryBase 100ms to RetryMax 1s: about five in 2s.
	if refused < 1 || refused > 8 {
		t.Errorf("a refused b's connections %d times during a %s drop, want a few", refused, dropFor)
	}
	for _, n := range []struct {
		*testNode
		mark int
	}{{a, aMark}, {b, bMark}} {
		for _, e := range n.eventsSince(n.mark) {
			if e.Kind == peer.KindClosed && strings.Contains(e.Text, "duplicate") || e.Kind == peer.KindSend && e.Command == "reject" {
				t.Errorf("%s: %s %q", n.Addr(), e.Kind, e.Text)
			}
		}
	}

	// Dropped again, and :connect lifts the drop at once.
	if err := a.Do(peer.Command{Op: peer.OpDrop, Targets: []string{b.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	w.waitUntil(convergeTimeout, "dropped again", func() error { return disconnected(a, b) })
	if ai, _ := a.theirEntry(b); ai.Status() != "dropped" {
		t.Errorf("a's entry for b after :drop: status %q", ai.Status())
	}
	again := time.Now()
	if err := a.Do(peer.Command{Op: peer.OpConnect, Targets: []string{b.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	w.waitUntil(convergeTimeout, "connected after :connect", func() error { return oneConnection(a, b) })
	if took := time.Since(again); took >= dropFor {
		t.Errorf("reconnected %s after :connect: the drop was not lifted", took)
	}
}

func TestConnectTargetReachedInboundEndsItsTries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{RetryBase: time.Second, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		them := mustAddr("127.0.0.3:9000")
		pn.do(t, peer.OpConnect, them.String())
		out := <-pn.dialled
		out.expect("version|")
		// The peer dials us first; our own dial then fails.
		pn.handshakeInWithNonce("127.0.0.3:50000", them.String(), 77)
		pn.refuse(them, true)
		out.conn.Close()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if texts := pn.eventTexts(peer.KindError); len(texts) != 0 {
			t.Errorf("errors about a connected :connect target: %q", texts)
		}
		if ai, ok := pn.addrInfo(them.String()); !ok || ai.Source != "cli" || !ai.Connected {
			t.Errorf("%s: %+v, %v; want connected, kept as cli", them, ai, ok)
		}
	})
}

func TestDroppedRemoteIPIsRefusedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("10.0.0.2:9001")
		pn.do(t, peer.OpDrop, "10.0.0.2:9001")
		r.expectClosed()
		// Not on loopback: refused as it connects, before it says a word.
		back := pn.connect("10.0.0.2:50000")
		if rest := back.expectClosed(); len(rest) != 0 {
			t.Errorf("answered: %q", rest)
		}
		synctest.Wait()
		if !pn.hasEvent(peer.KindWarn, "refused inbound 10.0.0.2:50000: dropped by the user until") {
			t.Errorf("warnings: %q", pn.eventTexts(peer.KindWarn))
		}
		// :connect lifts it for the IP too.
		pn.do(t, peer.OpConnect, "10.0.0.2:9001")
		<-pn.dialled
		pn.handshakeInWithNonce("10.0.0.2:50001", "10.0.0.3:9003", 99) // another peer behind that IP
	})
}

func TestPeerThatClosesAtOnceIsNotRedialledAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{RetryBase: time.Second, PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		them := mustAddr("127.0.0.3:9000")
		pn.do(t, peer.OpConnect, them.String())
		r := <-pn.dialled
		completeOutbound(r, them.String(), 77)
		start := time.Now()
		r.conn.Close() // as the winner of a simultaneous dial closes the loser
		again := <-pn.dialled
		if took := time.Since(start); took < time.Second {
			t.Errorf("redialled %s after %s, want a backoff of RetryBase", again.addr, took)
		}
		completeOutbound(again, them.String(), 77)
		synctest.Wait()
		if ai, _ := pn.addrInfo(them.String()); ai.Attempts != 0 {
			t.Errorf("after a handshake: %d attempts, want the backoff reset", ai.Attempts)
		}
	})
}
