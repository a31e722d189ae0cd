package headless

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// timedWriter records how many bytes were written in each second since start.
type timedWriter struct {
	mu     sync.Mutex
	start  time.Time
	buf    bytes.Buffer
	perSec map[int]int
}

func (w *timedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.perSec[int(time.Since(w.start)/time.Second)] += len(p)
	return w.buf.Write(p)
}

// floodWarnings runs Run over a peer that causes rate warnings a second for
// secs seconds, in batches every tenth of a second, and returns the output.
func floodWarnings(t *testing.T, json bool, rate, secs int) (*timedWriter, int) {
	t.Helper()
	node := newFake()
	w := &timedWriter{start: time.Now(), perSec: map[int]int{}}
	errc := make(chan error, 1)
	go func() {
		errc <- Run(context.Background(), node, nil, w, Options{Dialect: testDialect, JSON: json, Location: time.UTC})
	}()
	n := 0
	for range secs * 10 {
		batch := make([]peer.Event, rate/10)
		for i := range batch {
			batch[i] = peer.Event{At: time.Now(), Kind: peer.KindWarn, Peer: remote, Text: fmt.Sprintf("pong nonce %d matches no outstanding ping", n)}
			n++
		}
		node.events <- batch
		time.Sleep(100 * time.Millisecond) // the fake clock of the bubble: a peer's pace
	}
	close(node.events)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return w, n
}

func TestRepeatedWarningsFromOnePeerAreSummarised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, secs = 1000, 10
		w, sent := floodWarnings(t, false, rate, secs)
		lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
		// The first few verbatim, so that a reader sees what the peer did.
		for i := range verbatimRepeats {
			if want := fmt.Sprintf("pong nonce %d matches", i); !strings.Contains(lines[i], want) {
				t.Fatalf("line %d is %q, want the warning %q verbatim", i, lines[i], want)
			}
		}
		// Every warning is printed or counted in a summary.
		summary := regexp.MustCompile(`warning: (\d+) more similar warnings from ` + regexp.QuoteMeta(hostOf(remote)) + ` \(pong nonce\)$`)
		total := 0
		for _, l := range lines {
			if m := summary.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				total += n
			} else if strings.Contains(l, "pong nonce") {
				total++
			}
		}
		if total != sent {
			t.Errorf("%d warnings printed or summarised, want %d", total, sent)
		}
		// Bounded: a few lines a second, not a thousand.
		const bound = (verbatimRepeats + 1) * 120
		for sec, n := range w.perSec {
			if n > bound {
				t.Errorf("second %d: %d bytes printed, want at most %d", sec, n, bound)
			}
		}
	})
}

func TestRepeatedWarningsAreSummarisedInJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, sent := floodWarnings(t, true, 100, 2)
		var total uint64
		summaries := 0
		for _, l := range strings.Split(strings.TrimSpace(w.buf.String()), "\n") {
			var e jsonEvent
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if e.Suppressed > 0 {
				summaries++
				if !strings.HasPrefix(e.Text, fmt.Sprintf("%d more similar warnings from %s", e.Suppressed, hostOf(remote))) || e.Kind != "warn" {
					t.Errorf("summary %+v", e)
				}
			}
			total += max(1, e.Suppressed)
		}
		if summaries == 0 || total != uint64(sent) {
			t.Errorf("%d summaries, %d warnings printed or summarised; want some, and %d", summaries, total, sent)
		}
	})
}

func TestRepeatsKeepOtherPeersAndKindsApart(t *testing.T) {
	var r repeats
	var sums []peer.Event
	sum := func(e *peer.Event) { sums = append(sums, *e) }
	printed := 0
	for i := range 3 * verbatimRepeats {
		for _, e := range []peer.Event{
			// a:1 and a:2 are one peer that reconnected.
			{Kind: peer.KindWarn, Peer: fmt.Sprintf("a:%d", 1+i%2), Text: fmt.Sprint("malformed reject: ", i)},
			{Kind: peer.KindWarn, Peer: "b:1", Text: fmt.Sprint("malformed reject: ", i)},
			{Kind: peer.KindWarn, Peer: "a:1", Text: fmt.Sprint("pong nonce ", i)},
			{Kind: peer.KindClosed, Peer: "a:1", Text: "EOF"},
		} {
			if r.admit(&e, t0, sum) {
				printed++
			}
		}
	}
	if want := 3*verbatimRepeats + 3*verbatimRepeats; printed != want {
		t.Errorf("%d printed, want %d: the first %d of each kind from each peer, and every connection change", printed, want, verbatimRepeats)
	}
	r.expire(t0.Add(repeatWindow), false, sum)
	if len(sums) != 3 || r.holding() {
		t.Errorf("%d summaries (still holding: %v), want 3", len(sums), r.holding())
	}
}
