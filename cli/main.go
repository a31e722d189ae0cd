package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/headless"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
	"github.com/bitclone/bitclone/tui"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1 // the node could not start or failed
	ExitUsage = 2 // a bad flag or argument
)

// Main runs bitclone with args (without the program name) and returns the
// process's exit status.
func Main(args []string) int {
	return execute(args, os.Stdin, os.Stdout, os.Stderr)
}

func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	status := ExitOK
	cmd := newRootCommand(func(s Settings) error {
		status = run(s, stdin, stdout, stderr)
		return nil
	}, func(n int) { status = n })
	cmd.SetOut(stdout) // --help and --version
	cmd.SetIn(stdin)   // subcommands that read commands (nibble)
	cmd.SetErr(stderr)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	cmd.SetArgs(args)
	if c, err := cmd.ExecuteC(); err != nil {
		// A bad flag or argument count: the usage of the command that
		// failed (check's for "check --bogus"); any other error, a hint.
		fmt.Fprintf(stderr, "%s: %v\n", c.CommandPath(), err)
		if errors.As(err, new(usageError)) {
			fmt.Fprint(stderr, c.UsageString())
		} else {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", c.CommandPath())
		}
		return ExitUsage
	}
	return status
}

// newRootCommand is bitclone with its subcommands; run runs the node, exit
// sets the exit status of a subcommand.
func newRootCommand(run func(Settings) error, exit func(int)) *cobra.Command {
	cmd := newCommand(run)
	cmd.AddCommand(newCheckCommand(exit), newReplayCommand(exit), newSimCommand(exit), newStressCommand(exit))
	cmd.AddCommand(newMakeTorrentCommand(exit))
	cmd.AddCommand(newTrackerCommand(exit))
	cmd.AddCommand(newNibbleCommand(exit), newBTCommand(exit), newPexCommand(exit), newToyCommand(exit))
	cmd.AddCommand(newCrawlCommand(exit))
	usageErrors(cmd)
	return cmd
}

// usageError is a flag or argument count that cobra refused; it is
// answered with the command's usage.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usageErrors makes flag errors, for cmd and the commands under it, and
// the errors of each command's argument check, usageErrors.
func usageErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, c := range append([]*cobra.Command{cmd}, cmd.Commands()...) {
		if args := c.Args; args != nil {
			c.Args = func(c *cobra.Command, a []string) error {
				if err := args(c, a); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
	}
}

// Parse checks a command line (without the program name) and returns what it
// asks for, without running anything. It returns errNoRun for --help and
// --version, which print to nowhere here.
func Parse(args []string) (Settings, error) {
	var got *Settings
	cmd := newCommand(func(s Settings) error { got = &s; return nil })
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if args == nil {
		args = []string{}
	}
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		return Settings{}, err
	}
	if got == nil {
		return Settings{}, errNoRun
	}
	return *got, nil
}

var errNoRun = errors.New("nothing to run (help or version)")

// run starts the node and its front end, and returns the exit status once
// the user quits or a signal arrives and the node has stopped (and saved its
// peers file).
func run(s Settings, stdin io.Reader, stdout, stderr io.Writer) int {
	for _, n := range s.Notes {
		fmt.Fprintln(stderr, "bitclone:", n)
	}
	rec, err := startRecording(s.Record, &bitclone.Dialect, stderr, s.Headless)
	if err != nil {
		fmt.Fprintf(stderr, "bitclone: %v\n", err)
		return ExitError
	}
	node := bitclone.New(s.Config, rec.options()...)
	// Bind before any front end starts, so a busy port is a plain error.
	if err := node.Listen(); err != nil {
		fmt.Fprintf(stderr, "bitclone: listen: %v\n", err)
		rec.close(stderr)
		return ExitError
	}

	// A closed stdout (`bitclone --json | head`) must stop the node as
	// :quit does, saving the peers file and the recording, not kill it: with
	// SIGPIPE ignored a write returns EPIPE instead.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Once shutdown starts, a second interrupt kills at once, should saving hang.
	context.AfterFunc(ctx, stopSignals)

	ran := make(chan error, 1)
	go func() { ran <- node.Run(ctx) }()
	frontErr := pickFrontEnd(s, stderr)(ctx, node, stdin, stdout, cancel)
	cancel()
	runErr := <-ran

	status := ExitOK
	switch {
	case errors.Is(frontErr, syscall.EPIPE):
		// The reader of the transcript went away: a quit, not a failure.
		fmt.Fprintln(stderr, "bitclone: stdout closed; stopped")
	case frontErr != nil:
		fmt.Fprintf(stderr, "bitclone: output: %v\n", frontErr)
		status = ExitError
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(stderr, "bitclone: %v\n", runErr)
		status = ExitError
	}
	if !rec.close(stderr) { // after Run: no connection records any more
		status = ExitError
	}
	return status
}

// A frontEnd shows the node to the user until the user quits (calling quit
// to stop the node) or the node's events end.
type frontEnd func(ctx context.Context, node peer.Node, stdin io.Reader, stdout io.Writer, quit func()) error

// pickFrontEnd picks the user interface.
func pickFrontEnd(s Settings, stderr io.Writer) frontEnd {
	return dialectFrontEnd(bitclone.Dialect, s, stderr)
}

// dialectFrontEnd picks the user interface for a node of dialect d.
func dialectFrontEnd(d peer.Dialect, s Settings, stderr io.Writer) frontEnd {
	if !s.Headless {
		return func(ctx context.Context, node peer.Node, stdin io.Reader, stdout io.Writer, quit func()) error {
			if f, ok := stdout.(*os.File); ok && !isTerminal(f) {
				// Redirected to a file or a pipe: a TUI there would be
				// noise, the transcript is what is wanted.
				fmt.Fprintln(stderr, "bitclone: stdout is not a terminal; running headless")
				return headless.Run(ctx, node, stdin, stdout, headless.Options{Dialect: d, JSON: s.JSON, Quiet: s.Quiet, Stderr: stderr, Quit: quit})
			}
			return tui.Run(ctx, node, tui.Options{
				Dialect:  d,
				LogLines: s.LogLines, HistoryFile: s.HistoryFile, Listen: node.Snapshot().Listen,
				Notes: s.Notes, Input: stdin, Output: stdout,
			})
		}
	}
	return func(ctx context.Context, node peer.Node, stdin io.Reader, stdout io.Writer, quit func()) error {
		return headless.Run(ctx, node, stdin, stdout, headless.Options{Dialect: d, JSON: s.JSON, Quiet: s.Quiet, Stderr: stderr, Quit: quit})
	}
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	// A character device is not enough: /dev/null is one, and a TUI
	// drawn there fails to read the terminal's size.
	return term.IsTerminal(f.Fd())
}
