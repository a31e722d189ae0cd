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
	checkbt "github.com/bitclone/bitclone/check/bt"
	checknt "github.com/bitclone/bitclone/check/nibble"
	checkpex "github.com/bitclone/bitclone/check/pex"
	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/codec/pex"
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

--dialect nibble --torrent FILE checks a NibbleTorrent peer instead, for
the torrent in FILE (.ntorrent): the hello and its bitfield, a hello for a
torrent it cannot have, piece requests with 1-, 2- and 4-byte indexes, out
of range and malformed frames, every piece it claims fetched and hashed
(at most 64; else the first, the last and 16 between them), a frame split
across segments, several in one, and five connections at once. Every check
needs our hello answered: once it is not, the rest are not run.

--dialect bt --torrent FILE checks a BitTorrent peer, for the torrent in
FILE (.torrent): its handshake (our info_hash echoed, a peer_id of 20
bytes; reserved bits are reported, not failed), the bitfield's length and
spare bits, a request while choked (not served) and after interested and
unchoke (served), the blocks of every piece it claims assembled and hashed
(at most 16; else the first, the last and 8 between them), a keep-alive, a
request split across segments and three packed into one write, then a
handshake for another torrent (refused: the connection closed), requests
past the end of a piece and of the file (refused: ignored, or the
connection closed) and one of more than 128 KiB (serving it warns). Every
check needs our handshake answered: once it is not, the rest are not run.

