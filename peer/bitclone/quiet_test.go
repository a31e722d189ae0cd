package bitclone

import (
	"testing"
	"testing/synctest"

	"github.com/bitclone/bitclone/peer"
)

func TestNoMessageEventsLeavesOnlyConnectionEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{NoMessageEvents: true})
		r := pn.handshakeIn("192.0.2.7:9001")
		r.send("ping|5")
		r.expect("pong|5")
		r.send("addr|1|1700000000|198.51.100.1:8088")
		synctest.Wait()
		if !pn.hasEvent(peer.KindEstablished, "") {
			t.Errorf("no established event")
		}
		for _, k := range []peer.Kind{peer.KindRecv, peer.KindSend, peer.KindLearned} {
			if got := pn.eventTexts(k); len(got) != 0 {
				t.Errorf("%s events: %q, want none", k, got)
			}
		}
		if d := pn.Snapshot().Dropped; d != 0 {
			t.Errorf("%d events counted as dropped, want 0: they were never wanted", d)
		}
	})
}
