package check

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
)

// A handshake on a connection to us waits until none of ours is open, and
// a connection of ours waits while such a handshake is waiting or running:
// the peer's connection to us never completes its handshake in the middle
// of a probe, where it would replace the probe's.
func TestTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tu turns
		ctx := context.Background()
		done := func(ch chan func()) bool {
			synctest.Wait()
			return len(ch) > 0
		}
		take := func(ours bool) chan func() {
			ch := make(chan func(), 1)
			go func() {
				take := tu.theirs
				if ours {
					take = tu.ours
				}
				release, err := take(ctx)
				if err != nil {
					t.Error(err)
				}
				ch <- release
			}()
			return ch
		}

		probe := take(true)
		if !done(probe) {
			t.Fatal("our first connection waits")
		}
		answer := take(false)
		if done(answer) {
			t.Fatal("a handshake is answered while a connection of ours is open")
		}
		next := take(true)
		if done(next) {
			t.Fatal("a connection of ours opens while a handshake waits")
		}
		(<-probe)()
		if !done(answer) || done(next) {
			t.Fatal("once ours closed, the handshake should go, and only it")
		}
		(<-answer)()
		if !done(next) {
			t.Fatal("our next connection still waits after the handshake")
		}
		(<-next)()

		// A wait ends with the run.
		hold, _ := tu.ours(ctx)
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := tu.theirs(cctx)
			errc <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Errorf("a cancelled wait: %v", err)
		}
		hold()
		if release, err := tu.ours(ctx); err != nil {
			t.Errorf("after a cancelled wait: %v", err)
		} else {
			release()
		}
	})
}

// On a shared listener turns are per peer: a handshake claiming peer A
// waits for our connection to A, not for one to B; entries go once unused.
func TestPeerTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pt peerTurns
		ctx := context.Background()
		a, b := netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2")
		take := func(peer netip.AddrPort, ours bool) chan func() {
			ch := make(chan func(), 1)
			go func() {
				release, err := pt.take(ctx, peer, ours)
				if err != nil {
					t.Error(err)
				}
				ch <- release
			}()
			return ch
		}
		done := func(ch chan func()) bool {
			synctest.Wait()
			return len(ch) > 0
		}
		toA := take(a, true)
		if !done(toA) {
			t.Fatal("our connection to A waits")
		}
		fromB, fromA := take(b, false), take(a, false)
		if !done(fromB) {
			t.Fatal("B's handshake waits for our connection to A")
		}
		if done(fromA) {
			t.Fatal("A's handshake completes while our connection to A is open")
		}
		(<-toA)()
		if !done(fromA) {
			t.Fatal("A's handshake still waits once ours closed")
		}
		(<-fromA)()
		(<-fromB)()
		if len(pt.m) != 0 {
			t.Errorf("%d entries left once every turn ended", len(pt.m))
		}
	})
}