--dialect pex checks a PEX bootstrap node: a peer message naming our
listener (answered by a peer list on our connection, or by the node
dialling our listener back, as the course's node does), whether the peer
lists it sends us list us, an ask for each --piece HASH (the SHA-256 of a
piece it shares; repeatable; without one that check is not run: the give
must hash to it and be a full --piece-size piece, a short one warns), an ask
for a piece no node has (silence is right; a give fails), then a message cut
short, a size prefix larger than a give can be, and which byte order it
speaks: --byte-order is tried first, then the other, and the order it
understands is reported, never failed, and spoken by the other checks.
Every check needs a peer message understood: once none is, the rest are
not run.

--dialect toy checks a msgpack toy node over UDP, each probe from a socket
of its own: ping (a pong, replyto our msgid), getpeerlist (well-formed
[host, port] pairs, never the asker), a search for a name nobody has
(silence), a search passed on to another socket of ours that pinged it
(ttl decremented, a repeated msgid dropped, a ttl-1 search kept; not run
when it passes searches to nobody) and a result routed back to the
searcher, a getfile for a missing file (silence or an error-ish reply),
then an unknown msgtype and datagrams that are not msgpack, not a map, or
cut short: after each the node must still answer pings (the article's node
crashes). --file NAME, a file the node shares, adds a search for it (a
searchresult with a well-formed atpeer) and a getfile (base64; every chunk
fetched, the sizes adding up). Every check needs a pong: when the first
ping gets none (a closed port's ICMP error, or silence for --timeout) the
rest are not run, and the report says what to look at.

--listen, --slow, the intervals and --agent are BitClone's; --torrent is
nibble's and bt's; --piece, --byte-order and --piece-size are pex's;
--file is toy's.

The exit status is 0 when nothing failed (warnings are fine), 1 when a
check failed or the peer could not be reached, 2 for a bad command line
(a --torrent file that does not load included).`

// checkFlags are the flags of bitclone check.
type checkFlags struct {
	timeout, pace, ping, idle, advertise time.Duration
	listen, agent                        string
	slow, json, verbose                  bool
	dialect, torrent                     string
	file                                 string // --dialect toy
	pieces                               []string
	byteOrder                            string
	pieceSize                            int
}

// The dialects check knows.
const (
	dialectBitClone   = "bitclone"
	dialectNibble     = "nibble"
	dialectBitTorrent = "bt"
	dialectPEX        = "pex"
	dialectToy        = "toy"
)

// bitCloneOnly are the flags only the BitClone suite has.
var bitCloneOnly = []string{"listen", "slow", "ping-interval", "idle-timeout", "advertise-interval", "agent"}

// pexOnly are the flags only the PEX suite has.
var pexOnly = []string{"piece", "byte-order", "piece-size"}

func newCheckCommand(exit func(int)) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [flags] HOST:PORT",
		Short: "Test a BitClone (or NibbleTorrent, BitTorrent, PEX or toy node) peer against the spec and print a report card",
		Long:  checkHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.suite(cmd, args[0])
			if err != nil {
				return err
			}
			exit(runCheck(s, f, cmd.OutOrStdout(), cmd.ErrOrStderr()))
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
	fl.StringVar(&f.dialect, "dialect", dialectBitClone, "the peer's protocol, `NAME`: bitclone, nibble (NibbleTorrent), bt (BitTorrent; these two with --torrent), pex (PEX bootstrap) or toy (msgpack over UDP)")
	fl.StringVar(&f.torrent, "torrent", "", "with --dialect nibble or bt: the .ntorrent or .torrent `FILE` to ask the peer for")
	fl.StringArrayVar(&f.pieces, "piece", nil, "with --dialect pex: ask for the piece whose SHA-256 is `HASH` (64 hex digits; repeatable), one the node shares")
	fl.StringVar(&f.byteOrder, "byte-order", pex.Little.String(), "with --dialect pex: the byte `ORDER` tried first, little or big (the one the node speaks is reported)")
	fl.IntVar(&f.pieceSize, "piece-size", pex.DefaultPieceSize, "with --dialect pex: the piece size in `BYTES` a give must have")
	fl.StringVar(&f.file, "file", "", "with --dialect toy: `NAME` of a file the node shares, to search for and fetch")
	return cmd
}

// checkSuite is a run to make: its target, what the report's header shows,
// and the run itself, reporting each outcome to progress (if set).
type checkSuite struct {
	target   string
	names    []string
	settings string
	run      func(ctx context.Context, progress func(check.Outcome)) (*check.Report, error)
}

// suite checks the flags for the dialect chosen and makes its run.
func (f *checkFlags) suite(cmd *cobra.Command, arg string) (checkSuite, error) {
	if cmd.Flags().Changed("file") && f.dialect != dialectToy {
		return checkSuite{}, errors.New("--file is for --dialect toy")
	}
	if f.dialect != dialectPEX {
		for _, name := range pexOnly {
			if cmd.Flags().Changed(name) {
				return checkSuite{}, fmt.Errorf("--%s is for --dialect pex", name)
			}
		}
	}
	switch f.dialect {
	case dialectBitClone:
		if f.torrent != "" {
			return checkSuite{}, errors.New("--torrent is for --dialect nibble or bt")
		}
		target, o, err := f.options(arg)
		if err != nil {
			return checkSuite{}, err
		}
		return checkSuite{target: target, names: checkbc.Names(), settings: checkbc.Settings(o),
			run: func(ctx context.Context, progress func(check.Outcome)) (*check.Report, error) {
				o.Progress = progress
				return checkbc.Run(ctx, target, o)
			}}, nil
	case dialectNibble, dialectBitTorrent:
		for _, name := range bitCloneOnly {
			if cmd.Flags().Changed(name) {
				return checkSuite{}, fmt.Errorf("--%s is for --dialect bitclone", name)
			}
		}
		if f.torrent == "" {
			return checkSuite{}, fmt.Errorf("--dialect %s needs --torrent FILE", f.dialect)
		}
		if f.dialect == dialectBitTorrent {
			return f.btSuite(arg)
		}
		target, o, err := f.nibbleOptions(arg)
		if err != nil {
			return checkSuite{}, err
		}
		return checkSuite{target: target, names: checknt.Names(), settings: checknt.Settings(o),
			run: func(ctx context.Context, progress func(check.Outcome)) (*check.Report, error) {
				o.Progress = progress
				return checknt.Run(ctx, target, o)
			}}, nil
	case dialectPEX:
		return f.pexSuite(cmd, arg)
	case dialectToy:
		return f.toySuite(cmd, arg)
	}
	return checkSuite{}, fmt.Errorf("--dialect %s: want bitclone, nibble, bt, pex or toy", codec.Quote(f.dialect))
}

// pexSuite checks the flags of a PEX run and makes it.
func (f *checkFlags) pexSuite(cmd *cobra.Command, arg string) (checkSuite, error) {
	for _, name := range append([]string{"torrent"}, bitCloneOnly...) {
		if cmd.Flags().Changed(name) {
			return checkSuite{}, fmt.Errorf("--%s is not for --dialect pex", name)
		}
	}
	target, neutral, err := f.torrentOptions(arg)
	if err != nil {
		return checkSuite{}, err
	}
	o := checkpex.Options{Options: neutral}
	if o.Wire.Order, err = pex.ParseByteOrder(f.byteOrder); err != nil {
		return checkSuite{}, fmt.Errorf("--byte-order %s: want little or big", codec.Quote(f.byteOrder))
	}
	o.Wire.PieceSize = f.pieceSize
	if f.pieceSize <= 0 || o.Wire.Check() != nil {
		return checkSuite{}, fmt.Errorf("--piece-size %d: want 1 to %d", f.pieceSize, pex.MaxPieceSize)
	}
	for _, s := range f.pieces {
		h, err := pex.ParseHash(s)
		if err != nil {
			return checkSuite{}, fmt.Errorf("--piece %s: want 64 hex digits (a SHA-256)", codec.Quote(s))
		}
		o.Pieces = append(o.Pieces, h)
	}
	return checkSuite{target: target, names: checkpex.Names(), settings: checkpex.Settings(o),
		run: func(ctx context.Context, progress func(check.Outcome)) (*check.Report, error) {
			o.Progress = progress
			return checkpex.Run(ctx, target, o)
		}}, nil
}

// btSuite checks the target and the neutral flags, loads the .torrent and
// makes the BitTorrent run.
func (f *checkFlags) btSuite(arg string) (checkSuite, error) {
	target, neutral, err := f.torrentOptions(arg)
	if err != nil {
		return checkSuite{}, err
	}
	t, err := metainfo.Load(f.torrent)
	if err != nil {
		return checkSuite{}, fmt.Errorf("--torrent: %w", err)
	}
	o := checkbt.Options{Options: neutral, Torrent: t}
	return checkSuite{target: target, names: checkbt.Names(), settings: checkbt.Settings(o),
		run: func(ctx context.Context, progress func(check.Outcome)) (*check.Report, error) {
			o.Progress = progress
			return checkbt.Run(ctx, target, o)
		}}, nil
}

// torrentOptions checks the target and the neutral flags of the dialects
// that take a --torrent.
func (f *checkFlags) torrentOptions(arg string) (string, check.Options, error) {
	target, err := parsePeer(arg)
	if err != nil {
		return "", check.Options{}, err
	}
	if f.timeout <= 0 {
		return "", check.Options{}, fmt.Errorf("--timeout %v: want a positive duration", f.timeout)
	}
	if f.pace < 0 {
		return "", check.Options{}, fmt.Errorf("--pace %v: want 0 or more", f.pace)
	}
	o := check.Options{Timeout: f.timeout, Pace: f.pace}
	if f.pace == 0 {
		o.Pace = -1 // check.Options: negative is no gap, 0 the default
	}
	return target.String(), o, nil
}

// nibbleOptions checks the target and the neutral flags, and loads the
// torrent.
func (f *checkFlags) nibbleOptions(arg string) (string, checknt.Options, error) {
	var o checknt.Options
	target, neutral, err := f.torrentOptions(arg)
	if err != nil {
		return "", o, err
	}
	t, err := nibble.LoadTorrent(f.torrent)
	if err != nil {
		return "", o, fmt.Errorf("--torrent: %w", err)
	}
	return target, checknt.Options{Options: neutral, Torrent: t}, nil
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
func runCheck(s checkSuite, f checkFlags, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var text *check.TextWriter
	var progress func(check.Outcome)
	if !f.json {
		text = check.NewTextWriter(stdout, s.names, check.TextOptions{Color: useColor(stdout), Verbose: f.verbose})
		text.Header(s.target, s.settings)
		progress = func(oc check.Outcome) { text.Outcome(oc) }
	}
	r, err := s.run(ctx, progress)
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
