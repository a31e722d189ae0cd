package check

import (
	"context"
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
