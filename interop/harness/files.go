package harness

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// MakeTorrent builds a torrent of the file or directory at path with
// anacrolix's own metainfo builder: no announce URL (peers are added by
// address), info name = the base name of path.
func MakeTorrent(path string, pieceLength int64) (*metainfo.MetaInfo, error) {
	info := metainfo.Info{PieceLength: pieceLength}
	if err := info.BuildFromFilePath(path); err != nil {
		return nil, fmt.Errorf("building torrent of %s: %w", path, err)
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encoding info of %s: %w", path, err)
	}
	return &metainfo.MetaInfo{InfoBytes: infoBytes}, nil
}

// WriteTorrentFile writes mi as a .torrent file.
func WriteTorrentFile(mi *metainfo.MetaInfo, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := mi.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// WriteRandomFile writes size pseudo-random bytes, the same for the same seed,
// to path, creating its directory.
func WriteRandomFile(path string, size int64, seed uint64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24),
		byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)})
	if _, err := io.CopyN(f, src, size); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// compareChunk is how much of each file SameTree holds in memory at once.
const compareChunk = 1 << 20

// SameTree returns nil if want and got are the same regular file, or
// directories holding the same relative paths of regular files with the same
// bytes; otherwise an error naming the first difference.
func SameTree(want, got string) error {
	wantFiles, err := regularFiles(want)
	if err != nil {
		return err
	}
	gotFiles, err := regularFiles(got)
	if err != nil {
		return err
	}
	for rel := range wantFiles {
		if _, ok := gotFiles[rel]; !ok {
			return fmt.Errorf("%s: missing from %s", rel, got)
		}
	}
	for rel := range gotFiles {
		if _, ok := wantFiles[rel]; !ok {
			return fmt.Errorf("%s: in %s, not in %s", rel, got, want)
		}
		if err := sameFile(filepath.Join(want, rel), filepath.Join(got, rel)); err != nil {
			return err
		}
	}
	return nil
}

// regularFiles maps the path of each regular file under root, relative to
// root ("." for root itself), to its size; anything else is an error.
func regularFiles(root string) (map[string]int64, error) {
	out := map[string]int64{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[rel] = fi.Size()
		return nil
	})
	return out, err
}

func sameFile(want, got string) error {
	wf, err := os.Open(want)
	if err != nil {
		return err
	}
	defer wf.Close()
	gf, err := os.Open(got)
	if err != nil {
		return err
	}
	defer gf.Close()
	wb, gb := make([]byte, compareChunk), make([]byte, compareChunk)
	for off := int64(0); ; {
		wn, werr := io.ReadFull(wf, wb)
		gn, gerr := io.ReadFull(gf, gb)
		if wn != gn || !bytes.Equal(wb[:wn], gb[:gn]) {
			return fmt.Errorf("%s and %s differ in the %d bytes from offset %d", want, got, max(wn, gn), off)
		}
		off += int64(wn)
		if werr == io.EOF || werr == io.ErrUnexpectedEOF {
			if gerr != werr {
				return fmt.Errorf("%s and %s differ in length after %d bytes", want, got, off)
			}
			return nil
		}
		if werr != nil {
			return werr
		}
		if gerr != nil {
			return gerr
		}
	}
}

// CopyFile is cp: io.Copy from one file to a new one (copy_file_range on
// Linux, as GNU cp does).
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
