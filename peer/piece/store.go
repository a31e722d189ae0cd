package piece

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/durable"
)

// PartSuffix ends the name of a download in progress: FILE is written as
// .FILE.part in the same directory, hidden and clearly unfinished, and
// renamed to FILE once every piece is verified.
const PartSuffix = ".part"

// PartName is the temporary name a file is downloaded under.
func PartName(name string) string { return "." + name + PartSuffix }

var (
	// ErrHash: a piece's data does not match its SHA-1; nothing was written.
	ErrHash = errors.New("piece: hash mismatch")
	// ErrDuplicate: the piece is verified already (or being written by
	// another connection); the data was ignored.
	ErrDuplicate = errors.New("piece: already have it")
	// ErrMissing: an upload asked for a piece that is not verified yet.
	ErrMissing = errors.New("piece: not verified yet")
	// ErrRange: a piece index outside the torrent, or data of the wrong size.
	ErrRange = errors.New("piece: out of range")
	// ErrExists: the destination holds a file of that name that is not
	// this torrent's; it is never overwritten.
	ErrExists = errors.New("piece: destination file differs from the torrent")
	// ErrSave: every piece is verified and counted, but giving the file its
	// final name failed; the data stays in the .part file.
	ErrSave = errors.New("piece: complete but not saved")
)

// Spec is what a single-file store needs, as plain values so the store does
// not depend on a torrent format.
type Spec struct {
	Dir       string // destination directory: download into, seed from
	Name      string // file_name: one path element, checked here again
	Size      int64
	PieceSize int
	Hashes    [][20]byte // one SHA-1 per piece
}

// Source says where a store's data came from when it opened.
type Source uint8

const (
	SourceNew      Source = iota // nothing on disk: a fresh .part file
	SourcePartial                // a .part file, its good pieces kept
	SourceComplete               // the final file, verified: seeding
)

func (s Source) String() string {
	return [...]string{"new", "partial", "complete"}[s]
}

// Resume reports what Open found on disk.
type Resume struct {
	Source   Source
	Verified int // pieces whose hash matched
	Checked  int // pieces hashed (all of them for partial and complete)
}

// Store keeps a torrent's pieces on disk. A piece counts only after its
// SHA-1 matches; uploads read only counted pieces. Safe for concurrent use:
// see the package comment.
type Store struct {
	dir    string
	layout Layout
	geo    Geometry
	hashes [][20]byte
	files  []diskFile // one per layout file, open read-write (read-only when complete)
	resume Resume

	mu    sync.Mutex
	have  bitfield.Bitfield
	busy  bitfield.Bitfield // being written now
	nHave int
	saved bool // renamed to the final names
}

// diskFile is what the store needs of an open file: *os.File, whose ReadAt
// and WriteAt (pread, pwrite) are safe concurrently; tests put a gate or a
// fault in front of it.
type diskFile interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
	Name() string
}

// Open opens the store for a single-file torrent, resuming from disk:
//   - dir/NAME exists: every piece is verified and the store seeds from it;
//     a file that does not match is left alone and Open fails (ErrExists).
//   - dir/.NAME.part exists: it is cut or extended to the torrent's size
//     and each piece that matches its hash counts as had.
//   - neither: an empty .NAME.part of the right size is created.
//
// If every piece is then verified but the file still has its .part name (a
// crash between the last write and the rename), it is saved at once.
func Open(spec Spec) (*Store, error) {
	l, err := SingleFile(spec.Name, spec.Size)
	if err != nil {
		return nil, err
	}
	return OpenLayout(spec.Dir, l, spec.PieceSize, spec.Hashes)
}

