package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/crawl"
	crawlbc "github.com/bitclone/bitclone/crawl/bitclone"
	"github.com/bitclone/bitclone/durable"
	"github.com/bitclone/bitclone/tui/crawlview"
)

const crawlHelp = `crawl walks a BitClone network from the seeds, as Bitcoin's crawlers do:
it calls on every peer once (handshake, a ping, getaddr), adds every address
the peer gives, and goes on until no address is new (at most 1000 peers,
--concurrency at a time, each called on once per round).

For every peer it reports whether it is reachable, or why not (refused,
timeout, closed during the handshake, not BitClone); the handshake time,
the ping's round trip, the user agent and protocol version, our address as
it saw us, the addresses it knows (the graph's edges) and when it was last
seen.

The crawl claims one address: it listens on --listen PORT (default: a free
port of the IP it reaches the first seed from) for the whole run, every
version it sends names that address, and whoever dials it meanwhile gets a
handshake and answered pings. It closes its own connections cleanly.

--check runs the conformance suite (as bitclone check does, without the
timed and outbound checks) on every reachable peer, three at a time: the
scoreboard. A score is the share of the checks run that passed, a warning
counting half. A peer that goes down under a probe is reported as crashed
and never checked again.

--every D crawls again every D and prints what changed since the last
round: peers new or gone, scores up or down (--rounds N stops after N).

On a terminal the crawl is a full-screen view: the table of peers (s
sorts by address, agent, round trip or score, / filters, Enter opens a
peer's report card), g the graph of who gossips whom as a matrix, c what
changed since the last round, q quits (and leaves the last table on the
terminal). --headless, or stdout not a terminal, prints the table
instead, with the progress on stderr. --json prints one JSON object per
peer and a summary line per round; --dot FILE writes the graph in
Graphviz DOT after each round (render it with dot -Tsvg FILE).

The exit status is 0 when some peer was reachable, 1 when none was or the
crawl failed, 2 for a bad command line.`

// crawlFlags are the flags of bitclone crawl.
type crawlFlags struct {
	concurrency, rounds int
	check               bool
	every, timeout      time.Duration
	listen, dot         string
	headless, json      bool
}

func newCrawlCommand(exit func(int)) *cobra.Command {
	var f crawlFlags
	cmd := &cobra.Command{
		Use:   "crawl [flags] HOST:PORT ...",
		Short: "Map a BitClone network from seeds with getaddr, and score every peer (--check)",
		Long:  crawlHelp,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seeds, err := f.validate(args)
			if err != nil {
				return err
			}
			exit(runCrawl(f, seeds, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&f.concurrency, "concurrency", crawlbc.DefaultConcurrency, "call on `N` peers at once")
	fl.BoolVar(&f.check, "check", false, "run the conformance suite on every reachable peer (the scoreboard)")
	fl.DurationVar(&f.every, "every", 0, "crawl again every `D` and print what changed (default: once)")
	fl.IntVar(&f.rounds, "rounds", 0, "with --every: stop after `N` rounds (0: until interrupted)")
	fl.DurationVar(&f.timeout, "timeout", check.DefaultTimeout, "wait at most `D` for each answer")
	fl.StringVar(&f.listen, "listen", "", "listen on `PORT` (or IP:PORT) during the crawl: the only address it claims")
	fl.StringVar(&f.dot, "dot", "", "also write the graph to `FILE` in Graphviz DOT")
	fl.BoolVar(&f.headless, "headless", false, "print the table instead of the full-screen view")
	fl.BoolVar(&f.json, "json", false, "one JSON object per peer and a summary line per round")
	return cmd
}

// validate checks the flags and parses the seeds.
func (f *crawlFlags) validate(args []string) ([]netip.AddrPort, error) {
	switch {
	case f.concurrency < 1:
		return nil, fmt.Errorf("--concurrency %d: want 1 or more", f.concurrency)
	case f.timeout <= 0:
		return nil, fmt.Errorf("--timeout %v: want a positive duration", f.timeout)
	case f.every < 0:
		return nil, fmt.Errorf("--every %v: want a positive duration", f.every)
	case f.rounds < 0:
		return nil, fmt.Errorf("--rounds %d: want 0 or more", f.rounds)
	case f.rounds > 0 && f.every == 0:
		return nil, errors.New("--rounds is for --every")
	}
	if err := checkListen(f.listen); err != nil {
		return nil, err
	}
	return parsePeers(args)
}

// runCrawl crawls, once or every f.every, prints each round and returns
// the exit status.
func runCrawl(f crawlFlags, seeds []netip.AddrPort, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := crawlbc.Options{Concurrency: f.concurrency, Timeout: f.timeout, Check: f.check}
	var feed *crawlview.Feed
	term := false
	if out, ok := stdout.(*os.File); ok && !f.headless && !f.json {
		term = isTerminal(out)
	}
	switch {
	case term:
		feed = crawlview.NewFeed()
		o.Progress = feed.Progress
	case !f.json:
		o.Progress = func(p crawl.Peer) { fmt.Fprintln(stderr, progressLine(p)) }
	}
	c, err := crawlbc.New(ctx, seeds, f.listen, o)
	if err != nil {
		fmt.Fprintf(stderr, "bitclone crawl: %v\n", err)
		return ExitError
	}
	defer c.Close()
	if term {
		return crawlTUI(ctx, f, c, feed, stdin, stdout, stderr)
	}
	if !f.json {
		fmt.Fprintf(stderr, "bitclone crawl: listening on %s for the whole crawl\n", c.Us())
	}

	var prev *crawl.Result
	reachable := false
	for round := 1; ; round++ {
		r, err := c.Round(ctx)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "bitclone crawl: %v\n", err)
			return ExitError
		}
		// Interrupted, the round so far is printed: what was not called on
		// yet shows as unvisited.
		reachable = reachable || r.Summary().Reachable > 0
		if err := printRound(f, stdout, prev, r); err != nil {
			fmt.Fprintf(stderr, "bitclone crawl: %v\n", err)
			return ExitError
		}
		prev = r
		if ctx.Err() != nil || f.every == 0 || (f.rounds > 0 && round >= f.rounds) {
			return exitFor(reachable)
		}
		t := time.NewTimer(f.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return exitFor(reachable)
		case <-t.C:
		}
	}
}

