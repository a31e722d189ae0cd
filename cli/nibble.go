package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/nibble"
	nibblepeer "github.com/bitclone/bitclone/peer/nibble"
	"github.com/bitclone/bitclone/tracker"
)

const nibbleHelp = `nibble downloads the file that TORRENT_FILE (a NibbleTorrent .ntorrent)
describes into --dest, and seeds it to other peers while downloading and
after, until interrupted (or, with --exit-when-complete, until the file is
complete, verified and saved).

It announces itself to the torrent's tracker (or --tracker) as
-ECEN426-NETID at --host:--port, dials up to 5 of the peers the tracker
lists and those given with --peer, and asks each for pieces, rarest first,
16 requests in flight per peer. Every piece is checked against its SHA-1; a
peer that sends 3 bad pieces is dropped. The download goes to .FILE.part in
--dest and is renamed once complete; a .part file left by an earlier run is
resumed.

With --headless it prints the log on stdout: connections, piece summaries
and warnings; -v adds every frame, in words ("piece-request 41"). Frames
typed on stdin (or the TUI's command line) go to the peers: hello,
piece 41, error TEXT, raw 01 03 00 01 29.`

// nibbleFlags are the raw flags of bitclone nibble.
type nibbleFlags struct {
	swarmFlags
	tracker string
}

// nibbleSettings is what a nibble command line asks for.
type nibbleSettings struct {
	Netid, TorrentFile string
	Config             nibblepeer.Config // without the torrent, loaded at run
	// Front is the front end's part (Headless, JSON, Quiet, Record, ...).
	Front            Settings
	ExitWhenComplete bool
	swarm            swarmSettings
}

func newNibbleCommand(exit func(int)) *cobra.Command {
	return nibbleCommand(func(s nibbleSettings, stdin io.Reader, stdout, stderr io.Writer) {
		exit(runNibble(s, stdin, stdout, stderr))
	})
}

// nibbleCommand is bitclone nibble; run is given the checked settings.
func nibbleCommand(run func(s nibbleSettings, stdin io.Reader, stdout, stderr io.Writer)) *cobra.Command {
	var f nibbleFlags
	cmd := nodeCommand(&cobra.Command{
		Use:   "nibble [flags] NETID TORRENT_FILE",
		Short: "Download and seed a NibbleTorrent torrent",
		Long:  nibbleHelp,
		Args:  cobra.ExactArgs(2),
	}, f.settings, run)
	fl := cmd.Flags()
	f.addFirst(fl, nibblepeer.DefaultPort, "localhost", "listen on and announce `ADDR`")
	fl.StringVar(&f.tracker, "tracker", "", "announce to `URL` instead of the torrent's tracker_url")
	f.addRest(fl)
	return cmd
}

// maxNetID keeps the peer_id within what a tracker takes.
const maxNetID = tracker.MaxPeerIDLen - len(tracker.PeerIDPrefix)

// checkNetID refuses what a peer_id in a URL cannot carry plainly: only
// letters, digits and - . _ ~ (a URL's unreserved characters).
func checkNetID(id string) error {
	switch {
	case id == "":
		return errors.New("NETID is empty")
	case len(id) > maxNetID:
		return fmt.Errorf("NETID %s: longer than %d characters", codec.Quote(id), maxNetID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return fmt.Errorf("NETID %s: character %d is not a letter, a digit or - . _ ~", codec.Quote(id), i+1)
		}
	}
	return nil
}

// resolveTimeout bounds looking up --host and --peer names.
const resolveTimeout = 5 * time.Second

// resolveHost is an IP address for h: h itself, or the first IPv4 address
// its name resolves to (else the first), so that "localhost" binds and is
// announced as 127.0.0.1.
func resolveHost(h string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap(), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", h)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("cannot resolve %s", codec.Quote(h))
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip.Unmap(), nil
		}
	}
	return ips[0], nil
}

// resolvePeer reads --peer: IP:PORT as the BitClone command line takes it,
// or NAME:PORT.
func resolvePeer(s string) (netip.AddrPort, error) {
	if ap, err := parsePeer(s); err == nil {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || perr != nil || n == 0 || host == "" {
		return netip.AddrPort{}, fmt.Errorf("--peer %s: want HOST:PORT", codec.Quote(s))
	}
	ip, err := resolveHost(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("--peer %s: %v", codec.Quote(s), err)
	}
	return netip.AddrPortFrom(ip, uint16(n)), nil
}

// settings checks the flags and arguments.
func (f *nibbleFlags) settings(args []string) (nibbleSettings, error) {
	s := nibbleSettings{Netid: args[0], TorrentFile: args[1], ExitWhenComplete: f.exitWhenComplete}
	if err := checkNetID(s.Netid); err != nil {
		return s, err
	}
	if f.noTracker && f.tracker != "" {
		return s, errors.New("--tracker and --no-tracker: pick one")
	}
	if f.tracker != "" {
		if err := nibble.CheckTrackerURL(f.tracker); err != nil {
			return s, fmt.Errorf("--tracker: %v", err)
		}
	}
	if f.host == "" {
		return s, errors.New("--host: empty")
	}
	sw, err := f.swarmFlags.settings()
	if err != nil {
		return s, err
	}
	c := &s.Config
	c.NetID, c.Dir, c.Port, c.TrackerURL, c.NoTracker = s.Netid, f.dest, f.port, f.tracker, f.noTracker
	c.ListenHost, c.AnnounceIP, c.Peers, c.Pace, c.NoMessageEvents = sw.ListenHost, sw.AnnounceIP, sw.Peers, f.pace, sw.NoMessageEvents
	s.Front, s.swarm = sw.Front, sw
	return s, nil
}

// runNibble loads the torrent, opens the download, binds, and runs the
// node and its front end until the user quits, a signal arrives, or (with
// --exit-when-complete) the file is complete.
func runNibble(s nibbleSettings, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bitclone nibble: "+format+"\n", a...)
		return ExitError
	}
	tor, err := nibble.LoadTorrent(s.TorrentFile)
	if err != nil {
		return fail("torrent: %v", err)
	}
	if err := checkDest(s.Config.Dir); err != nil {
		return fail("%v", err)
	}
	s.Config.Torrent = tor
	dialect := nibblepeer.NewDialect(tor)
	rec, err := startRecording(s.Front.Record, &dialect, stderr, s.Front.Headless)
	if err != nil {
		return fail("%v", err)
	}
	node, err := nibblepeer.New(s.Config, nibblepeer.WithRecorder(rec.recorder()))
	if err != nil {
		rec.close(stderr)
		return fail("--dest %s: %v", s.Config.Dir, err)
	}
	if err := node.Listen(); err != nil {
		rec.close(stderr)
		return fail("listen (--host, --port %d): %v", s.Config.Port, err)
	}

	sw := s.swarm
	sw.Front, sw.ExitWhenComplete = s.Front, s.ExitWhenComplete
	return runSwarm("bitclone nibble", node, node.Dialect(), sw, rec, stdin, stdout, stderr)
}