// OpenLayout is Open for any layout. A multi-file layout (MultiFile) is
// written in place: each file at its final path under dir (directories
// made as needed, never through a symbolic link), resumed from what is
// there; a file of another size is not this torrent's and is left alone
// (ErrExists).
func OpenLayout(dir string, l Layout, pieceSize int, hashes [][20]byte) (*Store, error) {
	geo, err := NewGeometry(l.Size(), pieceSize, len(hashes))
	if err != nil {
		return nil, err
	}
	n := geo.Pieces()
	s := &Store{dir: dir, layout: l, geo: geo, hashes: hashes, have: bitfield.New(n), busy: bitfield.New(n)}
	if l.multi {
		if err := s.openInPlace(); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	if len(l.files) != 1 {
		return nil, fmt.Errorf("piece: %d files in a single-file layout", len(l.files))
	}
	f := l.files[0]
	final := filepath.Join(dir, f.Path)
	part := filepath.Join(dir, PartName(f.Path))

	switch fi, err := os.Lstat(final); {
	case err == nil:
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrExists, final)
		}
		if fi.Size() != f.Size {
			return nil, fmt.Errorf("%w: %s has %d bytes, the torrent %d; move it away to download", ErrExists, final, fi.Size(), f.Size)
		}
		fh, err := os.Open(final)
		if err != nil {
			return nil, fmt.Errorf("piece: open %s: %w", final, err)
		}
		s.files = []diskFile{fh}
		if bad := s.verifyAll(); bad >= 0 {
			fh.Close()
			return nil, fmt.Errorf("%w: piece %d of %s does not match its hash; move it away to download", ErrExists, bad, final)
		}
		s.resume.Source, s.saved = SourceComplete, true
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("piece: %s: %w", final, err)
	}

	src := SourceNew
	if fi, err := os.Lstat(part); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("piece: %s is not a regular file", part)
		}
		src = SourcePartial
	}
	fh, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("piece: open %s: %w", part, err)
	}
	s.files = []diskFile{fh}
	// Truncate both ways: a longer file is ours and cut back; a shorter one
	// (killed mid-write) is extended with zeros, whose pieces fail the hash.
	if err := fh.Truncate(f.Size); err != nil {
		fh.Close()
		return nil, fmt.Errorf("piece: size %s: %w", part, err)
	}
	s.resume.Source = src
	if src == SourcePartial {
		s.verifyAll()
	}
	if s.nHave == n {
		if err := s.save(); err != nil {
			fh.Close()
			return nil, err
		}
	}
	return s, nil
}

// verifyAll hashes every piece on disk, records the good ones and returns
// the first bad index (-1 if none).
func (s *Store) verifyAll() int {
	bad := -1
	buf := make([]byte, s.geo.PieceSize())
	for i := range s.geo.Pieces() {
		s.resume.Checked++
		data := buf[:s.geo.PieceLen(i)]
		if s.readAt(data, s.geo.Offset(i)) == nil && sha1.Sum(data) == s.hashes[i] {
			s.have.Set(i)
			s.nHave++
			s.resume.Verified++
		} else if bad < 0 {
			bad = i
		}
	}
	return bad
}

// Resume says what Open found on disk.
func (s *Store) Resume() Resume { return s.resume }

// Geometry is the store's piece geometry.
func (s *Store) Geometry() Geometry { return s.geo }

// Have returns a copy of the verified pieces.
func (s *Store) Have() bitfield.Bitfield {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.have.Clone()
}

// Complete says whether every piece is verified and the file has its final
// name.
func (s *Store) Complete() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saved
}

// WritePiece verifies piece i and, if it matches, writes it and counts it.
// The last piece saves the file under its final name (fsync, then rename)
// before WritePiece returns. Errors: ErrRange, ErrHash (nothing written),
// ErrDuplicate (data ignored), ErrSave (the piece counts, but the final
// rename failed), or an I/O error (the piece stays missing).
func (s *Store) WritePiece(i int, data []byte) error {
	if i < 0 || i >= s.geo.Pieces() || len(data) != s.geo.PieceLen(i) {
		return fmt.Errorf("%w: piece %d of %d bytes (torrent has %d pieces)", ErrRange, i, len(data), s.geo.Pieces())
	}
	if sha1.Sum(data) != s.hashes[i] {
		return fmt.Errorf("%w: piece %d", ErrHash, i)
	}
	s.mu.Lock()
	if s.have.Has(i) || s.busy.Has(i) {
		s.mu.Unlock()
		return fmt.Errorf("%w: piece %d", ErrDuplicate, i)
	}
	s.busy.Set(i)
	s.mu.Unlock()

	err := s.writeAt(data, s.geo.Offset(i))

	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy.Clear(i)
	if err != nil {
		return fmt.Errorf("piece: write piece %d: %w", i, err)
	}
	s.have.Set(i)
	s.nHave++
	if s.nHave == s.geo.Pieces() {
		return s.save()
	}
	return nil
}

// ReadPiece reads verified piece i into buf (grown if short) for an upload
// and returns the piece's bytes.
func (s *Store) ReadPiece(i int, buf []byte) ([]byte, error) {
	s.mu.Lock()
	ok := s.have.Has(i)
	s.mu.Unlock()
	if !ok {
		if i < 0 || i >= s.geo.Pieces() {
			return nil, fmt.Errorf("%w: piece %d (torrent has %d pieces)", ErrRange, i, s.geo.Pieces())
		}
		return nil, fmt.Errorf("%w: piece %d", ErrMissing, i)
	}
	n := s.geo.PieceLen(i)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if err := s.readAt(buf, s.geo.Offset(i)); err != nil {
		return nil, fmt.Errorf("piece: read piece %d: %w", i, err)
	}
	return buf, nil
}

