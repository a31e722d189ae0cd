package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/stress"
)

const stressHelp = `stress starts a node of ours and an honest peer connected to it, on
loopback, then attacks the node and reports whether the honest peer kept
its connection and had every ping answered within the interval, the
process's peak heap, and the node's address book size:

  handshakes  COUNT connections that never finish the handshake
  pings       one peer sends COUNT pings (--no-flood-limit to answer them all)
  addrs       one peer sends COUNT addr messages of --per made-up addresses
  all         every attack at once for --duration, beside the honest peer:
              silent connections until the descriptor table (--fd-limit)
              is full, a ping flood, an addr flood of COUNT messages
              (default 1000), slowloris, a peer that never reads, and a
              warning flood; once with the node's events printed by the
              headless printer into a byte counter, once with nobody
              reading them (--front-end)

The exit status is 1 if the honest peer suffered or the book overflowed;
for all, if the honest peer was dropped, its 99th-percentile round trip
reached 20ms or the peak heap 64 MiB.`

func newStressCommand(exit func(int)) *cobra.Command {
	var sc stress.Scenario
	var all stress.All
	var frontEnd string
	cmd := &cobra.Command{
		Use:   "stress [flags] handshakes|pings|addrs|all",
		Short: "Attack a node of ours on loopback and watch an honest peer",
		Long:  stressHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc.Attack = args[0]
			if sc.Attack == stress.AttackAll {
				phases, err := allPhases(frontEnd)
				if err != nil {
					return err
				}
				all.AddrMsgs, all.PerAddr = sc.Count, sc.PerAddr
				all.PingInterval, all.HandshakeTimeout = sc.PingInterval, sc.HandshakeTimeout
				exit(runStressAll(all, phases, cmd.OutOrStdout(), cmd.ErrOrStderr()))
				return nil
			}
			if sc.Count <= 0 {
				sc.Count = map[string]int{stress.AttackHandshakes: 500, stress.AttackPings: 1_000_000, stress.AttackAddrs: 1000}[sc.Attack]
			}
			exit(runStress(sc, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&sc.Count, "count", 0, "attack size `N` (default 500 connections, 1000000 pings, 1000 addr messages, for all too)")
	fl.IntVar(&sc.PerAddr, "per", 1000, "`N` addresses per addr message")
	fl.DurationVar(&sc.PingInterval, "ping-interval", 0, "the node's and the honest peer's ping interval `D` (default 500ms, 100ms for all)")
	fl.DurationVar(&sc.HandshakeTimeout, "handshake-timeout", 2*time.Second, "the node's handshake timeout `D`")
	fl.BoolVar(&sc.NoFloodLimit, "no-flood-limit", false, "turn the node's per-peer message rate limit off")
	fl.DurationVar(&all.Duration, "duration", 30*time.Second, "all: how long the attacks run, `D` per front-end phase")
	fl.IntVar(&all.FDLimit, "fd-limit", 1024, "all: the process's descriptor limit `N` during the attack (restored after)")
	fl.StringVar(&frontEnd, "front-end", "both", "all: the node's front end `MODE`: live (printed), stalled (never read) or both")
	fl.IntVar(&all.WarnPeers, "warn-peers", 20, "all: `N` peers in the warning flood")
	fl.IntVar(&all.WarnRate, "warn-rate", 900, "all: `N` unsolicited pongs, and as many malformed rejects, each warning peer sends a second")
	fl.IntVar(&all.Slowloris, "slowloris", 200, "all: `N` connections sending their version line a byte at a time")
	return cmd
}

// allPhases turns --front-end into the phases of the all scenario: false
// is a live front end, true a stalled one.
func allPhases(frontEnd string) ([]bool, error) {
	switch frontEnd {
	case "live":
		return []bool{false}, nil
	case "stalled":
		return []bool{true}, nil
	case "both":
		return []bool{false, true}, nil
	}
	return nil, fmt.Errorf("--front-end %q: want live, stalled or both", frontEnd)
}

func runStressAll(sc stress.All, phases []bool, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var reps []stress.AllReport
	for _, stalled := range phases {
		sc.Stalled = stalled
		rep, err := stress.RunAll(ctx, sc)
		if err != nil {
			fmt.Fprintf(stderr, "bitclone stress: %v\n", err)
			return ExitError
		}
		reps = append(reps, rep)
	}
	if !writeAllReport(stdout, reps) {
		return ExitError
	}
	return ExitOK
}

// writeAllReport prints the all scenario's phases side by side and says
// which targets each missed; it reports whether every target was met.
func writeAllReport(w io.Writer, reps []stress.AllReport) (ok bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label string, cell func(r stress.AllReport) string) {
		fmt.Fprint(tw, label)
		for _, r := range reps {
			fmt.Fprint(tw, "\t", cell(r))
		}
		fmt.Fprintln(tw)
	}
	mib := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	row("front end", func(r stress.AllReport) string { return r.FrontEnd() })
	row("attacks ran", func(r stress.AllReport) string {
		return fmt.Sprintf("%s (descriptor limit %d)", r.Took.Round(time.Millisecond), r.FDLimit)
	})
	row("honest peer", func(r stress.AllReport) string {
		if r.HonestKept {
			return "kept"
		}
		return "DROPPED"
	})
	row("honest round trip p99", func(r stress.AllReport) string { return ms(r.RTT.P99) })
	row("honest round trip worst", func(r stress.AllReport) string { return ms(r.RTT.Worst) })
	row("honest pings timed", func(r stress.AllReport) string {
		return fmt.Sprintf("%d (%d unanswered), every %s", r.RTT.Samples, r.RTT.Unanswered, r.PingInterval)
	})
	row("peak heap (before)", func(r stress.AllReport) string {
		return fmt.Sprintf("%s (%s)", mib(r.MemPeak.Heap), mib(r.MemBefore.Heap))
	})
	row("peak Sys (before)", func(r stress.AllReport) string {
		return fmt.Sprintf("%s (%s)", mib(r.MemPeak.Sys), mib(r.MemBefore.Sys))
	})
	row("node dials", func(r stress.AllReport) string {
		return fmt.Sprintf("%d: %.0f/s, at most %d in a second", r.Dials, r.DialsPerSecond(), r.DialsPeak)
	})
	row("log bytes", func(r stress.AllReport) string {
		if r.Stalled {
			return "- (nobody reads)"
		}
		return fmt.Sprintf("%s: %.0f KiB/s", mib(r.LogBytes), r.LogBytesPerSecond()/1024)
	})
	row("events waiting at resume", func(r stress.AllReport) string {
		if !r.Stalled {
			return "-"
		}
		return fmt.Sprint(r.Backlog)
	})
	row("message events dropped", func(r stress.AllReport) string { return fmt.Sprint(r.EventsDropped) })
	row("other events suppressed", func(r stress.AllReport) string { return fmt.Sprint(r.EventsSuppressed) })
	row("warnings, failed accepts", func(r stress.AllReport) string { return fmt.Sprintf("%d, %d", r.Warnings, r.AcceptErrors) })
	row("closed by the node", func(r stress.AllReport) string { return countsText(r.Reasons) })
	row("silent connections", func(r stress.AllReport) string {
		s := r.Silent
		full := "table never full"
		if s.Exhausted > 0 {
			full = fmt.Sprintf("table full after %s, %d dials out of descriptors", s.FullAfter.Round(time.Millisecond), s.Exhausted)
		}
		return fmt.Sprintf("%d opened from %s on, %d closed by the node; %s", s.Opened, s.StartedAfter.Round(time.Millisecond), s.ClosedByTarget, full)
	})
	row("ping flood", func(r stress.AllReport) string {
		p := r.Pings
		return fmt.Sprintf("%d pings on %d connections, %d answered, dropped %d times", p.Sent, p.Conns, p.Answered, p.Dropped)
	})
	row("addr flood", func(r stress.AllReport) string {
		return fmt.Sprintf("%d messages, %d addresses; book %d of %d", r.Addrs.Msgs, r.Addrs.Addrs, r.Book, r.Limit)
	})
	row("slowloris", func(r stress.AllReport) string {
		s := r.Slowloris
		return fmt.Sprintf("%d connections, %d bytes, %d closed by the node, longest %s", s.Opened, s.Bytes, s.ClosedByTarget, s.LongestHeld.Round(time.Millisecond))
	})
	row("never-reading peer", func(r stress.AllReport) string {
		n := r.NeverRead
		if !n.Handshaked {
			return "could not connect"
		}
		fate := fmt.Sprintf("kept; the node wrote it %s", mib(r.NeverReadQ))
		if n.Dropped {
			fate = "dropped after " + n.HeldFor.Round(time.Millisecond).String()
		}
		return fmt.Sprintf("%d lines sent, %d writes stalled; %s", n.Sent, n.Stalled, fate)
	})
	row("warning flood", func(r stress.AllReport) string {
		wr := r.Warn
		return fmt.Sprintf("%d peers (%d could not connect), %d lines, dropped %d times", wr.Peers, wr.Failed, wr.Lines, wr.Dropped)
	})
	ok = true
	row("targets", func(r stress.AllReport) string {
		missed := r.Missed()
		if len(missed) == 0 {
			return "met"
		}
		ok = false
		return "MISSED: " + strings.Join(missed, "; ")
	})
	tw.Flush()
	return ok
}

// countsText prints counts by name, largest first: "438 evicted, 62 flood".
func countsText(counts map[string]int) string {
	if len(counts) == 0 {
		return "none"
	}
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if counts[names[i]] != counts[names[j]] {
			return counts[names[i]] > counts[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%d %s", counts[name], name)
	}
	return strings.Join(parts, ", ")
}

func runStress(sc stress.Scenario, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := stress.Run(ctx, sc)
	if err != nil {
		fmt.Fprintf(stderr, "bitclone stress: %v\n", err)
		return ExitError
	}
	var reasons []string
	for r, n := range rep.Reasons {
		reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(reasons)
	fmt.Fprintf(stdout, `attack                 %s x %d
sent                   %d in %s
pongs to the attacker  %d
closed by the node     %v
refused at accept      %d
honest peer            kept=%v, %d pongs during the attack, longest ping wait %s (interval %s)
heap                   %.1f MiB before, %.1f MiB at peak
address book           %d of %d
`, rep.Attack, rep.Count, rep.Sent, rep.Took.Round(time.Millisecond), rep.Answered, reasons, rep.Refused,
		rep.HonestKept, rep.HonestPongs, rep.HonestWorstWait.Round(time.Microsecond), rep.PingInterval,
		float64(rep.HeapBefore)/(1<<20), float64(rep.HeapPeak)/(1<<20), rep.Book, rep.Limit)
	if rep.Attack == stress.AttackHandshakes {
		if rep.NewcomerErr != nil {
			fmt.Fprintf(stdout, "newcomer               could not connect: %v\n", rep.NewcomerErr)
		} else {
			fmt.Fprintf(stdout, "newcomer got in after  %s\n", rep.NewcomerWait.Round(time.Microsecond))
		}
	}
	if !rep.OK() {
		fmt.Fprintln(stdout, "FAIL: the honest peer suffered or the address book overflowed")
		return ExitError
	}
	fmt.Fprintln(stdout, "ok")
	return ExitOK
}
