package metainfo

import (
	"crypto/sha1"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
)

// MakeOptions are what Make writes besides the content's description.
type MakeOptions struct {
	Announce     string    // the tracker's URL (CheckAnnounce); required
	PieceLength  int       // 0: DefaultPieceLength
	CreatedBy    string    // "created by"; "" leaves it out
	CreationDate time.Time // "creation date"; the zero time leaves it out
}

// Made is what Make wrote.
type Made struct {
	Data    []byte   // the .torrent file
	Torrent *Torrent // Parse(Data)
	// EmptyDirs are the directories that hold no file anywhere below
	// them: a torrent lists files only, so they are not in it.
	EmptyDirs []string
}

// Make describes name in fsys, a regular file or a directory, as a
// .torrent: a file makes a single-file torrent; a directory a multi-file
// one with every regular file below it in sorted path order (fs.WalkDir's
// order). A symbolic link or special file inside the directory is an
// error naming it, never skipped: name the file itself, or copy it in.
// (name itself is opened as fsys does: os.DirFS follows a link there.)
func Make(fsys fs.FS, name string, opt MakeOptions) (*Made, error) {
	if err := CheckAnnounce(opt.Announce); err != nil {
		return nil, err
	}
	if opt.PieceLength == 0 {
		opt.PieceLength = DefaultPieceLength
	}
	if opt.PieceLength < 1 || opt.PieceLength > MaxPieceLength {
		return nil, pieceLengthError(int64(opt.PieceLength))
	}
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	base := path.Base(name)
	if err := checkComponent("info.name", base); err != nil {
		return nil, fmt.Errorf("%s: %w", codec.Quote(name), err)
	}
	t := &Torrent{Announce: opt.Announce, CreatedBy: opt.CreatedBy}
	if !opt.CreationDate.IsZero() {
		t.CreationDate = opt.CreationDate.Unix()
	}
	t.Info = Info{Name: base, PieceLength: opt.PieceLength}
	var paths []string // fsys paths, in torrent order
	made := &Made{}
	switch {
	case st.Mode().IsRegular():
		paths = []string{name}
	case st.IsDir():
		t.Info.MultiFile = true
		paths, made.EmptyDirs, err = walk(fsys, name)
		if err != nil {
			return nil, err
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%s: no files in the directory: a torrent lists files", codec.Quote(name))
		}
	default:
		return nil, fmt.Errorf("%s: %s, not a regular file or a directory", codec.Quote(name), st.Mode().Type())
	}
	h := newPieceHasher(opt.PieceLength)
	var offset int64
	for _, p := range paths {
		n, err := hashFile(fsys, p, h)
		if err != nil {
			return nil, err
		}
		f := File{Path: []string{base}, Length: n, Offset: offset}
		if t.Info.MultiFile {
			f.Path = append(f.Path, strings.Split(strings.TrimPrefix(p, name+"/"), "/")...)
		}
		t.Info.Files = append(t.Info.Files, f)
		offset += n
	}
	if offset == 0 {
		return nil, fmt.Errorf("%s: nothing to share: every file is empty", codec.Quote(name))
	}
	t.Info.Pieces = h.finish()
	data, err := Marshal(t)
	if err != nil {
		return nil, err
	}
	if made.Torrent, err = Parse(data); err != nil {
		return nil, fmt.Errorf("metainfo: Make wrote a torrent Parse refuses: %w", err)
	}
	made.Data = data
	return made, nil
}

// walk lists the regular files under dir in sorted path order, and the
// directories with no file below them; a link or special file is an error.
func walk(fsys fs.FS, dir string) (files, emptyDirs []string, err error) {
	count := map[string]int{} // directory -> files below it
	var dirs []string
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			dirs = append(dirs, p)
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: a symbolic link: make-torrent takes regular files only (copy the file in, or make a torrent of it alone)", codec.Quote(p))
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: %s, not a regular file: make-torrent takes regular files only", codec.Quote(p), d.Type())
		}
		files = append(files, p)
		for q := path.Dir(p); ; q = path.Dir(q) {
			count[q]++
			if q == dir || q == "." {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, d := range dirs {
		if count[d] == 0 && d != dir {
			emptyDirs = append(emptyDirs, d)
		}
	}
	return files, emptyDirs, nil
}

// hashFile feeds one file to h and returns its length.
func hashFile(fsys fs.FS, p string, h *pieceHasher) (int64, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", codec.Quote(p), err)
	}
	return n, nil
}

// pieceHasher cuts the bytes written to it into pieces and hashes each.
type pieceHasher struct {
	buf    []byte
	pieces []Hash
}

func newPieceHasher(pieceLength int) *pieceHasher {
	return &pieceHasher{buf: make([]byte, 0, pieceLength)}
}

func (h *pieceHasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), cap(h.buf)-len(h.buf))
		h.buf = append(h.buf, p[:k]...)
		p = p[k:]
		if len(h.buf) == cap(h.buf) {
			if len(h.pieces) >= maxMadePieces {
				return 0, errTooManyPieces
			}
			h.pieces = append(h.pieces, sha1.Sum(h.buf))
			h.buf = h.buf[:0]
		}
	}
	return n, nil
}

// maxMadePieces is as many piece hashes as a MaxFileSize torrent holds.
const maxMadePieces = MaxFileSize / sha1.Size

var errTooManyPieces = fmt.Errorf("more pieces than a torrent file of %d MiB holds: choose a bigger piece length", MaxFileSize>>20)

// finish hashes the last, short piece and returns the hashes.
func (h *pieceHasher) finish() []Hash {
	if len(h.buf) > 0 {
		h.pieces = append(h.pieces, sha1.Sum(h.buf))
		h.buf = h.buf[:0]
	}
	return h.pieces
}
