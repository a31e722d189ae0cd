package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/sim"
)

const simHelp = `sim starts a whole BitClone network in this process: N nodes on loopback
sockets, each told of one random node started before it, with short
protocol intervals. It reports how long until every node has its target
connections and knows 95% of the network, what a node sends per minute at
steady state, and what a node and a connection cost in heap and goroutines.

It needs a file descriptor per connection end and per node: about
N x 12, within the usual limits up to N = 1000.`

func newSimCommand(exit func(int)) *cobra.Command {
	var o sim.Options
	cmd := &cobra.Command{
		Use:   "sim [flags]",
		Short: "Run a simulated network of N nodes on loopback and measure it",
		Long:  simHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Nodes < 2 {
				return fmt.Errorf("--nodes must be at least 2")
			}
			exit(runSim(o, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVarP(&o.Nodes, "nodes", "n", 10, "network size `N`")
	fl.IntVar(&o.Target, "target", 5, "each node keeps `N` connections")
	fl.DurationVar(&o.PingInterval, "ping-interval", 2*time.Second, "every node pings every `D`")
	fl.DurationVar(&o.AdvertiseInterval, "advertise-interval", 2*time.Second, "every node advertises every `D`")
	fl.DurationVar(&o.IdleTimeout, "idle-timeout", 6*time.Second, "connections and addresses expire after `D`")
	fl.DurationVar(&o.Steady, "steady", 10*time.Second, "measure traffic over `D` at steady state")
	fl.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "give up converging after `D`")
	fl.Uint64Var(&o.Seed, "seed", 1, "random seed `N`: who is told of whom")
	return cmd
}

func runSim(o sim.Options, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Progress = stderr
	rep, err := sim.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "bitclone sim: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(stdout, `nodes                         %d (target %d)
all connected after           %s
all know 95%% after            %s
connection ends               %d
sent per node per minute      %.0f messages, %.0f KiB
heap per node / per conn end  %.1f KiB / %.1f KiB
goroutines per node / conn    %.1f / %.1f
events dropped (all nodes)    %d
`, rep.Nodes, rep.Target, rep.Connected.Round(time.Millisecond), rep.Known.Round(time.Millisecond), rep.ConnEnds,
		rep.MsgsPerNodeMin, rep.BytesPerNodeMin/1024, rep.HeapPerNode/1024, rep.HeapPerConn/1024,
		rep.GoroutinesPerNode, rep.GoroutinesPerConn, rep.Dropped)
	return ExitOK
}
