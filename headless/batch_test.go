package headless

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/peer"
)

// countingWriter counts the writes it is given.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestABatchIsWrittenWithOneWrite(t *testing.T) {
	// A flood's batch: the bus's whole backlog of message lines, about
	// 200 KB of transcript.
	batch := make([]peer.Event, peer.DefaultBusBacklog)
	for i := range batch {
		batch[i] = peer.Event{At: t0, Kind: peer.KindRecv, Peer: remote, Text: fmt.Sprintf("ping|%010d", i)}
	}
	node := newFake()
	node.events <- batch
	close(node.events)
	var out countingWriter
	if err := Run(context.Background(), node, nil, &out, fixedOpts(false)); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != len(batch) {
		t.Fatalf("%d lines, want %d", lines, len(batch))
	}
	if out.writes != 1 {
		t.Errorf("%d writes for one batch of %d bytes, want 1", out.writes, out.Len())
	}
}

func TestQuietPrintsOnlyConnectionChangesWarningsAndErrors(t *testing.T) {
	opts := fixedOpts(false)
	opts.Quiet = true
	out := printEvents(t, opts,
		peer.Event{At: t0, Kind: peer.KindInfo, Text: "listening"},
		peer.Event{At: t0, Kind: peer.KindConnected, Peer: remote, Dir: peer.Inbound},
		peer.Event{At: t0, Kind: peer.KindRecv, Peer: remote, Text: "ping|1"},
		peer.Event{At: t0, Kind: peer.KindSend, Peer: remote, Text: "pong|1"},
		peer.Event{At: t0, Kind: peer.KindLearned, Peer: remote, Text: "10.0.0.1:8088"},
		peer.Event{At: t0, Kind: peer.KindEstablished, Peer: remote, Dir: peer.Inbound, Text: "x"},
		peer.Event{At: t0, Kind: peer.KindWarn, Peer: remote, Text: "odd"},
		peer.Event{At: t0, Kind: peer.KindError, Text: "save failed"},
		peer.Event{At: t0, Kind: peer.KindClosed, Peer: remote, Dir: peer.Inbound, Text: "timeout"},
	)
	want := "21:30:01.123 * 127.0.0.1:8089 connected (in)\n" +
		"21:30:01.123 * 127.0.0.1:8089 established (in): x\n" +
		"21:30:01.123 ! 127.0.0.1:8089 warning: odd\n" +
		"21:30:01.123 ! - error: save failed\n" +
		"21:30:01.123 * 127.0.0.1:8089 closed (in): timeout\n"
	if out != want {
		t.Errorf("quiet transcript:\n%s\nwant:\n%s", out, want)
	}
}

func TestAppendClockMatchesTimeLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("odd", 5*3600+1800), time.FixedZone("west", -7*3600)}
	for range 10000 {
		at := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
		if got, want := string(appendClock(nil, at)), at.Format(TimeLayout); got != want {
			t.Fatalf("%v: got %q, want %q", at, got, want)
		}
	}
}

// releasingNode is a fake node that takes back printed batches.
type releasingNode struct {
	*fakeNode
	released int
}

func (n *releasingNode) ReleaseEvents(batch []peer.Event) { n.released += len(batch) }

func TestPrintedBatchesAreReleased(t *testing.T) {
	node := &releasingNode{fakeNode: newFake()}
	node.events <- []peer.Event{{At: t0, Kind: peer.KindRecv, Peer: remote, Text: "ping|1"}, {At: t0, Kind: peer.KindSend, Peer: remote, Text: "pong|1"}}
	node.events <- []peer.Event{{At: t0, Kind: peer.KindInfo, Text: "saved"}}
	close(node.events)
	var out bytes.Buffer
	if err := Run(context.Background(), node, nil, &out, fixedOpts(false)); err != nil {
		t.Fatal(err)
	}
	if node.released != 3 {
		t.Errorf("released %d events, want all 3 once printed", node.released)
	}
}

// TestLineHeadMatchesTheLineWithoutIt: the second and the peer a line
// shares with the one before are copied from it, and must come out as if
// worked out afresh, when the second, the zone or the peer changes between
// two lines, and within one second.
func TestLineHeadMatchesTheLineWithoutIt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	zones := []*time.Location{time.UTC, time.FixedZone("odd", 5*3600+1800), time.FixedZone("west", -7*3600)}
	peers := []string{"127.0.0.1:1", "127.0.0.1:2", "bad\x1b[2Jpeer", ""}
	var h lineHead
	at := time.Unix(1.7e9, 0)
	for range 20000 {
		at = at.Add(time.Duration(rng.Int64N(int64(1500 * time.Millisecond))))
		if rng.IntN(50) == 0 { // a jump back, as a late event may be
			at = at.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
		}
		loc := zones[rng.IntN(len(zones))]
		if rng.IntN(4) != 0 {
			loc = zones[0] // mostly one zone, so the cached second is used
		}
		e := peer.Event{At: at, Kind: peer.KindRecv, Peer: peers[rng.IntN(len(peers))], Text: "ping|1"}
		mark := "-"
		if e.Peer != "" {
			mark = codec.PrintableString(e.Peer)
		}
		want := at.In(loc).Format(TimeLayout) + " < " + mark + " ping|1\n"
		if got := string(h.appendText(nil, &e, loc, false)); got != want {
			t.Fatalf("%v in %v: got %q, want %q", at, loc, got, want)
		}
	}
}
