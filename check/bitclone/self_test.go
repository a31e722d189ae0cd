package bitclone

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	node "github.com/bitclone/bitclone/peer/bitclone"
)

// Short protocol intervals, shared by the node and the checker's
// expectations. The timed checks watch for 2*testIdle whatever the others
// are; pings and advertisements every second (not faster) leave the node's
// ticker 200 ms of slack, not 100, on a loaded machine.
const (
	testPing      = time.Second
	testIdle      = time.Second
	testAdvertise = time.Second
)

// startNode runs a bitclone node on loopback until the test ends.
func startNode(t *testing.T) string {
	t.Helper()
	n := node.New(node.Config{
		ListenHost:        "127.0.0.1",
		UserAgent:         "selftest",
		PingInterval:      testPing,
		IdleTimeout:       testIdle,
		AdvertiseInterval: testAdvertise,
		HandshakeTimeout:  5 * time.Second,
		RetryBase:         time.Hour, // don't keep redialling the checker's address once its run has ended
		RetryMax:          time.Hour,
	})
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	go func() {
		for range n.Events() { // drain
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return n.Addr().String()
}

func fastOptions() Options {
	return Options{
		Options:           check.Options{Timeout: 2 * time.Second, Pace: 20 * time.Millisecond},
		PingInterval:      testPing,
		IdleTimeout:       testIdle,
		AdvertiseInterval: testAdvertise,
	}
}

// bitclone passes its own conformance suite, every check included.
func TestSelfConformance(t *testing.T) {
	addr := startNode(t)
	o := fastOptions()
	o.Slow = true
	o.Listen = "127.0.0.1:0"
	var progress []string
	o.Progress = func(oc check.Outcome) { progress = append(progress, oc.Name) }

	r, err := Run(context.Background(), addr, o)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	writeText(r, &text, o, check.TextOptions{})
	for _, oc := range r.Outcomes {
		if oc.Verdict != check.Pass {
			t.Errorf("%s: %s: %s\n  sent %s\n  got  %s", oc.Name, oc.Verdict, oc.Detail, oc.Sent, oc.Got)
		}
	}
	if !r.OK() || r.DiedIn != "" {
		t.Errorf("report not OK:\n%s", text.String())
	}
	if got, want := strings.Join(progress, " "), strings.Join(Names(), " "); got != want {
		t.Errorf("progress order:\n%s\nwant\n%s", got, want)
	}
	if !strings.HasSuffix(text.String(), "PASS: "+addr+" conforms\n") {
		t.Errorf("text report ends:\n%s", text.String())
	}
	t.Logf("\n%s", text.String())
}
