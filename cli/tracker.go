package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/tracker"
)

const trackerHelp = `tracker runs a NibbleTorrent and BitTorrent tracker. A peer announces itself with

  GET /announce?peer_id=-ECEN426-NETID&ip=IP&port=N&torrent_id=HEX

(without ip, the address the request came from) and gets the swarm back,
itself included, as the course's tracker answers:

  {"interval": 30, "peers": [["10.35.120.175:6981", "-ECEN426-le0nh4rt"], ...]}

A missing or malformed parameter is answered 400 with {"error": "..."}. A
peer expires two intervals after its last announce. GET / shows every swarm
and its peers. Each announce is logged on stdout, one line each (a peer
announcing in a loop, once a second with a count).

BitTorrent clients announce on the same path, with info_hash and peer_id as
20 raw bytes percent-encoded, port, uploaded, downloaded, left, compact and
event (started, completed, stopped: stopped leaves the swarm at once), and
get bencode back: interval, complete and incomplete (from left), and peers,
compact (6 bytes a peer, IPv6 in peers6) with compact=1, else a list of
dictionaries; numwant is capped at 200 (default 50). A bad announce is a 200
with a "failure reason", which BitTorrent clients show.`

// trackerFlags are the flags of bitclone tracker.
type trackerFlags struct {
	port     int
	host     string
	interval time.Duration
}

func newTrackerCommand(exit func(int)) *cobra.Command {
	var f trackerFlags
	cmd := &cobra.Command{
		Use:   "tracker [flags]",
		Short: "Run a NibbleTorrent and BitTorrent tracker",
		Long:  trackerHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			exit(runTracker(ctx, f, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVarP(&f.port, "port", "p", 6969, "listen on port `N` (0: any free port)")
	fl.StringVar(&f.host, "host", "", "listen on `ADDR` (default all interfaces)")
	fl.DurationVar(&f.interval, "interval", tracker.DefaultInterval, "re-announce interval `D` handed to peers, in whole seconds")
	return cmd
}

func (f trackerFlags) check() error {
	if f.port < 0 || f.port > 65535 {
		return fmt.Errorf("--port %d: want 0 to 65535", f.port)
	}
	if f.interval%time.Second != 0 || f.interval < tracker.MinInterval || f.interval > tracker.MaxInterval {
		return fmt.Errorf("--interval %v: want whole seconds from %v to %v", f.interval, tracker.MinInterval, tracker.MaxInterval)
	}
	return nil
}

// runTracker serves until ctx ends, logging each announce on stdout.
func runTracker(ctx context.Context, f trackerFlags, stdout, stderr io.Writer) int {
	ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		fmt.Fprintf(stderr, "bitclone tracker: listen: %v\n", err)
		return ExitError
	}
	var mu sync.Mutex // announces are logged from the requests' goroutines
	srv := tracker.New(tracker.Config{Interval: f.interval, OnEvent: func(e tracker.ServerEvent) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, "%s %s\n", e.Time.Format("15:04:05.000"), e)
	}})
	mu.Lock()
	fmt.Fprintf(stdout, "tracker listening on %s\n", ln.Addr())
	fmt.Fprintf(stdout, "announce at http://%s/announce, swarms at http://%[1]s/ (interval %s; a peer expires after %s)\n",
		ln.Addr(), srv.Interval(), 2*srv.Interval())
	mu.Unlock()
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "bitclone tracker: %v\n", err)
		return ExitError
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintln(stdout, "tracker stopped")
	return ExitOK
}
