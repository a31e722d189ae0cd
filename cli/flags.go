// Package cli is bitclone's command line: flags and arguments into a node
// configuration, then the node and its front end until the user quits.
package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/peer/addrbook"
	"github.com/bitclone/bitclone/peer/bitclone"
	"github.com/bitclone/bitclone/tui"
)

// Settings is what a command line asks for.
type Settings struct {
	Config   bitclone.Config
	Headless bool
	JSON     bool
	// Quiet prints only connection changes, warnings and errors (--quiet).
	Quiet bool
	// LogLines is how many lines the TUI's log keeps (--log-lines).
	LogLines int
	// HistoryFile keeps the TUI's command history ("" when there is no
	// state directory).
	HistoryFile string
	// Record is the --record transcript file ("" records nothing).
	Record string
	// Notes are told to the user on stderr at start, such as why there is
	// no peers file.
	Notes []string
}

// flagValues are the raw flag values, checked by settings.
type flagValues struct {
	port                                      int
	host, peersFile, agent, record            string
	noPeersFile, headless, json, quiet        bool
	target, logLines, maxMsgRate              int
	ping, idle, advertise, handshake, paceGap time.Duration
	save, dropFor                             time.Duration
}

const longHelp = `bitclone is a terminal peer for the BitClone P2P protocol.

It listens on --port, dials the peers given as arguments and those in its
peers file, and keeps --target connections up: handshake, address gossip,
pings. Peers are IPv4:PORT or [IPv6]:PORT (IP,PORT works too).

With --headless it prints the transcript on stdout, one line per event
(with --json, one JSON object per line), and reads commands on stdin: a raw
protocol line such as ping|42 goes to every established peer,
"@HOST:PORT LINE" to one; :help lists the rest.`

// newCommand builds the root command. run is called with the checked
// settings; flag and argument errors come back from Execute as usage errors.
func newCommand(run func(Settings) error) *cobra.Command {
	var f flagValues
	cmd := &cobra.Command{
		Use:               "bitclone [flags] [HOST:PORT ...]",
		Short:             "A terminal peer for the BitClone P2P protocol",
		Long:              longHelp,
		Version:           version(),
		Args:              cobra.ArbitraryArgs,
		SilenceErrors:     true, // Main prints them, with the exit status they deserve
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.settings(args, cmd.Flags().Changed("agent"))
			if err != nil {
				return err
			}
			return run(s)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVarP(&f.port, "port", "p", bitclone.DefaultPort, "listen on port `N`; 0 picks a free one")
	fl.StringVar(&f.host, "host", "", "bind address `ADDR` (default all interfaces)")
	fl.StringVar(&f.peersFile, "peers-file", "", "saved peers in `PATH` (default: one file per listening port in the user's state directory)")
	fl.BoolVar(&f.noPeersFile, "no-peers-file", false, "don't read or write a peers file")
	fl.StringVar(&f.agent, "agent", loginName(), "user agent `NAME` in version (default: the login name)")
	fl.IntVar(&f.target, "target", bitclone.DefaultTarget, "keep `N` connections, inbound and outbound")
	fl.DurationVar(&f.ping, "ping-interval", bitclone.DefaultPingInterval, "ping established peers every `D`")
	fl.DurationVar(&f.idle, "idle-timeout", bitclone.DefaultIdleTimeout, "close a connection after `D` with nothing received")
	fl.DurationVar(&f.advertise, "advertise-interval", bitclone.DefaultAdvertiseInterval, "advertise addresses every `D`")
	fl.DurationVar(&f.handshake, "handshake-timeout", bitclone.DefaultHandshakeTimeout, "close a connection still handshaking after `D`")
	fl.DurationVar(&f.save, "save-interval", bitclone.DefaultSaveInterval, "write the peers file at least every `D` (a change is written within a second)")
	fl.DurationVar(&f.dropFor, "drop-for", bitclone.DefaultDropFor, "after :drop, neither dial a peer nor let it in for `D` (:connect lifts it)")
	fl.DurationVar(&f.paceGap, "pace", 0, "minimum gap `D` between writes on one connection (default 0)")
	fl.BoolVar(&f.headless, "headless", false, "no TUI: transcript on stdout, commands on stdin")
	fl.BoolVar(&f.json, "json", false, "events as JSON lines; implies --headless")
	fl.BoolVar(&f.quiet, "quiet", false, "print only connection changes, warnings and errors; implies --headless")
	fl.IntVar(&f.maxMsgRate, "max-msg-rate", bitclone.DefaultMaxMsgRate, "slow down a peer sending over `N` messages/s (after a burst); 0: no limit")
	fl.IntVar(&f.logLines, "log-lines", tui.DefaultLogLines, "keep the last `N` lines in the TUI's log")
	fl.StringVar(&f.record, "record", "", "write every message in and out to `FILE` as JSON lines (see README)")
	// --version has no -v: -v is --verbose wherever it exists (check -v).
	fl.Bool("version", false, "print the version and exit")
	// The agent's default is whoever runs it: keep it out of --help, which
	// says "the login name" instead.
	fl.Lookup("agent").DefValue = ""
	return cmd
}

// settings checks the flag values and arguments and maps them to a Config.
func (f *flagValues) settings(args []string, agentSet bool) (Settings, error) {
	var s Settings
	c := &s.Config
	if f.port < 0 || f.port > 65535 {
		return s, fmt.Errorf("--port %d: want 0-65535", f.port)
	}
	if f.target < 1 {
		return s, fmt.Errorf("--target %d: want at least 1", f.target)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--ping-interval", f.ping}, {"--idle-timeout", f.idle}, {"--advertise-interval", f.advertise}, {"--handshake-timeout", f.handshake}, {"--save-interval", f.save}, {"--drop-for", f.dropFor}} {
		if d.v <= 0 {
			return s, fmt.Errorf("%s %v: want a positive duration", d.name, d.v)
		}
	}
	if f.paceGap < 0 {
		return s, fmt.Errorf("--pace %v: want 0 or more", f.paceGap)
	}
	if f.logLines < 1 {
		return s, fmt.Errorf("--log-lines %d: want at least 1", f.logLines)
	}
	if f.maxMsgRate < 0 {
		return s, fmt.Errorf("--max-msg-rate %d: want 0 (no limit) or more", f.maxMsgRate)
	}
	if f.noPeersFile && f.peersFile != "" {
		return s, errors.New("--peers-file and --no-peers-file: pick one")
	}
	host, err := bindHost(f.host)
	if err != nil {
		return s, err
	}
	agent := f.agent
	if !agentSet && checkAgent(agent) != nil {
		agent = "bitclone" // an odd login name must not stop the program
	}
	if err := checkAgent(agent); err != nil {
		return s, fmt.Errorf("--agent %s: %v", codec.Quote(agent), err)
	}
	seeds, err := parsePeers(args)
	if err != nil {
		return s, err
	}

	c.ListenHost, c.Port, c.Seeds, c.UserAgent, c.Target = host, f.port, seeds, agent, f.target
	c.PingInterval, c.IdleTimeout, c.AdvertiseInterval = f.ping, f.idle, f.advertise
	c.HandshakeTimeout, c.Pace = f.handshake, f.paceGap
	c.SaveInterval, c.DropFor = f.save, f.dropFor
	// The TUI has no JSON or quiet form: asking for either asks for the
	// transcript, so `bitclone --json | jq` works as `bitclone --headless --json` does.
	s.Headless, s.JSON, s.Quiet = f.headless || f.json || f.quiet, f.json, f.quiet
	c.NoMessageEvents = f.quiet // nobody will show them: don't build them
	c.MaxMsgRate = float64(f.maxMsgRate)
	if f.maxMsgRate == 0 {
		c.MaxMsgRate = -1 // the Config's "no limit"
	}
	s.Record = f.record
	s.LogLines, s.HistoryFile = f.logLines, historyPath()
	switch {
	case f.noPeersFile:
	case f.peersFile != "":
		c.PeersFile = f.peersFile
	case f.port == 0:
		// The default file is per port, and port 0 is a different port each run.
		s.Notes = append(s.Notes, "--port 0: no peers file (give --peers-file to keep one)")
	default:
		if c.PeersFile, err = addrbook.DefaultPath(f.port); err != nil {
			s.Notes = append(s.Notes, fmt.Sprintf("no peers file: %v", err))
		}
	}
	return s, nil
}

// historyPath is the TUI's command history: $XDG_STATE_HOME/bitclone/history,
// or ~/.local/state/bitclone/history (as for the peers file); "" without a
// home directory.
func historyPath() string {
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "bitclone", "history")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".local", "state", "bitclone", "history")
}

