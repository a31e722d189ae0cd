package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/replay"
	"github.com/bitclone/bitclone/transcript"
)

const replayHelp = `replay sends the sent side of one connection of a transcript (written by
--record) to a peer again, with the original timing or, with --fast, as fast
as possible. For each line sent it shows what comes back now beside what
came back originally, and marks the differences: how you reproduce a bug a
classmate reported.

--conn picks the connection (default: the first that sent anything). The
replay stops --wait after the last line sent, or when the peer hangs up.`

type replayFlags struct {
	to         string
	conn       uint64
	fast, json bool
	wait       time.Duration
}

func newReplayCommand(exit func(int)) *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay [flags] FILE --to HOST:PORT",
		Short: "Replay a recorded connection against a peer and compare the answers",
		Long:  replayHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.to == "" {
				return fmt.Errorf("--to HOST:PORT is required")
			}
			to, err := parsePeer(f.to)
			if err != nil {
				return err
			}
			if f.wait <= 0 {
				return fmt.Errorf("--wait %v: want a positive duration", f.wait)
			}
			exit(runReplay(args[0], to.String(), f, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.to, "to", "", "the peer to replay against, `HOST:PORT`")
	fl.Uint64Var(&f.conn, "conn", 0, "replay connection `N` of the transcript (default: the first that sent anything)")
	fl.BoolVar(&f.fast, "fast", false, "send as fast as possible instead of with the recorded timing")
	fl.DurationVar(&f.wait, "wait", replay.DefaultWait, "keep listening `D` after the last line sent")
	fl.BoolVar(&f.json, "json", false, "print the comparison as JSON")
	return cmd
}

func runReplay(path, to string, f replayFlags, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "bitclone replay: %v\n", err)
		return ExitError
	}
	file, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	entries, problems, err := transcript.Read(file)
	file.Close()
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "bitclone replay: %s: %v\n", path, p)
	}
	dialect := transcript.DialectOf(entries)
	framing, err := framingOf(dialect, transcript.WireOf(entries))
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	s, err := replay.Pick(entries, f.conn, framing)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	if f.conn == 0 {
		if others := otherSenders(entries, s.Conn); len(others) > 0 {
			fmt.Fprintf(stderr, "bitclone replay: replaying conn %d; --conn picks another:\n  %s\n", s.Conn, strings.Join(others, "\n  "))
		}
	}
	if s.Dir == "in" {
		fmt.Fprintf(stderr, "bitclone replay: conn %d was inbound (the peer dialled us); the replay dials %s and sends our side anyway\n", s.Conn, to)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := replay.Options{Fast: f.fast, Wait: f.wait}
	if err := replay.Run(ctx, s, to, o); err != nil {
		return fail(err)
	}
	if f.json {
		err = s.WriteJSON(stdout, to, o)
	} else {
		err = s.WriteText(stdout, to, o)
	}
	if err != nil {
		return fail(err)
	}
	return ExitOK
}

// otherSenders lists the connections besides conn that sent something.
func otherSenders(entries []transcript.Entry, conn uint64) []string {
	var out []string
	for _, c := range replay.Conns(entries) {
		if c.Conn != conn && c.Sent > 0 {
			out = append(out, c.String())
		}
	}
	return out
}
