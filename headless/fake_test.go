package headless

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// t0 is the time of every canned event and snapshot.
var t0 = time.Date(2026, 11, 21, 21, 30, 1, 123_000_000, time.UTC)

// fakeNode is a peer.Node with a channel of events, a record of Do calls and
// a canned snapshot.
type fakeNode struct {
	events   chan []peer.Event
	did      chan peer.Command // every Do call, buffered
	doErr    error
	invalid  string // Validate's text for lines starting with "bad" (Invalid) or "lax" (Lenient)
	snapshot peer.Snapshot
}

func newFake() *fakeNode {
	return &fakeNode{events: make(chan []peer.Event, 64), did: make(chan peer.Command, 64)}
}

func (f *fakeNode) Events() <-chan []peer.Event { return f.events }
func (f *fakeNode) Snapshot() peer.Snapshot     { return f.snapshot }

func (f *fakeNode) Do(c peer.Command) error {
	f.did <- c
	return f.doErr
}

func (f *fakeNode) Validate(line string) peer.Verdict {
	switch {
	case strings.HasPrefix(line, "bad"):
		return peer.Verdict{Level: peer.Invalid, Text: f.invalid}
	case strings.HasPrefix(line, "lax"):
		return peer.Verdict{Level: peer.Lenient, Text: f.invalid}
	}
	return peer.Verdict{Level: peer.Valid}
}

// dids returns the Do calls made so far (call after Run returned).
func (f *fakeNode) dids() []peer.Command {
	var out []peer.Command
	for {
		select {
		case c := <-f.did:
			out = append(out, c)
		default:
			return out
		}
	}
}

// signalWriter records writes and signals each one on a channel, so a test
// can wait for output instead of sleeping.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan string
}

func newSignalWriter() *signalWriter { return &signalWriter{wrote: make(chan string, 64)} }

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	select {
	case w.wrote <- string(p):
	default:
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until a write to w contains want.
func (w *signalWriter) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-w.wrote:
			if strings.Contains(s, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no write containing %q; got so far:\n%s", want, w.String())
		}
	}
}

// testDialect is a text dialect as BitClone's: a typed line goes out with CRLF.
var testDialect = peer.Dialect{
	Name:    "test",
	Encode:  func(line string) ([]byte, error) { return []byte(line + "\r\n"), nil },
	Framing: peer.Framing{Command: func([]byte) string { return "?" }},
}

func fixedOpts(json bool) Options {
	return Options{Dialect: testDialect, JSON: json, Now: func() time.Time { return t0 }, Location: time.UTC}
}

// runCommands feeds input to Run on stdin, waits until every line has been
// handled (Run notes the end of input on stderr), then closes the node's
// events and returns what Run printed.
func runCommands(t *testing.T, node *fakeNode, input string, opts Options) string {
	t.Helper()
	stderr := newSignalWriter()
	opts.Stderr = stderr
	var stdout bytes.Buffer
	errc := make(chan error, 1)
	go func() { errc <- Run(context.Background(), node, strings.NewReader(input), &stdout, opts) }()
	stderr.waitFor(t, "end of input")
	close(node.events)
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	return stdout.String()
}

// printEvents runs Run with no stdin over events already queued and closed.
func printEvents(t *testing.T, opts Options, events ...peer.Event) string {
	t.Helper()
	node := newFake()
	for _, e := range events {
		node.events <- []peer.Event{e}
	}
	close(node.events)
	var stdout bytes.Buffer
	if err := Run(context.Background(), node, nil, &stdout, opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return stdout.String()
}

var errNoPeers = errors.New("no established peers")

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