// ReadBlock reads len(buf) bytes at offset begin of verified piece i, for
// an upload of one block (BitTorrent's request): no more than the block is
// read. Errors: ErrRange (outside the piece or the torrent), ErrMissing, or
// an I/O error.
func (s *Store) ReadBlock(i, begin int, buf []byte) error {
	if i < 0 || i >= s.geo.Pieces() || begin < 0 || begin+len(buf) > s.geo.PieceLen(i) {
		return fmt.Errorf("%w: %d bytes at %d of piece %d (torrent has %d pieces)", ErrRange, len(buf), begin, i, s.geo.Pieces())
	}
	s.mu.Lock()
	ok := s.have.Has(i)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: piece %d", ErrMissing, i)
	}
	if err := s.readAt(buf, s.geo.Offset(i)+int64(begin)); err != nil {
		return fmt.Errorf("piece: read piece %d: %w", i, err)
	}
	return nil
}

// Close closes the files. Reads and writes after Close fail.
func (s *Store) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// openInPlace opens a multi-file layout's files at their final paths.
func (s *Store) openInPlace() error {
	existed := false
	for _, f := range s.layout.files {
		path, err := s.makeParents(f.Path)
		if err != nil {
			return err
		}
		switch fi, err := os.Lstat(path); {
		case err == nil && !fi.Mode().IsRegular():
			return fmt.Errorf("%w: %s is not a regular file", ErrExists, path)
		case err == nil && fi.Size() != f.Size:
			return fmt.Errorf("%w: %s has %d bytes, the torrent %d; move it away to download", ErrExists, path, fi.Size(), f.Size)
		case err == nil:
			existed = true
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("piece: %s: %w", path, err)
		}
		fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("piece: open %s: %w", path, err)
		}
		s.files = append(s.files, fh)
		if err := fh.Truncate(f.Size); err != nil {
			return fmt.Errorf("piece: size %s: %w", path, err)
		}
	}
	if existed {
		s.resume.Source = SourcePartial
		s.verifyAll()
	}
	if s.nHave == s.geo.Pieces() {
		s.resume.Source, s.saved = SourceComplete, true
	}
	return nil
}

// makeParents makes the directories of a slash path under the store's
// directory, refusing to go through anything but a real directory (a
// symbolic link could lead outside), and returns the file's path.
func (s *Store) makeParents(slashPath string) (string, error) {
	parts := strings.Split(slashPath, "/")
	path := s.dir
	for _, c := range parts[:len(parts)-1] {
		path = filepath.Join(path, c)
		fi, err := os.Lstat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(path, 0o755); err != nil {
				return "", fmt.Errorf("piece: %w", err)
			}
		case err != nil:
			return "", fmt.Errorf("piece: %s: %w", path, err)
		case !fi.IsDir():
			return "", fmt.Errorf("%w: %s is not a directory", ErrPath, path)
		}
	}
	return filepath.Join(path, parts[len(parts)-1]), nil
}

// save makes the download durable and gives it its final name: fsync, then
// rename, then fsync the directory. It never replaces a file that appeared
// under the final name meanwhile. Called with s.mu held.
func (s *Store) save() error {
	if s.layout.multi {
		for _, f := range s.files {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("%w: sync %s: %w", ErrSave, f.Name(), err)
			}
		}
		s.saved = true
		return nil
	}
	f := s.files[0]
	final := filepath.Join(s.dir, s.layout.files[0].Path)
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrSave, f.Name(), err)
	}
	if _, err := os.Lstat(final); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s appeared during the download (%w); the data stays in %s", ErrSave, final, ErrExists, f.Name())
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return fmt.Errorf("%w: %w", ErrSave, err)
	}
	s.saved = true
	if err := durable.SyncDir(s.dir); err != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrSave, s.dir, err)
	}
	return nil
}

// readAt and writeAt move bytes of the piece space through the layout.
func (s *Store) readAt(p []byte, off int64) error {
	var spans [2]Span
	for _, sp := range s.layout.Spans(spans[:0], off, len(p)) {
		if _, err := s.files[sp.File].ReadAt(p[:sp.Len], sp.Offset); err != nil {
			return err
		}
		p = p[sp.Len:]
	}
	return nil
}

func (s *Store) writeAt(p []byte, off int64) error {
	var spans [2]Span
	for _, sp := range s.layout.Spans(spans[:0], off, len(p)) {
		if _, err := s.files[sp.File].WriteAt(p[:sp.Len], sp.Offset); err != nil {
			return err
		}
		p = p[sp.Len:]
	}
	return nil
}