// bindHost checks --host: an IP address, with or without brackets.
func bindHost(h string) (string, error) {
	if h == "" {
		return "", nil
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	if err != nil {
		return "", fmt.Errorf("--host %s: want an IP address", codec.Quote(h))
	}
	return ip.String(), nil
}

// parsePeers parses the peer arguments, dropping repeats.
func parsePeers(args []string) ([]netip.AddrPort, error) {
	var seeds []netip.AddrPort
	seen := map[netip.AddrPort]bool{}
	for _, a := range args {
		ap, err := parsePeer(a)
		if err != nil {
			return nil, err
		}
		if !seen[ap] {
			seen[ap] = true
			seeds = append(seeds, ap)
		}
	}
	return seeds, nil
}

// parsePeer parses a peer address as the command line takes it: IPv4:PORT,
// [IPv6]:PORT, or IP,PORT as the spec once writes it. The port must not be 0.
func parsePeer(s string) (netip.AddrPort, error) {
	bad := fmt.Errorf("bad peer %s: want IPv4:PORT, [IPv6]:PORT or IP,PORT", codec.Quote(s))
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		i := strings.LastIndexByte(s, ',')
		if i < 0 {
			return ap, bad
		}
		ip, err1 := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]"))
		port, err2 := strconv.ParseUint(s[i+1:], 10, 16)
		if err1 != nil || err2 != nil {
			return ap, bad
		}
		ap = netip.AddrPortFrom(ip, uint16(port))
	}
	if ap.Port() == 0 {
		return ap, fmt.Errorf("bad peer %s: port 0", codec.Quote(s))
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// checkAgent rejects what cannot go in a field of a BitClone message.
func checkAgent(a string) error {
	switch {
	case a == "":
		return errors.New("empty")
	case strings.ContainsRune(a, '|'):
		return errors.New("must not contain '|', the field delimiter")
	case strings.IndexFunc(a, unicode.IsControl) >= 0:
		return errors.New("must not contain control characters")
	case !utf8.ValidString(a):
		return errors.New("must be valid UTF-8")
	}
	return nil
}

// loginName is the default user agent: the spec asks for the user's name.
func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "bitclone"
}

// version is the module version the binary was built from, if known.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
