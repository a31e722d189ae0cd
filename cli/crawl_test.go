package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// startSeededNode runs a node on loopback that dials seed, and returns
// once they are connected.
func startSeededNode(t *testing.T, seed string) string {
	t.Helper()
	n := bitclone.New(bitclone.Config{
		ListenHost: "127.0.0.1", UserAgent: "selftest", Seeds: []netip.AddrPort{netip.MustParseAddrPort(seed)},
		PingInterval: 300 * time.Millisecond, IdleTimeout: time.Minute, AdvertiseInterval: 300 * time.Millisecond,
	})
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, established := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	go func() {
		once := false
		for batch := range n.Events() {
			for _, e := range batch {
				if e.Kind == peer.KindEstablished && !once {
					once = true
					close(established)
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-established:
	case <-time.After(10 * time.Second):
		t.Fatalf("no connection to %s", seed)
	}
	return n.Addr().String()
}

// bitclone crawl from one node finds it and the node it knows, prints a
// JSON line for each and a summary, and writes the graph.
func TestCrawlCommandJSON(t *testing.T) {
	a := startNode(t)
	startSeededNode(t, a)
	var stdout, stderr bytes.Buffer
	dot := filepath.Join(t.TempDir(), "class.dot")
	status := execute([]string{"crawl", "--json", "--timeout", "2s", "--listen", "127.0.0.1:0", "--dot", dot, a}, nil, &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; stdout:\n%s", status, stderr.String(), stdout.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want two peers and a summary:\n%s", stdout.String())
	}
	for _, l := range lines[:2] {
		var p struct{ Addr, Status, Agent string }
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Status != "reachable" || p.Agent != "selftest" {
			t.Errorf("peer line %s: %+v %v", l, p, err)
		}
	}
	var s struct {
		Summary struct{ Peers, Reachable, Edges int }
	}
	if err := json.Unmarshal([]byte(lines[2]), &s); err != nil || s.Summary.Peers != 2 || s.Summary.Reachable != 2 || s.Summary.Edges != 2 {
		t.Errorf("summary %s: %+v %v", lines[2], s, err)
	}
	g, err := os.ReadFile(dot)
	if err != nil || !strings.HasPrefix(string(g), "digraph") || strings.Count(string(g), " -> ") != 2 {
		t.Errorf("--dot wrote %q (%v)", g, err)
	}
}

// Headless, with --every: the table each round, and what changed since
// the last one (here nothing), until --rounds.
func TestCrawlCommandEvery(t *testing.T) {
	a := startNode(t)
	var stdout, stderr bytes.Buffer
	status := execute([]string{"crawl", "--headless", "--every", "10ms", "--rounds", "2", "--timeout", "2s", a}, nil, &stdout, &stderr)
	out := stdout.String()
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; stdout:\n%s", status, stderr.String(), out)
	}
	for _, want := range []string{"ADDRESS ", "round 1: 1 peer, 1 reachable", "round 2: no change\n", "round 2: 1 peer, 1 reachable"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "selftest") != 2 {
		t.Errorf("want the node in both tables:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "visited  "+a+": reachable") {
		t.Errorf("no progress on stderr: %q", stderr.String())
	}
}

// Without --headless, stdout not a terminal, it prints the table as
// --headless does; a seed that refuses makes exit status 1.
func TestCrawlCommandNobodyReachable(t *testing.T) {
	ln := nodetest.Listen(t)
	addr := ln.Addr().String()
	ln.Close()
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"crawl", "--timeout", "1s", addr}, nil, &stdout, &stderr); status != ExitError {
		t.Errorf("status %d, want %d; stdout:\n%s", status, ExitError, stdout.String())
	}
	if !strings.Contains(stderr.String(), "visited  "+addr+": refused") || !strings.Contains(stdout.String(), "ADDRESS ") || !strings.Contains(stdout.String(), "refused") {
		t.Errorf("stderr %q, stdout:\n%s", stderr.String(), stdout.String())
	}
}

func TestCrawlCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"crawl"},
		{"crawl", "nope"},
		{"crawl", "--concurrency", "0", "127.0.0.1:1"},
		{"crawl", "--timeout", "0s", "127.0.0.1:1"},
		{"crawl", "--rounds", "2", "127.0.0.1:1"},
		{"crawl", "--listen", "x", "127.0.0.1:1"},
	} {
		var stdout, stderr bytes.Buffer
		if status := execute(args, nil, &stdout, &stderr); status != ExitUsage {
			t.Errorf("%q: status %d, want %d; stderr %q", args, status, ExitUsage, stderr.String())
		}
	}
}
