package addrbook

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bitclone/bitclone/durable"
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

	// readBufSize is all Load holds of the file at once: longer lines are
	// skipped chunk by chunk, never read whole. It must exceed MaxLineLen.
	readBufSize = 4096
	// minLine is the shortest valid line with its newline: "1.2.3.4:5 0\n".
	minLine = 12
	// maxLinks bounds how many symbolic links Save follows (Linux's ELOOP is 40).
	maxLinks = 40
	// maxBackups bounds the search for a free backup name within one second.
	maxBackups = 100
	// backupInfix names a file moved aside because it could not be read:
	// peers-8088.txt.unreadable-20261128T225500Z.
	backupInfix = ".unreadable-"

	fileHeader = "# bitclone peers file: address last-active-unix-seconds source\n"
)

// File is the peers file at one path and the rule that keeps it safe: what
// could not be read is never overwritten. A file that fails to load (an I/O
// error such as permission denied, no address line in it, or too large to read
// whole) is moved aside, unchanged, to a backup beside it by the next Save,
// which says where in its notes; only then is a new file written. Something
// that is not a regular file (a directory, a device) is never replaced.
// Writes go through symbolic links: the link stays, its target is replaced.
// A File is safe for concurrent use; saves are serialized.
type File struct {
	path string
	open func(name string) (io.ReadCloser, error) // os.Open; tests inject failures
	now  func() time.Time                         // names backups

	mu      sync.Mutex
	checked bool   // Load, or Save's own check, has looked at the file
	unread  string // why the file on disk could not be read; "" = nothing to keep
}

// NewFile returns the peers file at path; nothing is read until Load.
func NewFile(path string) *File {
	return &File{
		path: path,
		open: func(name string) (io.ReadCloser, error) { return os.Open(name) },
		now:  time.Now,
	}
}

// Load reads the peers file and returns at most limit distinct addresses for
// which keep (nil: every address) is true, in file order; a repeated address
// keeps its freshest time. Reading stops once limit are kept, with a warning
// if more of the file is left, so memory stays bounded by limit whatever the
// file's size; limit <= 0 keeps none but still checks the file.
//
// A missing file is not an error: it returns (nil, nil, nil). Bad lines are
// skipped, each reported in warnings as "path:line: problem" with the
// offending text quoted (escaped, so it is safe to print); after MaxWarnings of
// them one summary line counts the rest. Only the first MaxFileSize bytes are
// read, and a line longer than MaxLineLen is skipped without being held in
// memory. err is for I/O errors and for a path that is not a regular file.
// When the file could not be read, a warning says it will be moved aside
// rather than overwritten. An unknown or missing source word gives
// SourcePeersFile.
func (f *File) Load(limit int, keep func(netip.AddrPort) bool) (entries []Entry, warnings []string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.read(limit, keep)
	f.check(r, err)
	if f.unread != "" && !errors.Is(err, errNotRegular) {
		r.warnings = append(r.warnings, fmt.Sprintf("%s: %s; it will not be overwritten: the next save moves it aside, unchanged, to a backup beside it", f.path, f.unread))
	}
	if err != nil {
		err = fmt.Errorf("addrbook: load: %w", err)
	}
	return r.entries, r.warnings, err
}

// Save writes entries to the peers file atomically (see writeFile), through
// a symbolic link if the path is one. If the file on disk could not be read,
// it is first renamed to a backup beside it and a note says where; if it is
// not a regular file, nothing is written and the error says why. Save before
// any Load checks the file first, so an unreadable file is kept either way.
func (f *File) Save(entries []Entry) (notes []string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.checked {
		f.check(f.read(0, nil))
	}
	target, err := resolveLinks(f.path)
	if err != nil {
		return nil, fmt.Errorf("addrbook: save %s: %w", f.path, err)
	}
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist): // nothing there to keep
	case err != nil:
		return nil, fmt.Errorf("addrbook: save %s: %w", f.path, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("addrbook: save: %w", notRegular(target, fi.Mode()))
	case f.unread != "":
		backup, err := f.moveAside(target)
		if err != nil {
			return nil, fmt.Errorf("addrbook: save %s: it could not be read (%s), and moving it aside failed, so nothing was written: %w", f.path, f.unread, err)
		}
		notes = append(notes, fmt.Sprintf("%s could not be read (%s): moved it, unchanged, to %s", target, f.unread, backup))
	}
	f.unread = ""
	return notes, writeFile(target, entries)
}

// check records what reading the file showed: whether a save may replace it.
func (f *File) check(r readResult, err error) {
	f.checked = true
	switch {
	case err != nil:
		f.unread = reason(err)
	case r.cut && !r.full:
		f.unread = fmt.Sprintf("larger than %d MiB: only the first %d MiB were read", MaxFileSize>>20, MaxFileSize>>20)
	case r.valid == 0 && r.lines > 0:
		f.unread = "no address line in it, so perhaps not a peers file"
	default:
		f.unread = ""
	}
}

