package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/durable"
	pexpeer "github.com/bitclone/bitclone/peer/pex"
)

const pexHelp = `pex runs a PEX bootstrap node (the course's p2p-networking protocol). Every
node is a bootstrap node: it records whoever connects, hands them the peers it
knows, exchanges peer lists with the peers it knows, serves the pieces of the
files in --share to whoever asks, and asks every connected peer for the
pieces in --want and --want-file until one gives them. Each piece is checked
against its SHA-256 and written into --dest, named by its 64 hex digits; a
valid piece already there counts as fetched. A peer that gives 3 corrupt
pieces is dropped and shunned.

HOST:PORT arguments are nodes to bootstrap from: [IPv6]:PORT, IPv4:PORT or
NAME:PORT. It listens on [::]:8100 by default, so that IPv6 and IPv4 peers
(shown as IPv4) both reach it.

Pieces: each file in --share is cut into --piece-size pieces. The course's
node asserts a full-size give, so the last piece of a file is zero-padded to
the piece size and hashed padded. --hashes FILE writes the SHA-256 of every
shared piece, one per line (a --want-file for another node); the log lists
them too ("share HASH FILE piece N").

The wire: a uint32 size prefix, then ask (0, SHA-256), give (1, SHA-256,
piece) or peer (2, 16-byte IPv6 address and 16-bit port per peer). The course's
node writes the prefix and port little-endian and uses 131072-byte pieces;
--byte-order big speaks the other order.

With --headless it prints the log on stdout; -v adds every message, in words.
Messages typed on stdin (or the TUI's command line) go to the peers:
ask SHA256, give SHA256 (a piece we share), peer [::1]:8100 127.0.0.1:8101,
raw 01 00 00 00 02.`

// pexFlags are the raw flags of bitclone pex.
type pexFlags struct {
	swarmFlags
	share, wantFile, byteOrder, hashes string
	want                               []string
	pieceSize                          int
}

// pexSettings is what a pex command line asks for.
type pexSettings struct {
	Config pexpeer.Config
	// Hashes is where the shared pieces' hashes are written ("": nowhere).
	Hashes string
	Front  Settings
	swarm  swarmSettings
}

func newPexCommand(exit func(int)) *cobra.Command {
	return pexCommand(func(s pexSettings, stdin io.Reader, stdout, stderr io.Writer) {
		exit(runPex(s, stdin, stdout, stderr))
	})
}

// pexCommand is bitclone pex; run is given the checked settings.
func pexCommand(run func(s pexSettings, stdin io.Reader, stdout, stderr io.Writer)) *cobra.Command {
	var f pexFlags
	cmd := nodeCommand(&cobra.Command{
		Use:   "pex [flags] [HOST:PORT ...]",
		Short: "Run a PEX bootstrap node: share, fetch and exchange peers",
		Long:  pexHelp,
	}, f.settings, run)
	fl := cmd.Flags()
	f.addFirst(fl, pexpeer.DefaultPort, pexpeer.DefaultListenHost, "listen on `ADDR` (:: also takes IPv4 peers)")
	fl.Lookup("dest").Usage = "write fetched pieces into `DIR`, named by their hash"
	fl.StringVar(&f.share, "share", "", "serve every file in `DIR`, cut into pieces")
	fl.StringArrayVar(&f.want, "want", nil, "ask the network for the piece `HASH` (SHA-256 hex; repeatable)")
	fl.StringVar(&f.wantFile, "want-file", "", "ask for the pieces in `LIST`, a file of SHA-256 hex hashes, one per line")
	fl.IntVar(&f.pieceSize, "piece-size", pex.DefaultPieceSize, fmt.Sprintf("`N` bytes a piece, 1 to %d (the last of a file zero-padded)", pex.MaxPieceSize))
	fl.StringVar(&f.byteOrder, "byte-order", "little", "`little|big`: the byte order of the size prefix and ports")
	fl.StringVar(&f.hashes, "hashes", "", "write the SHA-256 of every shared piece to `FILE`, one per line")
	fl.BoolVar(&f.exitWhenComplete, "exit-when-complete", false, "exit 0 once every wanted piece is fetched and verified")
	fl.DurationVar(&f.pace, "pace", 0, "minimum gap `D` between writes on one connection, to watch a transfer on loopback (default 0)")
	fl.BoolVar(&f.headless, "headless", false, "no TUI: log on stdout, messages typed on stdin")
	fl.BoolVar(&f.json, "json", false, "events as JSON lines; implies --headless")
	fl.BoolVar(&f.quiet, "quiet", false, "print only connection changes, warnings and errors; implies --headless")
	fl.StringVar(&f.record, "record", "", "write every message in and out to `FILE` as JSON lines")
	return cmd
}

// maxWantFile bounds a --want-file: a hash and a line end per wanted piece.
const maxWantFile = pexpeer.MaxWant * 80

