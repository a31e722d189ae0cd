package pex

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bitclone/bitclone/codec/pex"
)

// location is where a piece we can give lives: n bytes at off in path,
// zero-padded to the piece size when it is a file's last.
type location struct {
	path string
	off  int64
	n    int
	pad  bool // a shared file's piece: padded to the piece size
}

// ErrTooManyPieces is a --share directory with more than MaxShared pieces.
var ErrTooManyPieces = errors.New("too many pieces")

// SharedPiece is one piece of a shared file, by hash.
type SharedPiece struct {
	Hash  pex.Hash
	File  string // relative to the share directory
	Index int    // the piece's index in its file
}

// indexShare cuts every regular file under dir into pieces of size bytes,
// the last zero-padded, and names each by its SHA-256. Files are read one
// piece at a time: memory stays one piece whatever the share's size.
func indexShare(dir string, size int) (map[pex.Hash]location, []SharedPiece, error) {
	locs := map[pex.Hash]location{}
	var list []SharedPiece
	if dir == "" {
		return locs, nil, nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s: not a directory", dir)
	}
	buf := make([]byte, size)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		for i := 0; ; i++ {
			n, err := io.ReadFull(f, buf)
			if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
				return nil
			}
			if err != nil && err != io.ErrUnexpectedEOF {
				return err
			}
			clear(buf[n:])
			if len(list) >= MaxShared {
				return fmt.Errorf("%w: more than %d in %s", ErrTooManyPieces, MaxShared, dir)
			}
			h := pex.HashOf(buf)
			if _, dup := locs[h]; !dup {
				locs[h] = location{path: path, off: int64(i) * int64(size), n: n, pad: true}
			}
			list = append(list, SharedPiece{Hash: h, File: rel, Index: i})
			if n < size {
				return nil
			}
		}
	})
	return locs, list, err
}

// readPiece reads the piece at l into buf (the piece size long), padded
// with zeros when it is a shared file's, and returns it. A fetched piece is
// given as it was received: its hash is of those bytes.
func readPiece(l location, buf []byte) ([]byte, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.ReadAt(buf[:l.n], l.off)
	if n < l.n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%s changed since it was shared: %w", l.path, err)
	}
	if !l.pad {
		return buf[:l.n], nil
	}
	clear(buf[l.n:])
	return buf, nil
}

// fetchedPath is where a fetched piece is written: dest/HEX.
func fetchedPath(dest string, h pex.Hash) string { return filepath.Join(dest, h.String()) }

// loadFetched reads a piece already in dest, if it is there and valid.
func loadFetched(dest string, h pex.Hash, size int) (location, bool) {
	p := fetchedPath(dest, h)
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > int64(size) {
		return location{}, false
	}
	data, err := os.ReadFile(p)
	if err != nil || !pex.CheckGive(h, data) {
		return location{}, false
	}
	return location{path: p, n: len(data)}, true
}
