package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/bitclone/bitclone/durable"
)

// History limits. The file is appended to, one entry per line, so several
// bitclones can share it and a crash loses nothing; it is compacted to the
// newest maxHistory entries when it has grown to twice that.
const (
	maxHistory      = 1000
	maxHistoryEntry = 16 << 10 // longer lines (pastes) stay out of the file
	maxHistoryFile  = 8 << 20  // only the tail of a larger file is read
)

// loadHistory reads the history file. A missing file is an empty history;
// unreadable or corrupt content is skipped, never fatal: the error says
// what went wrong, and the entries are what could be read.
func loadHistory(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seeked := false
	if st, err := f.Stat(); err == nil && st.Size() > maxHistoryFile {
		if _, err := f.Seek(-maxHistoryFile, io.SeekEnd); err != nil {
			return nil, err
		}
		seeked = true
	}
	data, err := io.ReadAll(io.LimitReader(f, maxHistoryFile))
	if err != nil {
		return nil, err
	}
	if seeked { // the first line is the end of an entry
		_, data, _ = bytes.Cut(data, []byte("\n"))
	}
	var entries []string
	bad := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0:
		case !historyOK(string(line)):
			bad++
		default:
			entries = append(entries, string(line))
		}
	}
	total := len(entries)
	if total > maxHistory {
		entries = entries[total-maxHistory:]
	}
	if total >= 2*maxHistory {
		if err := writeHistory(path, entries); err != nil {
			return entries, fmt.Errorf("compacting: %w", err)
		}
	}
	if bad > 0 {
		return entries, fmt.Errorf("skipped %d unreadable entries", bad)
	}
	return entries, nil
}

// historyOK reports whether s can be a history entry: valid UTF-8, no
// control characters, not too long.
func historyOK(s string) bool {
	if len(s) > maxHistoryEntry || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// appendHistory adds one entry to the file with a single append write.
func appendHistory(path, entry string) error {
	if path == "" || !historyOK(entry) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(entry + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeHistory replaces the file atomically.
func writeHistory(path string, entries []string) error {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return durable.WriteFile(path, []byte(b.String()), 0o600)
}