func exitFor(reachable bool) int {
	if reachable {
		return ExitOK
	}
	return ExitError
}

// printRound prints a round (after the first with --every, what changed
// first) and writes the DOT file.
func printRound(f crawlFlags, stdout io.Writer, prev, r *crawl.Result) error {
	var err error
	switch {
	case f.json:
		if prev != nil {
			err = crawl.WriteChangesJSON(stdout, r.Round, crawl.Diff(prev, r))
		}
		err = errors.Join(err, crawl.WriteJSON(stdout, r))
	default:
		if prev != nil {
			err = crawl.WriteChanges(stdout, r.Round, crawl.Diff(prev, r))
		}
		err = errors.Join(err, crawl.WriteTable(stdout, r))
	}
	if err == nil {
		err = writeDOT(f.dot, r)
	}
	return err
}

// progressLine is one peer's news for stderr while a round runs.
func progressLine(p crawl.Peer) string {
	if p.Score != nil {
		return fmt.Sprintf("  checked  %s: %s", p.Addr, crawl.ScoreText(p.Score))
	}
	return fmt.Sprintf("  visited  %s: %s", p.Addr, p.Status)
}

// crawlTUI runs the rounds in the full-screen view, writing the DOT file
// after each; when the user quits, the last round's table stays on the
// terminal.
func crawlTUI(ctx context.Context, f crawlFlags, c *crawlbc.Crawler, feed *crawlview.Feed, stdin io.Reader, stdout, stderr io.Writer) int {
	reachable := false // read once crawlview.Run has ended the rounds
	round := func(ctx context.Context) (*crawl.Result, error) {
		r, err := c.Round(ctx)
		// A round cut short by q counts too, as headless: the status
		// says whether anybody answered.
		reachable = reachable || (r != nil && r.Summary().Reachable > 0)
		if err == nil {
			err = writeDOT(f.dot, r)
		}
		return r, err
	}
	last, err := crawlview.Run(ctx, crawlview.Options{
		Round: round, Feed: feed, Every: f.every, Rounds: f.rounds, Us: c.Us().String(), Input: stdin, Output: stdout,
	})
	if last != nil {
		crawl.WriteTable(stdout, last)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bitclone crawl: %v\n", err)
		return ExitError
	}
	return exitFor(reachable)
}

// writeDOT writes the graph to file ("": none), atomically, so a viewer
// re-rendering it never reads half a graph.
func writeDOT(file string, r *crawl.Result) error {
	if file == "" {
		return nil
	}
	var b bytes.Buffer
	crawl.WriteDOT(&b, r)
	if err := durable.WriteFile(file, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--dot: %w", err)
	}
	return nil
}
