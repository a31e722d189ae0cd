package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
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

The exit status is 1 if the honest peer suffered or the book overflowed.`

func newStressCommand(exit func(int)) *cobra.Command {
	var sc stress.Scenario
	cmd := &cobra.Command{
		Use:   "stress [flags] handshakes|pings|addrs",
		Short: "Attack a node of ours on loopback and watch an honest peer",
		Long:  stressHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc.Attack = args[0]
			if sc.Count <= 0 {
				sc.Count = map[string]int{stress.AttackHandshakes: 500, stress.AttackPings: 1_000_000, stress.AttackAddrs: 1000}[sc.Attack]
			}
			exit(runStress(sc, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&sc.Count, "count", 0, "attack size `N` (default 500 connections, 1000000 pings, 1000 addr messages)")
	fl.IntVar(&sc.PerAddr, "per", 1000, "`N` addresses per addr message")
	fl.DurationVar(&sc.PingInterval, "ping-interval", 500*time.Millisecond, "the node's and the honest peer's ping interval `D`")
	fl.DurationVar(&sc.HandshakeTimeout, "handshake-timeout", 2*time.Second, "the node's handshake timeout `D`")
	fl.BoolVar(&sc.NoFloodLimit, "no-flood-limit", false, "turn the node's per-peer message rate limit off")
	return cmd
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
