package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec/metainfo"
	bt "github.com/bitclone/bitclone/peer/bittorrent"
)

const btHelp = `bt downloads what TORRENT_FILE (a BitTorrent .torrent) describes into
--dest, and seeds it to other peers while downloading and after, until
interrupted (or, with --exit-when-complete, until it is complete,
verified and saved).

It dials the peers given with --peer (and the tracker's, once announcing
is wired) and takes peers that dial it at --host:--port. Pieces are
fetched rarest first in 16 KiB blocks, at least 16 requests in flight per
peer, and each is checked against its SHA-1 before a have goes to every
peer; 4 upload slots go to the fastest interested peers, and one more
rotates every 30 s. The download goes to .FILE.part in --dest and is
renamed once complete; a .part file left by an earlier run is resumed.

With --headless it prints the log on stdout: connections, progress and
warnings; -v adds every message in words ("request 0 0 16384"). Messages
typed on stdin (or the TUI's command line) go to the peers: handshake,
bitfield ff80, have 3, interested, unchoke, request 0 0 16384,
cancel 0 0 16384, piece 0 0 @FILE, keepalive, raw 00 00 00 00.`

// btSettings is what a bt command line asks for.
type btSettings struct {
	TorrentFile string
	Config      bt.Config // without the torrent, loaded at run
	NoTracker   bool
	swarm       swarmSettings
}

func newBTCommand(exit func(int)) *cobra.Command {
	return btCommand(func(s btSettings, stdin io.Reader, stdout, stderr io.Writer) {
		exit(runBT(s, stdin, stdout, stderr))
	})
}

// btCommand is bitclone bt; run is given the checked settings.
func btCommand(run func(s btSettings, stdin io.Reader, stdout, stderr io.Writer)) *cobra.Command {
	var f swarmFlags
	cmd := &cobra.Command{
		Use:   "bt [flags] TORRENT_FILE",
		Short: "Download and seed a BitTorrent torrent",
		Long:  btHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sw, err := f.settings()
			if err != nil {
				return err
			}
			s := btSettings{TorrentFile: args[0], NoTracker: f.noTracker, swarm: sw}
			c := &s.Config
			c.Dir, c.Port, c.Pace = f.dest, f.port, f.pace
			c.ListenHost, c.AnnounceIP, c.Peers, c.NoMessageEvents = sw.ListenHost, sw.AnnounceIP, sw.Peers, sw.NoMessageEvents
			run(s, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			return nil
		},
	}
	fl := cmd.Flags()
	f.addFirst(fl, bt.DefaultPort, "", "listen on `ADDR` (default every interface)")
	f.addRest(fl)
	return cmd
}

// runBT loads the torrent, opens the download, binds, and runs the node
// and its front end.
func runBT(s btSettings, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bitclone bt: "+format+"\n", a...)
		return ExitError
	}
	tor, err := metainfo.Load(s.TorrentFile)
	if err != nil {
		return fail("torrent: %v", err)
	}
	if err := checkDest(s.Config.Dir); err != nil {
		return fail("%v", err)
	}
	s.Config.Torrent = tor
	if !s.NoTracker {
		s.Config.Tracker = btAnnounce(tor)
	}
	if s.Config.PeerID == ([20]byte{}) {
		s.Config.PeerID = bt.NewPeerID()
	}
	dialect := bt.NewDialect(bt.Context(tor, s.Config.PeerID, bt.ReadFile))
	rec, err := startRecording(s.swarm.Front.Record, &dialect, stderr, s.swarm.Front.Headless)
	if err != nil {
		return fail("%v", err)
	}
	node, err := bt.New(s.Config, bt.WithRecorder(rec.recorder()))
	if err != nil {
		rec.close(stderr)
		return fail("--dest %s: %v", s.Config.Dir, err)
	}
	if err := node.Listen(); err != nil {
		rec.close(stderr)
		return fail("listen (--host, --port %d): %v", s.Config.Port, err)
	}
	return runSwarm("bitclone bt", node, dialect, s.swarm, rec, stdin, stdout, stderr)
}
