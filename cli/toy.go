package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec"
	toypeer "github.com/bitclone/bitclone/peer/toy"
)

const toyHelp = `toy runs a node of the msgpack toy network (the "toy cryptocurrency" article's
P2P node) over UDP: each datagram is one msgpack map with msgtype and msgid.

It listens on --host:--port (port 0, the default, picks a free port: the log's
first line says which), asks the seed nodes given as arguments for their peers,
and those for theirs; answers ping, getpeerlist, search and getfile for the
files in --share; and with --get searches the network for a file and fetches
it into --dest (with --exit-when-complete, then exits 0).

bitclone adds to the article's protocol, compatibly: a search carries ttl
(--ttl hops, 6 by default; a search without one counts as 1, so an old node's
search is answered but not passed on), each node drops a search whose msgid it
has seen, and results travel back along the search's path. Files larger than a
datagram come in numbered chunks, retried on loss; a node that knows no chunks
asks for none and gets the first.

With --headless it prints the log on stdout; -v adds every datagram, as a map.
Lines typed on stdin (or the TUI's command line) go to the peers: ping,
getpeerlist, search NAME, getfile NAME, {msgtype: search, filename: cool.txt}
or raw 81 a7 ...; @HOST:PORT in front sends to one peer.`

// toyFlags are the raw flags of bitclone toy.
type toyFlags struct {
	swarmFlags
	share string
	get   []string
	ttl   int
}

// toySettings is what a toy command line asks for.
type toySettings struct {
	Config toypeer.Config
	Front  Settings
	swarm  swarmSettings
}

func newToyCommand(exit func(int)) *cobra.Command {
	return toyCommand(func(s toySettings, stdin io.Reader, stdout, stderr io.Writer) {
		exit(runToy(s, stdin, stdout, stderr))
	})
}

// toyCommand is bitclone toy; run is given the checked settings.
func toyCommand(run func(s toySettings, stdin io.Reader, stdout, stderr io.Writer)) *cobra.Command {
	var f toyFlags
	cmd := nodeCommand(&cobra.Command{
		Use:   "toy [flags] [HOST:PORT ...]",
		Short: "Run a msgpack toy node (UDP): search and fetch files",
		Long:  toyHelp,
	}, f.settings, run)
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVarP(&f.port, "port", "p", 0, "UDP port `N` (0: any free port)")
	fl.StringVar(&f.host, "host", "", "listen on `ADDR` (default every interface)")
	fl.StringVar(&f.share, "share", "", "serve the files in `DIR`")
	fl.StringArrayVar(&f.get, "get", nil, "search the network for `NAME` and fetch it into --dest (repeatable)")
	fl.StringVarP(&f.dest, "dest", "d", ".", "write fetched files into `DIR`")
	fl.IntVar(&f.ttl, "ttl", 6, "hops `N` a search of ours travels")
	fl.BoolVar(&f.exitWhenComplete, "exit-when-complete", false, "exit 0 once every --get file is saved")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "headless: every datagram, not only summaries")
	fl.BoolVar(&f.headless, "headless", false, "no TUI: log on stdout, datagrams typed on stdin")
	fl.BoolVar(&f.json, "json", false, "events as JSON lines; implies --headless")
	fl.BoolVar(&f.quiet, "quiet", false, "print only connection changes, warnings and errors; implies --headless")
	fl.StringVar(&f.record, "record", "", "write every datagram in and out to `FILE` as JSON lines")
	return cmd
}

// settings checks the flags and the seed nodes.
func (f *toyFlags) settings(args []string) (toySettings, error) {
	var s toySettings
	if f.ttl < 1 || f.ttl > toypeer.MaxHops {
		return s, fmt.Errorf("--ttl %d: want 1 to %d", f.ttl, toypeer.MaxHops)
	}
	for _, name := range f.get {
		if err := toypeer.CheckName(name); err != nil {
			return s, fmt.Errorf("--get %s: %v", codec.Quote(name), err)
		}
	}
	if f.exitWhenComplete && len(f.get) == 0 {
		return s, errors.New("--exit-when-complete needs a file to --get")
	}
	sw, err := f.swarmFlags.settings()
	if err != nil {
		return s, err
	}
	seen := map[netip.AddrPort]bool{}
	c := &s.Config
	for _, a := range args {
		ap, err := resolvePeer(a)
		if err != nil {
			return s, errors.New(strings.Replace(err.Error(), "--peer ", "seed node ", 1))
		}
		if !seen[ap] {
			seen[ap] = true
			c.Seeds = append(c.Seeds, ap)
		}
	}
	c.ListenHost, c.Port, c.Share, c.Get, c.Dest, c.TTL = sw.ListenHost, f.port, f.share, f.get, f.dest, f.ttl
	c.NoMessageEvents = sw.NoMessageEvents
	s.Front, s.swarm = sw.Front, sw
	return s, nil
}

// runToy binds the node and runs it and its front end until the user
// quits, a signal arrives, or (with --exit-when-complete) every --get file
// is saved.
func runToy(s toySettings, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bitclone toy: "+format+"\n", a...)
		return ExitError
	}
	if err := checkDest(s.Config.Dest); err != nil {
		return fail("%v", err)
	}
	dialect := toypeer.NewDialect(s.Config.TTL)
	rec, err := startRecording(s.Front.Record, &dialect, stderr, s.Front.Headless)
	if err != nil {
		return fail("%v", err)
	}
	node, err := toypeer.New(s.Config, toypeer.WithRecorder(rec.recorder()))
	if err != nil {
		rec.close(stderr)
		return fail("%v", err)
	}
	if s.Front.Quiet { // the log leaves out the line that says the port
		fmt.Fprintf(stderr, "bitclone toy: listening on UDP %s\n", node.Addr())
	}
	sw := s.swarm
	sw.Front = s.Front
	return runSwarm("bitclone toy", node, dialect, sw, rec, stdin, stdout, stderr)
}
