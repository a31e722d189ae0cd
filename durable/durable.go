// Package durable writes files so that a crash leaves either the old
// version or the new one on disk, never a torn mix: the peers file, the
// command history, torrent files and finished downloads all need that.
package durable

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile replaces the file at path with data: a temporary file in the
// same directory is written, synced, given perm and renamed over path,
// and the directory is synced so that the rename survives a crash.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		// Name the file the caller asked for, not our temporary one.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = &os.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename in dir durable. Windows cannot fsync a directory,
// and its renames need no help.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
