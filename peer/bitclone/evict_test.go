package bitclone

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// closedPeers lists the remotes whose connections the node closed, in order.
func (pn *pipeNode) closedPeers() []string {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	var out []string
	for _, e := range pn.events {
		if e.Kind == peer.KindClosed {
			out = append(out, e.Peer)
		}
	}
	return out
}

// When the inbound table is full, a newcomer evicts first the connections
// that have sent nothing, then those that sent something but no valid
// version, and one that has sent a valid version (an honest newcomer
// waiting for its verack) only last; the oldest among equals. It used to
// evict the oldest whatever it had sent.
func TestEvictionPrefersConnectionsThatSentNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{MaxInbound: 3, HandshakeTimeout: time.Hour, IdleTimeout: time.Hour})
		step := func() { time.Sleep(time.Second); synctest.Wait() }
		want := func(closed ...string) {
			t.Helper()
			synctest.Wait()
			got := pn.closedPeers()
			if len(got) != len(closed) {
				t.Fatalf("closed %v, want %v", got, closed)
			}
			for i := range got {
				if got[i] != closed[i] {
					t.Fatalf("closed %v, want %v", got, closed)
				}
			}
		}

		honest := pn.connect("127.0.0.2:9001") // the oldest: it sends a valid version
		honest.send(versionFrom("127.0.0.2:9001", 4242))
		honest.expect("verack|4242")
		step()
		partial := pn.connect("127.0.0.3:9002")
		if _, err := partial.conn.Write([]byte("vers")); err != nil {
			t.Fatal(err)
		}
		step()
		pn.connect("127.0.0.4:9003") // silent, and the newest: still first out
		step()
		newcomer := pn.connect("127.0.0.5:9004")
		want("127.0.0.4:9003")

		newcomer.send(versionFrom("127.0.0.5:9004", 4343))
		newcomer.expect("verack|4343")
		step()
		pn.connect("127.0.0.6:9005") // no one sent nothing: the partial version goes
		want("127.0.0.4:9003", "127.0.0.3:9002")

		step()
		pn.connect("127.0.0.7:9006") // the silent one just let in goes
		want("127.0.0.4:9003", "127.0.0.3:9002", "127.0.0.6:9005")

		last := pn.connect("127.0.0.8:9007")
		want("127.0.0.4:9003", "127.0.0.3:9002", "127.0.0.6:9005", "127.0.0.7:9006")
		last.send(versionFrom("127.0.0.8:9007", 4444))
		last.expect("verack|4444")
		step()
		// Every connection has sent a valid version: the oldest goes.
		pn.connect("127.0.0.9:9008")
		want("127.0.0.4:9003", "127.0.0.3:9002", "127.0.0.6:9005", "127.0.0.7:9006", "127.0.0.2:9001")
		if !pn.hasEvent(peer.KindClosed, "evicted") {
			t.Errorf("closed events: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}
