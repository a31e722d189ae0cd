package piece

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPath is wrapped by every error about a file name that could escape the
// destination directory.
var ErrPath = errors.New("piece: unsafe file name")

// File is one file of a torrent: a relative, slash-separated path under the
// destination directory and its size.
type File struct {
	Path string
	Size int64
}

// Layout maps the torrent's piece space (its bytes, pieces end to end) onto
// files laid end to end in torrent order, as both NibbleTorrent (one file)
// and BitTorrent (one or many) define it.
type Layout struct {
	files []File
	size  int64
	multi bool // MultiFile's: files in a directory, written in place
}

// Span is a run of bytes of the piece space inside one file.
type Span struct {
	File   int   // index into Files
	Offset int64 // within that file
	Len    int
}

// SingleFile is the layout of a one-file torrent. name must be one plain path
// element: the torrent package validates it too, but the store does not
// trust it.
func SingleFile(name string, size int64) (Layout, error) {
	if err := checkElement(name); err != nil {
		return Layout{}, err
	}
	if size < 0 {
		return Layout{}, fmt.Errorf("%w: negative size %d", ErrGeometry, size)
	}
	return Layout{files: []File{{Path: name, Size: size}}, size: size}, nil
}

// MultiFile is the layout of a torrent of several files in a directory
// named root: each File's Path is slash-separated below root, and comes
// out as root/path. Every component must be one plain path element (no
// "..", no absolute path, no separator inside): the torrent package checks
// them too, but the store does not trust it.
func MultiFile(root string, files []File) (Layout, error) {
	if err := checkElement(root); err != nil {
		return Layout{}, err
	}
	l := Layout{files: make([]File, 0, len(files))}
	for _, f := range files {
		for _, c := range strings.Split(f.Path, "/") {
			if err := checkElement(c); err != nil {
				return Layout{}, fmt.Errorf("%w (in %q)", err, f.Path)
			}
		}
		if f.Size < 0 {
			return Layout{}, fmt.Errorf("%w: %q: negative size %d", ErrGeometry, f.Path, f.Size)
		}
		l.files = append(l.files, File{Path: root + "/" + f.Path, Size: f.Size})
		l.size += f.Size
	}
	if len(l.files) == 0 {
		return Layout{}, fmt.Errorf("%w: no files", ErrGeometry)
	}
	l.multi = true
	return l, nil
}

// checkElement refuses names that are empty, "." or "..", or hold a path
// separator (either kind) or a NUL.
func checkElement(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrPath, name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("%w: %q holds a path separator or NUL", ErrPath, name)
	}
	return nil
}

// Files returns the layout's files (a copy).
func (l Layout) Files() []File { return append([]File(nil), l.files...) }

// Size is the sum of the files' sizes.
func (l Layout) Size() int64 { return l.size }

// Spans appends to dst the file runs that hold n bytes of the piece space
// from off. The range must lie within Size.
func (l Layout) Spans(dst []Span, off int64, n int) []Span {
	var start int64
	for i, f := range l.files {
		end := start + f.Size
		if n > 0 && off < end {
			k := min(int64(n), end-off)
			dst = append(dst, Span{File: i, Offset: off - start, Len: int(k)})
			off += k
			n -= int(k)
		}
		start = end
	}
	return dst
}
