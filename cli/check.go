package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/check"
	checkbc "github.com/bitclone/bitclone/check/bitclone"
	"github.com/bitclone/bitclone/codec"
)

const checkHelp = `check runs a conformance suite against a remote BitClone peer and prints
a report card: one line per check, pass, warn or fail, and for anything but
a pass what was sent, what came back and the part of the spec it rests on.

Every probe uses its own connection (the timed checks share one). After
each one a fresh connection tells whether the peer is still up; once it is
not, the remaining checks are skipped and the report says during which
probe it died. Every check needs a handshake: once one fails, the rest are
not run, and the cause is stated once, where it was found.

check listens while it runs, on --listen PORT or else on a free port of the
IP it reaches the peer from, and every version it sends names that one
address as the sender: the peer learns no address that nobody listens on,
and whoever dials it during the run gets a handshake.

--listen PORT adds the outbound handshake: we judge the handshake the peer
opens when it dials us (learning our address from our versions, or else
from an addr we send).
--slow adds the timed checks (ping interval, inactivity expiry, advertising),
which take up to twice --idle-timeout; give the intervals the peer was
started with.

The exit status is 0 when nothing failed (warnings are fine), 1 when a
check failed or the peer could not be reached, 2 for a bad command line.`

// checkFlags are the flags of bitclone check.
type checkFlags struct {
	timeout, pace, ping, idle, advertise time.Duration
	listen, agent                        string
	slow, json, verbose                  bool
}

func newCheckCommand(exit func(int)) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [flags] HOST:PORT",
		Short: "Test a BitClone peer against the spec and print a report card",
		Long:  checkHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, o, err := f.options(args[0])
			if err != nil {
				return err
			}
			exit(runCheck(target, o, f, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.DurationVar(&f.timeout, "timeout", check.DefaultTimeout, "wait at most `D` for each answer")
	fl.StringVar(&f.listen, "listen", "", "listen on `PORT` (or HOST:PORT) during the run, and check the handshake the peer opens when it dials us")
	fl.BoolVar(&f.slow, "slow", false, "add the timed checks: ping interval, inactivity expiry, advertising")
	fl.DurationVar(&f.ping, "ping-interval", checkbc.DefaultPingInterval, "with --slow: the peer pings every `D`")
	fl.DurationVar(&f.idle, "idle-timeout", checkbc.DefaultIdleTimeout, "with --slow: the peer drops a silent connection after `D`")
	fl.DurationVar(&f.advertise, "advertise-interval", checkbc.DefaultAdvertiseInterval, "with --slow: the peer advertises addresses every `D`")
	fl.DurationVar(&f.pace, "pace", check.DefaultPace, "gap `D` between our writes on one connection (0: none)")
	fl.StringVar(&f.agent, "agent", checkbc.DefaultAgent, "user agent `NAME` in our versions")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show what was sent and received for passing checks too")
	return cmd
}

// options checks the flags and the target.
func (f *checkFlags) options(arg string) (string, checkbc.Options, error) {
	var o checkbc.Options
	target, err := parsePeer(arg)
	if err != nil {
		return "", o, err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--timeout", f.timeout}, {"--ping-interval", f.ping}, {"--idle-timeout", f.idle}, {"--advertise-interval", f.advertise}} {
		if d.v <= 0 {
			return "", o, fmt.Errorf("%s %v: want a positive duration", d.name, d.v)
		}
	}
	if f.pace < 0 {
		return "", o, fmt.Errorf("--pace %v: want 0 or more", f.pace)
	}
	if err := checkListen(f.listen); err != nil {
		return "", o, err
	}
	if err := checkAgent(f.agent); err != nil {
		return "", o, fmt.Errorf("--agent %s: %v", codec.Quote(f.agent), err)
	}
	o = checkbc.Options{
		Options:      check.Options{Timeout: f.timeout, Pace: f.pace, Listen: f.listen, Slow: f.slow},
		PingInterval: f.ping, IdleTimeout: f.idle, AdvertiseInterval: f.advertise, Agent: f.agent,
	}
	if f.pace == 0 {
		o.Pace = -1 // check.Options: negative is no gap, 0 the default
	}
	return target.String(), o, nil
}

// checkListen accepts PORT or HOST:PORT, HOST an IP address.
func checkListen(s string) error {
	if s == "" {
		return nil
	}
	bad := fmt.Errorf("--listen %s: want PORT or IP:PORT", codec.Quote(s))
	port := s
	if host, p, err := net.SplitHostPort(s); err == nil {
		if _, err := bindHost(host); err != nil || host == "" {
			return bad
		}
		port = p
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad
	}
	return nil
}

// runCheck runs the suite and prints the report; it returns the exit status.
func runCheck(target string, o checkbc.Options, f checkFlags, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var text *check.TextWriter
	if !f.json {
		text = check.NewTextWriter(stdout, checkbc.Names(), check.TextOptions{Color: useColor(stdout), Verbose: f.verbose})
		text.Header(target, checkbc.Settings(o))
		o.Progress = func(oc check.Outcome) { text.Outcome(oc) }
	}
	r, err := checkbc.Run(ctx, target, o)
	if r == nil {
		fmt.Fprintf(stderr, "bitclone check: %v\n", err)
		return ExitError
	}
	if f.json {
		err = errors.Join(err, r.WriteJSON(stdout))
	} else {
		err = errors.Join(err, text.Summary(r))
	}
	if err != nil {
		fmt.Fprintf(stderr, "bitclone check: %v\n", err)
		return ExitError
	}
	if !r.OK() {
		return ExitError
	}
	return ExitOK
}

// useColor says whether to paint the report: not when NO_COLOR is set
// (no-color.org), nor for a dumb terminal, nor when stdout is not a terminal.
func useColor(stdout io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := stdout.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
