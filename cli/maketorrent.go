package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/durable"
)

const makeTorrentHelp = `make-torrent describes FILE in a torrent file that peers download it with:
its size and name, the SHA-1 of every piece and of the whole file (the
torrent's id), and the tracker's announce URL.

--format nibble writes a NibbleTorrent .ntorrent (JSON, as the course's
torrent files are); pieces are at most 65535 bytes, so that one fits a
frame. --format bt (BitTorrent .torrent files) comes with the BitTorrent
dialect.

The exit status is 0 once the torrent is written, 1 when FILE cannot be
read or the torrent cannot be written, 2 for a bad command line.`

// Formats of make-torrent.
const (
	formatBT     = "bt"
	formatNibble = "nibble"
)

type makeTorrentFlags struct {
	tracker, format, output string
	pieceSize               int
}

func newMakeTorrentCommand(exit func(int)) *cobra.Command {
	var f makeTorrentFlags
	cmd := &cobra.Command{
		Use:   "make-torrent [flags] FILE --tracker URL",
		Short: "Write a torrent file for FILE",
		Long:  makeTorrentHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if f.format == formatBT {
				fmt.Fprintln(cmd.ErrOrStderr(), "bitclone make-torrent: not yet: bt torrents come with the BitTorrent dialect (use --format nibble)")
				exit(ExitError)
				return nil
			}
			exit(runMakeTorrent(args[0], f, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.tracker, "tracker", "", "the tracker's announce `URL` (required)")
	fl.StringVar(&f.format, "format", formatBT, "the torrent `FORMAT`: bt or nibble")
	fl.IntVar(&f.pieceSize, "piece-size", 0, "pieces of `N` bytes (default: 4096 for nibble, 256 KiB for bt)")
	fl.StringVarP(&f.output, "output", "o", "", "write the torrent to `PATH` (default FILE.ntorrent for nibble, FILE.torrent for bt)")
	return cmd
}

// check refuses a bad command line, for the usage.
func (f *makeTorrentFlags) check() error {
	switch {
	case f.format != formatBT && f.format != formatNibble:
		return fmt.Errorf("--format %s: want bt or nibble", codec.Quote(f.format))
	case f.tracker == "":
		return errors.New("--tracker URL is required")
	case f.pieceSize < 0:
		return fmt.Errorf("--piece-size %d: want a positive size", f.pieceSize)
	case f.format == formatNibble && f.pieceSize > nibble.MaxPieceSize:
		return fmt.Errorf("--piece-size %d: at most %d for nibble: a piece must fit one frame (the length field is 16 bits)", f.pieceSize, nibble.MaxPieceSize)
	}
	if err := nibble.CheckTrackerURL(f.tracker); err != nil {
		return fmt.Errorf("--tracker: %w", err)
	}
	return nil
}

// runMakeTorrent writes a NibbleTorrent file for path.
func runMakeTorrent(path string, f makeTorrentFlags, stdout, stderr io.Writer) int {
	fail := func(status int, err error) int {
		fmt.Fprintf(stderr, "bitclone make-torrent: %v\n", err)
		return status
	}
	if f.pieceSize == 0 {
		f.pieceSize = nibble.DefaultPieceSize
	}
	if f.output == "" {
		f.output = path + ".ntorrent"
	}
	file, err := os.Open(path)
	if err != nil {
		return fail(ExitError, err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return fail(ExitError, err)
	}
	if info.IsDir() {
		return fail(ExitError, fmt.Errorf("%s is a directory: a nibble torrent describes one file", path))
	}
	if out, err := os.Stat(f.output); err == nil && os.SameFile(info, out) {
		return fail(ExitUsage, fmt.Errorf("-o %s is FILE itself", f.output))
	}
	t, err := nibble.MakeTorrent(file, filepath.Base(path), f.tracker, f.pieceSize)
	if err != nil {
		return fail(ExitError, fmt.Errorf("%s: %w", path, err))
	}
	if err := durable.WriteFile(f.output, nibble.MarshalTorrent(t), 0o644); err != nil {
		return fail(ExitError, err)
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d bytes in %d pieces of %d, torrent_id %s\n",
		f.output, t.FileName, t.FileSize, t.NumPieces(), t.PieceSize, t.ID)
	return ExitOK
}