// reason is an error without the path, which the messages already give.
func reason(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

var errNotRegular = errors.New("not a peers file: it is neither read nor replaced")

func notRegular(path string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s is %s, %w", path, what, errNotRegular)
}

// moveAside renames target to a free name beside it, stamped with the time.
func (f *File) moveAside(target string) (string, error) {
	base := target + backupInfix + f.now().UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		_, err := os.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		if i > maxBackups {
			return "", fmt.Errorf("no free backup name: %s-%d exists", base, maxBackups)
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name, os.Rename(target, name)
}

// resolveLinks follows path while it is a symbolic link and returns the final
// target, which may not exist (a dangling link: the file is created there).
// Relative link targets are joined without cleaning, so ".." means what the
// kernel says it means.
func resolveLinks(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Dir(path) + string(filepath.Separator) + link
		}
		path = link
	}
	return "", fmt.Errorf("more than %d symbolic links", maxLinks)
}

// writeFile writes entries to path atomically: a temp file in the same
// directory is written, fsynced and renamed over path, then the directory is
// fsynced so the rename itself survives a crash. The directory is created
// (0700) if missing; the file is 0600. Entries with an invalid address are
// skipped.
func writeFile(path string, entries []Entry) (err error) {
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
	return durable.SyncDir(dir)
}

// readResult is what one pass over the file found.
type readResult struct {
	entries  []Entry
	warnings []string
	lines    int  // lines that are neither blank nor comments
	valid    int  // of those, lines that gave an address (kept or not)
	full     bool // stopped because limit addresses were kept
	cut      bool // the file goes on past MaxFileSize
}

// read parses the file a line at a time, holding at most readBufSize bytes of
// it and limit entries.
func (f *File) read(limit int, keep func(netip.AddrPort) bool) (r readResult, err error) {
	fi, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if !fi.Mode().IsRegular() {
		return r, notRegular(f.path, fi.Mode())
	}
	rc, err := f.open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	defer rc.Close()

	bad := 0
	warn := func(lineNo int, format string, args ...any) {
		bad++
		if bad <= MaxWarnings {
			r.warnings = append(r.warnings, fmt.Sprintf("%s:%d: ", f.path, lineNo)+fmt.Sprintf(format, args...))
		}
	}
	// A small file needs less room than limit; growing the slice instead
	// would allocate about twice over.
	r.entries = make([]Entry, 0, min(max(limit, 0), int(min(fi.Size(), MaxFileSize)/minLine)+1))
	seen := make(map[netip.AddrPort]int, cap(r.entries)) // address -> index in r.entries
	limited := &io.LimitedReader{R: rc, N: MaxFileSize}
	br := bufio.NewReaderSize(limited, readBufSize)
	for lineNo := 1; ; lineNo++ {
		raw, n, rerr := readLine(br)
		if rerr != nil && rerr != io.EOF {
			err = fmt.Errorf("%s:%d: %w", f.path, lineNo, rerr)
			break
		}
		if rerr == io.EOF && limited.N == 0 {
			r.cut = more(rc)
		}
		if rerr == io.EOF && (n == 0 || r.cut) {
			// The cut almost surely split the last line, and half an
			// address can still parse ("1.2.3.4:80" from "1.2.3.4:8088").
			break
		}
		if raw == nil {
			r.lines++
			warn(lineNo, "line too long (%d bytes)", n)
		} else if line := strings.TrimSpace(string(raw)); line != "" && line[0] != '#' { // TrimSpace also strips a CR
			r.lines++
			e, problem := parseLine(line)
			if problem != "" {
				warn(lineNo, "%s", problem)
			}
			if e.Addr.IsValid() {
				r.valid++
				if i, dup := seen[e.Addr]; dup {
					if e.LastActive.After(r.entries[i].LastActive) {
						r.entries[i].LastActive = e.LastActive
					}
				} else if keep == nil || keep(e.Addr) {
					seen[e.Addr] = len(r.entries)
					r.entries = append(r.entries, e)
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if r.valid > 0 && len(r.entries) >= limit {
			r.full = true
			if _, err := br.Peek(1); err == nil {
				r.warnings = append(r.warnings, fmt.Sprintf("%s: stopped reading at line %d: the address book has room for %d addresses from this file, so the rest of it is not loaded (and not kept at the next save)", f.path, lineNo, len(r.entries)))
			}
			break
		}
	}
	if bad > MaxWarnings {
		r.warnings = append(r.warnings, fmt.Sprintf("%s: %d more bad lines not shown", f.path, bad-MaxWarnings))
	}
	return r, err
}

// readLine returns the next line without its '\n' and its length in bytes
// without the '\n'. A line longer than MaxLineLen is read through to its end a
// buffer at a time and comes back as nil with its full length. err is io.EOF
// for the last line when the file does not end in '\n' (and with n == 0 at
// the end of the file).
func readLine(br *bufio.Reader) (raw []byte, n int, err error) {
	raw, err = br.ReadSlice('\n')
	n = len(raw)
	long := false
	for err == bufio.ErrBufferFull {
		long = true // raw is gone with the next read
		var chunk []byte
		chunk, err = br.ReadSlice('\n')
		n += len(chunk)
	}
	if err == nil {
		n-- // the '\n'
	}
	if long || n > MaxLineLen {
		return nil, n, err
	}
	return raw[:n], n, err
}

// more reports whether r has another byte, to tell a file cut at
// MaxFileSize from one that ends there.
func more(r io.Reader) bool {
	var b [1]byte
	n, _ := io.ReadFull(r, b[:])
	return n == 1
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