// settings checks the flags and arguments.
func (f *pexFlags) settings(args []string) (pexSettings, error) {
	var s pexSettings
	if f.host == "" {
		return s, errors.New("--host: empty")
	}
	order, err := pex.ParseByteOrder(f.byteOrder)
	if err != nil {
		return s, fmt.Errorf("--byte-order %s: want little or big", codec.Quote(f.byteOrder))
	}
	if f.pieceSize < 1 || f.pieceSize > pex.MaxPieceSize {
		return s, fmt.Errorf("--piece-size %d: want 1 to %d (the course's node: %d)", f.pieceSize, pex.MaxPieceSize, pex.DefaultPieceSize)
	}
	if f.share != "" {
		if err := checkShare(f.share); err != nil {
			return s, err
		}
	}
	want, err := f.wanted()
	if err != nil {
		return s, err
	}
	if f.exitWhenComplete && len(want) == 0 {
		return s, errors.New("--exit-when-complete: nothing wanted (give --want or --want-file)")
	}
	sw, err := f.swarmFlags.settings()
	if err != nil {
		return s, err
	}
	c := &s.Config
	for _, a := range args {
		ap, err := resolvePeer(a)
		if err != nil {
			return s, fmt.Errorf("bootstrap node %s: want [IPv6]:PORT, IPv4:PORT or NAME:PORT", codec.Quote(a))
		}
		c.Bootstrap = append(c.Bootstrap, ap)
	}
	c.Options = pex.Options{Order: order, PieceSize: f.pieceSize}
	c.Share, c.Want, c.Dest, c.Port, c.ListenHost = f.share, want, f.dest, f.port, sw.ListenHost
	c.Pace, c.NoMessageEvents = f.pace, sw.NoMessageEvents
	s.Hashes, s.Front, s.swarm = f.hashes, sw.Front, sw
	return s, nil
}

// checkShare says what is wrong with a --share directory.
func checkShare(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = errors.New("not a directory")
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(dir); err == nil {
			_, err = d.Readdirnames(1)
			d.Close()
			if err == io.EOF {
				err = nil
			}
		}
	}
	if err != nil {
		return fmt.Errorf("--share %s: %v", dir, err)
	}
	return nil
}

// wanted is --want and --want-file, checked, without repeats.
func (f *pexFlags) wanted() ([]pex.Hash, error) {
	var out []pex.Hash
	seen := map[pex.Hash]bool{}
	add := func(h pex.Hash) error {
		if seen[h] {
			return nil
		}
		if len(out) >= pexpeer.MaxWant {
			return fmt.Errorf("more than %d pieces wanted", pexpeer.MaxWant)
		}
		seen[h] = true
		out = append(out, h)
		return nil
	}
	for _, w := range f.want {
		h, err := pex.ParseHash(w)
		if err != nil {
			return nil, fmt.Errorf("--want %s: want 64 hex digits (a SHA-256)", codec.Quote(w))
		}
		if err := add(h); err != nil {
			return nil, err
		}
	}
	if f.wantFile == "" {
		return out, nil
	}
	file, err := os.Open(f.wantFile)
	if err != nil {
		return nil, fmt.Errorf("--want-file: %v", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(io.LimitReader(file, maxWantFile+1))
	read := 0
	for line := 1; sc.Scan(); line++ {
		read += len(sc.Bytes()) + 1
		if read > maxWantFile {
			return nil, fmt.Errorf("--want-file %s: longer than %d bytes", f.wantFile, maxWantFile)
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		h, err := pex.ParseHash(text)
		if err != nil {
			return nil, fmt.Errorf("--want-file %s line %d: %s is not 64 hex digits (a SHA-256)", f.wantFile, line, codec.Quote(text))
		}
		if err := add(h); err != nil {
			return nil, fmt.Errorf("--want-file %s: %v", f.wantFile, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--want-file %s: %v", f.wantFile, err)
	}
	return out, nil
}

// writeHashes writes every shared piece's hash, one per line.
func writeHashes(path string, shared []pexpeer.SharedPiece) error {
	var b strings.Builder
	for _, p := range shared {
		b.WriteString(p.Hash.String())
		b.WriteByte('\n')
	}
	return durable.WriteFile(path, []byte(b.String()), 0o644)
}

// runPex indexes the share, binds, and runs the node and its front end
// until the user quits, a signal arrives, or (with --exit-when-complete)
// every wanted piece is in.
func runPex(s pexSettings, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bitclone pex: "+format+"\n", a...)
		return ExitError
	}
	if err := checkDest(s.Config.Dest); err != nil {
		return fail("%v", err)
	}
	bare := pexpeer.NewDialect(s.Config.Options, nil)
	rec, err := startRecording(s.Front.Record, &bare, stderr, s.Front.Headless)
	if err != nil {
		return fail("%v", err)
	}
	start := time.Now()
	node, err := pexpeer.New(s.Config, pexpeer.WithRecorder(rec.recorder()))
	if err != nil {
		rec.close(stderr)
		return fail("%v", err)
	}
	if s.Hashes != "" {
		if err := writeHashes(s.Hashes, node.Shared()); err != nil {
			rec.close(stderr)
			return fail("--hashes: %v", err)
		}
	}
	if err := node.Listen(); err != nil {
		rec.close(stderr)
		return fail("listen (--host, --port %d): %v", s.Config.Port, err)
	}
	if s.Front.Headless && time.Since(start) > time.Second {
		fmt.Fprintf(stderr, "bitclone pex: indexed %d shared pieces in %s\n", len(node.Shared()), time.Since(start).Round(time.Millisecond))
	}
	sw := s.swarm
	sw.Front, sw.ExitWhenComplete = s.Front, s.swarm.ExitWhenComplete
	return runSwarm("bitclone pex", node, node.Dialect(), sw, rec, stdin, stdout, stderr)
}
