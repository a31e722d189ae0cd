package cli

import (
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
	"github.com/spf13/pflag"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/tui"
)

// swarmFlags are the raw flags the swarm commands (nibble, bt) share.
type swarmFlags struct {
	port                                 int
	host, dest, record                   string
	peers                                []string
	verbose, noTracker, exitWhenComplete bool
	headless, json, quiet                bool
	pace                                 time.Duration
}

// addFirst registers the flags that head the help: port, host, dest,
// verbose.
func (f *swarmFlags) addFirst(fl *pflag.FlagSet, port int, host, hostHelp string) {
	fl.SortFlags = false
	fl.IntVarP(&f.port, "port", "p", port, "listen on port `N` (0: any free port)")
	fl.StringVar(&f.host, "host", host, hostHelp)
	fl.StringVarP(&f.dest, "dest", "d", ".", "download into and seed from `DIR`")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "headless: every frame, not only summaries")
}

// addRest registers the others, after the dialect's own.
func (f *swarmFlags) addRest(fl *pflag.FlagSet) {
	fl.StringArrayVar(&f.peers, "peer", nil, "also connect to the peer at `HOST:PORT` (repeatable)")
	fl.BoolVar(&f.noTracker, "no-tracker", false, "never announce (use --peer)")
	fl.BoolVar(&f.exitWhenComplete, "exit-when-complete", false, "exit 0 once the download is complete, verified and saved")
	fl.DurationVar(&f.pace, "pace", 0, "minimum gap `D` between writes on one connection, to watch a download on loopback (default 0)")
	fl.BoolVar(&f.headless, "headless", false, "no TUI: log on stdout, frames typed on stdin")
	fl.BoolVar(&f.json, "json", false, "events as JSON lines; implies --headless")
	fl.BoolVar(&f.quiet, "quiet", false, "print only connection changes, warnings and errors; implies --headless")
	fl.StringVar(&f.record, "record", "", "write every frame in and out to `FILE` as JSON lines")
}

// swarmSettings is what the shared flags ask for, checked.
type swarmSettings struct {
	ListenHost string
	AnnounceIP netip.Addr // zero: the tracker takes the source address
	Peers      []netip.AddrPort
	Front      Settings
	// NoMessageEvents: headless without -v prints summaries, so frames
	// are not even built; the TUI's log shows them, with x for the bytes.
	NoMessageEvents  bool
	ExitWhenComplete bool
}

// settings checks the shared flags. An empty --host listens on every
// interface.
func (f *swarmFlags) settings() (swarmSettings, error) {
	var s swarmSettings
	if f.port < 0 || f.port > 65535 {
		return s, fmt.Errorf("--port %d: want 0 to 65535", f.port)
	}
	if f.pace < 0 {
		return s, fmt.Errorf("--pace %v: want 0 or more", f.pace)
	}
	if f.host != "" {
		ip, err := resolveHost(f.host)
		if err != nil {
			return s, fmt.Errorf("--host: %v", err)
		}
		s.ListenHost = ip.String()
		if !ip.IsUnspecified() {
			s.AnnounceIP = ip
		}
	}
	seen := map[netip.AddrPort]bool{}
	for _, p := range f.peers {
		a, err := resolvePeer(p)
		if err != nil {
			return s, err
		}
		if !seen[a] {
			seen[a] = true
			s.Peers = append(s.Peers, a)
		}
	}
	fr := &s.Front
	fr.Headless, fr.JSON, fr.Quiet = f.headless || f.json || f.quiet, f.json, f.quiet
	fr.Record, fr.LogLines, fr.HistoryFile = f.record, tui.DefaultLogLines, historyPath()
	s.NoMessageEvents = f.quiet || (fr.Headless && !f.verbose)
	s.ExitWhenComplete = f.exitWhenComplete
	return s, nil
}

// checkDest says what is wrong with a --dest directory.
func checkDest(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return fmt.Errorf("--dest %s: %v", dir, err)
	}
	return nil
}

// swarmNode is what runSwarm needs of a swarm node, bound already.
type swarmNode interface {
	peer.Node
	Run(ctx context.Context) error
	Completed() <-chan struct{}
}

// runSwarm runs a bound node and its front end until the user quits, a
// signal arrives, or (with exitWhenComplete) the download is complete, and
// returns the exit status. name prefixes its messages ("bitclone nibble").
func runSwarm(name string, node swarmNode, d peer.Dialect, s swarmSettings, rec *recording, stdin io.Reader, stdout, stderr io.Writer) int {
	signal.Ignore(syscall.SIGPIPE) // see run
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	context.AfterFunc(ctx, stopSignals)
	if s.ExitWhenComplete {
		go func() {
			select {
			case <-node.Completed():
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	ran := make(chan error, 1)
	go func() { ran <- node.Run(ctx) }()
	frontErr := dialectFrontEnd(d, s.Front, stderr)(ctx, node, stdin, stdout, cancel)
	cancel()
	runErr := <-ran

	status := ExitOK
	switch {
	case errors.Is(frontErr, syscall.EPIPE):
		fmt.Fprintf(stderr, "%s: stdout closed; stopped\n", name)
	case frontErr != nil:
		fmt.Fprintf(stderr, "%s: output: %v\n", name, frontErr)
		status = ExitError
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(stderr, "%s: %v\n", name, runErr)
		status = ExitError
	}
	if !rec.close(stderr) {
		status = ExitError
	}
	if s.ExitWhenComplete && status == ExitOK {
		select {
		case <-node.Completed():
		default:
			fmt.Fprintf(stderr, "%s: stopped before the download was complete\n", name)
			status = ExitError
		}
	}
	return status
}

// nodeCommand gives a node's command its run: the flags and arguments are
// checked into settings (an error is a usage error), then run is given
// them and the command's streams.
func nodeCommand[S any](cmd *cobra.Command, settings func(args []string) (S, error), run func(s S, stdin io.Reader, stdout, stderr io.Writer)) *cobra.Command {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := settings(args)
		if err != nil {
			return err
		}
		run(s, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		return nil
	}
	return cmd
}
