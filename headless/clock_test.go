package headless

import (
	"io"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// TestMessageLinesDoNotReadTheClock: the clock is read for what repeats
// counts (warnings, errors), not for every message line of a busy
// connection: the events carry their time.
func TestMessageLinesDoNotReadTheClock(t *testing.T) {
	reads := 0
	opts := fixedOpts(false)
	opts.Now = func() time.Time { reads++; return t0 }
	p := newPrinter(io.Discard, opts)
	for range 100 {
		p.event(&peer.Event{At: t0, Kind: peer.KindRecv, Peer: "127.0.0.1:1", Text: "ping|1"})
		p.event(&peer.Event{At: t0, Kind: peer.KindSend, Peer: "127.0.0.1:1", Text: "pong|1"})
	}
	if reads != 0 {
		t.Errorf("%d clock reads for 200 message lines, want none", reads)
	}
	p.event(&peer.Event{At: t0, Kind: peer.KindWarn, Peer: "127.0.0.1:1", Text: "odd"})
	if reads != 1 {
		t.Errorf("%d clock reads for one warning, want 1 (repeats are counted against the clock)", reads)
	}
}
