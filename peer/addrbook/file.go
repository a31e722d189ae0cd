package addrbook

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const (
	// MaxFileSize is how much of a peers file Load reads; 2048 entries take
	// about 80 KiB, so anything near this is not ours.
	MaxFileSize = 4 << 20
	// MaxLineLen bounds one line; the longest valid line (a zoned IPv6
	// address, a 19-digit time and a source word) is well under 128 bytes.
	MaxLineLen = 512
	// MaxWarnings is how many bad lines Load reports one by one before it
	// sums up the rest.
	MaxWarnings = 20

	fileHeader = "# bitclone peers file: address last-active-unix-seconds source\n"
)

// Save writes entries to path atomically: a temp file in the same directory is
// written, fsynced and renamed over path, then the directory is fsynced so the
// rename itself survives a crash. The directory is created (0700) if missing;
// the file is 0600. Entries with an invalid address are skipped.
func Save(path string, entries []Entry) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("addrbook: save: %w", err)
	}
	// CreateTemp makes the file 0600, so peers never leak through a
	// world-readable window.
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("addrbook: save: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("addrbook: save %s: %w", path, err)
		}
	}()

	w := bufio.NewWriter(f)
	w.WriteString(fileHeader)
	for _, e := range entries {
		if !e.Addr.IsValid() {
			continue
		}
		var secs int64
		if !e.LastActive.IsZero() && e.LastActive.Unix() > 0 {
			secs = e.LastActive.Unix()
		}
		line := e.Addr.String() + " " + strconv.FormatInt(secs, 10)
		if e.Source.known() { // else leave it out: Load defaults it
			line += " " + e.Source.String()
		}
		w.WriteString(line + "\n")
	}
	if err := w.Flush(); err != nil { // reports any earlier write error too
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot fsync a directory and
// its renames need no help.
func syncDir(dir string) error {
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

// Load reads a peers file. A missing file is not an error: it returns
// (nil, nil, nil). Bad lines are skipped, each reported in warnings as
// "path:line: problem" with the offending text quoted (escaped, so it is safe
// to print); after MaxWarnings of them one summary line counts the rest. A
// file larger than MaxFileSize is read only that far, with a warning. err is
// only for real I/O errors. Entries come back as written (Addr, LastActive,
// Source; an unknown or missing source word gives SourcePeersFile), in file
// order, duplicates included: Learn sorts them out.
func Load(path string) (entries []Entry, warnings []string, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("addrbook: load: %w", err)
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("addrbook: load %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		warnings = append(warnings, fmt.Sprintf("%s: larger than %d MiB; read only the first %d MiB", path, MaxFileSize>>20, MaxFileSize>>20))
		// The cut almost surely split a line, and half an address can still
		// parse ("1.2.3.4:80" from "1.2.3.4:8088"), so drop the tail.
		data = data[:MaxFileSize]
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		} else {
			data = nil
		}
	}

	bad := 0
	warn := func(lineNo int, format string, args ...any) {
		bad++
		if bad <= MaxWarnings {
			warnings = append(warnings, fmt.Sprintf("%s:%d: ", path, lineNo)+fmt.Sprintf(format, args...))
		}
	}
	for lineNo := 1; len(data) > 0; lineNo++ {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		if len(raw) > MaxLineLen {
			warn(lineNo, "line too long (%d bytes)", len(raw))
			continue
		}
		line := strings.TrimSpace(string(raw)) // also strips a CR from CRLF files
		if line == "" || line[0] == '#' {
			continue
		}
		e, problem := parseLine(line)
		if problem != "" {
			warn(lineNo, "%s", problem)
			if !e.Addr.IsValid() {
				continue
			}
		}
		entries = append(entries, e)
	}
	if bad > MaxWarnings {
		warnings = append(warnings, fmt.Sprintf("%s: %d more bad lines not shown", path, bad-MaxWarnings))
	}
	return entries, warnings, nil
}

// parseLine parses "address last-active [source]". A problem with a valid
// Addr in the entry is a warning only: the line is still used.
func parseLine(line string) (e Entry, problem string) {
	fields := strings.Fields(line)
	if len(fields) < 2 || len(fields) > 3 {
		return Entry{}, fmt.Sprintf("want \"address last-active [source]\", got %q", short(line))
	}
	addr, err := parseAddr(fields[0])
	if err != nil {
		return Entry{}, fmt.Sprintf("bad address %q: %v", short(fields[0]), err)
	}
	secs, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || secs < 0 {
		return Entry{}, fmt.Sprintf("bad last-active %q: want unix seconds", short(fields[1]))
	}
	e = Entry{Addr: addr, Source: SourcePeersFile}
	if secs > 0 {
		e.LastActive = time.Unix(secs, 0)
	}
	if len(fields) == 3 {
		src, err := ParseSource(fields[2])
		if err != nil {
			return e, fmt.Sprintf("unknown source %q; using %q", short(fields[2]), SourcePeersFile)
		}
		e.Source = src
	}
	return e, ""
}

func parseAddr(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, err
	}
	if err := checkAddr(ap); err != nil {
		return netip.AddrPort{}, err
	}
	return normalize(ap), nil
}

// short trims untrusted text for a warning; the caller quotes it.
func short(s string) string {
	const n = 64
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// DefaultPath returns the default peers file for a listening port:
// $XDG_STATE_HOME/bitclone/peers-<port>.txt, or ~/.local/state/bitclone/... when
// XDG_STATE_HOME is unset or relative (the XDG spec says to ignore relative
// values). One file per port lets several local nodes run without clobbering
// each other's file, so port must be 1-65535: port 0 would be shared.
func DefaultPath(port int) (string, error) {
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("addrbook: no default peers file for port %d", port)
	}
	name := filepath.Join("bitclone", fmt.Sprintf("peers-%d.txt", port))
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, name), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("addrbook: no default peers file: %w", err)
	}
	return filepath.Join(home, ".local", "state", name), nil
}
