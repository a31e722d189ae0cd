package crawlview

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/bitclone/bitclone/crawl"
)

var (
	waitLong  = teatest.WithDuration(10 * time.Second)
	waitOften = teatest.WithCheckInterval(10 * time.Millisecond)
)

func contains(s ...string) func([]byte) bool {
	return func(b []byte) bool {
		for _, x := range s {
			if !bytes.Contains(b, []byte(x)) {
				return false
			}
		}
		return true
	}
}

// fakeCrawl is a RoundFunc without a network: rounds 1 and 2 are canned
// (bob is gone in the second), round 3 reports one peer and then waits
// for its context, and says so on cancelled.
type fakeCrawl struct {
	feed      *Feed
	calls     int
	cancelled chan struct{}
}

func (f *fakeCrawl) round(ctx context.Context) (*crawl.Result, error) {
	f.calls++
	r := sample(f.calls)
	switch f.calls {
	case 1:
	case 2:
		r.Peers[1].Status, r.Peers[1].Reason, r.Peers[1].Score = crawl.Refused, "connection refused", nil
	default:
		f.feed.Progress(r.Peers[0])
		<-ctx.Done()
		close(f.cancelled)
		return r, ctx.Err()
	}
	for _, p := range r.Peers {
		f.feed.Progress(p)
	}
	return r, nil
}

// The program with its driver, through three rounds of a fake crawl: the
// table, the changes, the graph, the progress of the third round, and q
// ends the round under way and every goroutine.
func TestProgramRunsTheRounds(t *testing.T) {
	f := &fakeCrawl{feed: NewFeed(), cancelled: make(chan struct{})}
	m, stop := start(context.Background(), Options{Round: f.round, Feed: f.feed, Every: time.Millisecond, Us: "127.0.0.1:19100"})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	teatest.WaitFor(t, tm.Output(), contains("round 2 against 1:", "1 gone", ": 1 visited"), waitLong, waitOften)
	tm.Send(tea.KeyPressMsg{Code: 'c', Text: "c"})
	teatest.WaitFor(t, tm.Output(), contains("Round 2 against round 1: 1 change", "gone"), waitLong, waitOften)
	tm.Send(tea.KeyPressMsg{Code: 'g', Text: "g"})
	teatest.WaitFor(t, tm.Output(), contains("Who gossips whom", "refused, gossiped by 1"), waitLong, waitOften)
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	stop() // returns once the driver has: the round under way ended
	select {
	case <-f.cancelled:
	default:
		t.Error("the round under way did not see its context end")
	}
	if final.cur == nil || final.cur.Round != 2 || f.calls != 3 {
		t.Errorf("last round %+v after %d calls", final.cur, f.calls)
	}
}

// screenWriter is a terminal for Run: it tells shown when what it was
// waiting for has been drawn.
type screenWriter struct {
	buf   bytes.Buffer
	want  string
	shown chan struct{}
}

func (w *screenWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	if w.want != "" && bytes.Contains(w.buf.Bytes(), []byte(w.want)) {
		w.want = ""
		close(w.shown)
	}
	return len(b), nil
}

// runUntil runs Run with round until the screen shows want, then types key.
func runUntil(t *testing.T, round RoundFunc, want, key string) (*crawl.Result, error) {
	t.Helper()
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &screenWriter{want: want, shown: make(chan struct{})}
	typed := make(chan struct{})
	go func() {
		defer close(typed)
		select {
		case <-out.shown:
			pw.Write([]byte(key))
		case <-time.After(10 * time.Second):
			t.Errorf("the screen never showed %q", want)
			pw.Write([]byte(key))
		}
	}()
	defer func() { <-typed }()
	return Run(context.Background(), Options{Round: round, Input: pr, Output: out, width: 120, height: 40})
}

// Run: one round, then Ctrl-C typed on the terminal; it returns that
// round. A round that fails is returned as the error.
func TestRun(t *testing.T) {
	r, err := runUntil(t, func(context.Context) (*crawl.Result, error) { return sample(1), nil }, "127.0.0.1:18109", "\x03")
	if err != nil || r == nil || len(r.Peers) != 5 {
		t.Errorf("Run: %v, %+v", err, r)
	}
	r, err = runUntil(t, func(context.Context) (*crawl.Result, error) { return nil, io.ErrUnexpectedEOF }, "unexpected EOF", "q")
	if r != nil || err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("a failed round: %v, %+v", err, r)
	}
}

// colourSGR matches an SGR sequence that sets a colour.
var colourSGR = regexp.MustCompile(`\x1b\[(?:[0-9;:]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:[;:][0-9;:]*)?m`)

// NO_COLOR takes the colours away, not the meaning: the graph still marks
// the unreachable address with its glyph, the cursor with ▸ and reverse.
func TestNoColorKeepsTheMarks(t *testing.T) {
	for _, c := range []struct {
		env    []string
		colour bool
	}{
		{[]string{"TERM=xterm-256color", "TTY_FORCE=1"}, true},
		{[]string{"TERM=xterm-256color", "TTY_FORCE=1", "NO_COLOR=1"}, false},
	} {
		m, stop := start(context.Background(), Options{Round: func(context.Context) (*crawl.Result, error) { return sample(1), nil }})
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40), teatest.WithProgramOptions(tea.WithEnvironment(c.env)))
		teatest.WaitFor(t, tm.Output(), contains(gone), waitLong, waitOften)
		tm.Send(tea.KeyPressMsg{Code: 'g', Text: "g"})
		var out []byte
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			out = b
			return bytes.Contains(b, []byte("refused, gossiped by 1"))
		}, waitLong, waitOften)
		if got := colourSGR.Match(out); got != c.colour {
			t.Errorf("%v: colour %v, want %v", c.env, got, c.colour)
		}
		if !bytes.Contains(out, []byte("✗")) {
			t.Errorf("%v: no ✗ in the graph", c.env)
		}
		tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
		stop()
	}
}
