package bitclone

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/bitclone/bitclone/check"
	checkbc "github.com/bitclone/bitclone/check/bitclone"
)

// benchNodes is the class: thirty peers.
const benchNodes = 30

// BenchmarkCrawl crawls thirty nodes from one seed with the default
// options, against the same crawl one peer at a time (concurrency-1, the
// baseline). Run it with -benchtime=3x: one iteration is one whole crawl.
func BenchmarkCrawl(b *testing.B) {
	w := startNetwork(b, benchNodes)
	w.waitKnown(w.addrs())
	for _, conc := range []int{1, DefaultConcurrency} {
		b.Run(fmt.Sprintf("concurrency-%d", conc), func(b *testing.B) {
			benchRounds(b, w, Options{Concurrency: conc}, benchNodes)
		})
	}
}

// BenchmarkScore crawls and checks thirty nodes with the default options
// (the scoreboard), against one check run on one node (check-1, the
// baseline): the ratio is what thirty scores cost in single checks. Run it
// with -benchtime=1x.
func BenchmarkScore(b *testing.B) {
	w := startNetwork(b, benchNodes)
	w.waitKnown(w.addrs())
	b.Run("check-1", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			ln, err := checkbc.Listen(ctx, "127.0.0.1:0", checkbc.Options{}, check.TCP{})
			if err != nil {
				b.Fatal(err)
			}
			o := checkbc.Options{}
			o.Shared = ln
			rep, err := checkbc.Run(ctx, w.nodes[0].Addr().String(), o)
			ln.Close()
			if err != nil || !rep.OK() {
				b.Fatalf("check: %v, %+v", err, rep)
			}
		}
	})
	b.Run(fmt.Sprintf("crawl-check-%d", benchNodes), func(b *testing.B) {
		benchRounds(b, w, Options{Check: true}, benchNodes)
	})
}

// benchRounds crawls w from its last node once per iteration, on a fresh
// crawler, and fails unless every node was reached (and scored, with
// Check).
func benchRounds(b *testing.B, w *network, o Options, want int) {
	ctx := context.Background()
	for b.Loop() {
		c, err := New(ctx, []netip.AddrPort{w.nodes[len(w.nodes)-1].Addr()}, "127.0.0.1:0", o)
		if err != nil {
			b.Fatal(err)
		}
		r, err := c.Round(ctx)
		c.Close()
		if err != nil {
			b.Fatal(err)
		}
		s := r.Summary()
		if s.Reachable != want || (o.Check && s.Checked != want) {
			b.Fatalf("%d reachable, %d checked of %d", s.Reachable, s.Checked, want)
		}
	}
}
