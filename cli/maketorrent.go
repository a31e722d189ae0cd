package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/durable"
)

const makeTorrentHelp = `make-torrent describes FILE_OR_DIR in a torrent file that peers download
it with: the names and sizes, the SHA-1 of every piece, and the tracker's
announce URL.

--format bt (the default) writes a BitTorrent .torrent (bencode, BEP 3):
a file makes a single-file torrent, a directory a multi-file one holding
every regular file below it, in sorted path order, hidden files included.
A symbolic link or special file inside the directory is refused with its
name (copy the file in, or make a torrent of it alone); directories with
no file below them cannot be in a torrent and are listed on stderr. The
tracker is an http, https or udp URL; pieces are 256 KiB unless
--piece-size says otherwise (at most 64 MiB). The torrent is not private,
and says "created by bitclone" and its creation date.

--format nibble writes a NibbleTorrent .ntorrent (JSON, as the course's
torrent files are) of one FILE; pieces are at most 65535 bytes, so that
one fits a frame.

The exit status is 0 once the torrent is written, 1 when FILE_OR_DIR cannot
be read or the torrent cannot be written, 2 for a bad command line.`

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
		Use:   "make-torrent [flags] FILE_OR_DIR --tracker URL",
		Short: "Write a torrent file for FILE_OR_DIR",
		Long:  makeTorrentHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if f.format == formatBT {
				exit(runMakeBT(args[0], f, time.Now(), cmd.OutOrStdout(), cmd.ErrOrStderr()))
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
	fl.StringVarP(&f.output, "output", "o", "", "write the torrent to `PATH` (default FILE.torrent for bt, FILE.ntorrent for nibble)")
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
	case f.format == formatBT && f.pieceSize > metainfo.MaxPieceLength:
		return fmt.Errorf("--piece-size %d: at most %d (%d MiB) for bt", f.pieceSize, metainfo.MaxPieceLength, metainfo.MaxPieceLength>>20)
	}
	check := nibble.CheckTrackerURL
	if f.format == formatBT {
		check = metainfo.CheckAnnounce
	}
	if err := check(f.tracker); err != nil {
		return fmt.Errorf("--tracker: %w", err)
	}
	return nil
}

// runMakeBT writes a BitTorrent .torrent for the file or directory at
// path, created now.
func runMakeBT(path string, f makeTorrentFlags, now time.Time, stdout, stderr io.Writer) int {
	fail := func(status int, err error) int {
		fmt.Fprintf(stderr, "bitclone make-torrent: %v\n", err)
		return status
	}
	info, err := os.Stat(path)
	if err != nil {
		return fail(ExitError, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fail(ExitError, err)
	}
	if f.output == "" {
		// "make-torrent ." names the torrent after the directory.
		f.output = filepath.Clean(path) + ".torrent"
		if base := filepath.Base(filepath.Clean(path)); base == "." || base == ".." {
			f.output = abs + ".torrent"
		}
	}
	if out, err := os.Stat(f.output); err == nil && os.SameFile(info, out) {
		return fail(ExitUsage, fmt.Errorf("-o %s is FILE itself", f.output))
	}
	// The torrent is named after the last element of the path; the parent
	// directory is the file system Make reads from.
	made, err := metainfo.Make(os.DirFS(filepath.Dir(abs)), filepath.Base(abs), metainfo.MakeOptions{
		Announce:     f.tracker,
		PieceLength:  f.pieceSize,
		CreatedBy:    "bitclone",
		CreationDate: now,
	})
	if err != nil {
		return fail(ExitError, fmt.Errorf("%s: %w", path, err))
	}
	for _, dir := range made.EmptyDirs {
		fmt.Fprintf(stderr, "bitclone make-torrent: %s holds no file: not in the torrent (a torrent lists files only)\n", codec.Quote(dir))
	}
	if err := durable.WriteFile(f.output, made.Data, 0o644); err != nil {
		return fail(ExitError, err)
	}
	t := made.Torrent
	count := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d bytes in %s, %s of %d, info_hash %s\n",
		f.output, codec.PrintableString(t.Info.Name), t.Info.TotalLength(), count(len(t.Info.Files), "file"),
		count(t.Info.NumPieces(), "piece"), t.Info.PieceLength, t.InfoHash)
	return ExitOK
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
