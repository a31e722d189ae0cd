package addrbook

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "bitclone") // Save creates it
	path := filepath.Join(dir, "peers-8088.txt")
	in := []Entry{
		{Addr: ap("1.2.3.4:8088"), LastActive: time.Unix(1_700_000_000, 0), Source: SourceGossip},
		{Addr: ap("[::1]:8088"), Source: SourceCommandLine},
		{Addr: ap("[fe80::1%eth0]:9000"), LastActive: time.Unix(1_600_000_000, 0), Source: SourceInbound},
		{Addr: ap("10.0.0.1:1"), LastActive: time.Unix(5, 0), Source: SourceOutbound},
		{Addr: ap("10.0.0.2:2"), Source: SourcePeersFile},
	}
	if err := saveNew(path, in); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# bitclone peers file: address last-active-unix-seconds source\n" +
		"1.2.3.4:8088 1700000000 gossip\n" +
		"[::1]:8088 0 cli\n" +
		"[fe80::1%eth0]:9000 1600000000 inbound\n" +
		"10.0.0.1:1 5 outbound\n" +
		"10.0.0.2:2 0 file\n"
	if string(data) != want {
		t.Errorf("file:\n%s\nwant:\n%s", data, want)
	}

	out, warnings, err := loadAll(path)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Load: err=%v warnings=%q", err, warnings)
	}
	if !slices.EqualFunc(in, out, sameEntry) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}

	if runtime.GOOS != "windows" {
		checkMode(t, path, 0o600)
		checkMode(t, dir, 0o700|os.ModeDir)
	}
}

// loadAll reads path with room for every address.
func loadAll(path string) ([]Entry, []string, error) {
	return NewFile(path).Load(math.MaxInt, nil)
}

// saveNew saves entries to path through a File that has not loaded it.
func saveNew(path string, entries []Entry) error {
	_, err := NewFile(path).Save(entries)
	return err
}

func sameEntry(a, b Entry) bool {
	return a.Addr == b.Addr && a.LastActive.Equal(b.LastActive) && a.Source == b.Source
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

func TestSaveFromBook(t *testing.T) {
	b := New(0)
	b.Learn(ap("10.0.0.1:8088"), sec(-30), SourceGossip, ap("10.0.0.9:8088"), t0)
	b.Learn(ap("10.0.0.2:8088"), time.Time{}, SourceCommandLine, ap("10.0.0.9:8088"), t0)
	b.MarkSuccess(ap("10.0.0.2:8088"), t0.Add(500*time.Millisecond)) // sub-second times truncate
	path := filepath.Join(t.TempDir(), "peers.txt")
	if err := saveNew(path, b.Entries()); err != nil {
		t.Fatal(err)
	}
	out, warnings, err := loadAll(path)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Load: err=%v warnings=%q", err, warnings)
	}
	want := []Entry{
		{Addr: ap("10.0.0.2:8088"), LastActive: t0, Source: SourceCommandLine},
		{Addr: ap("10.0.0.1:8088"), LastActive: sec(-30), Source: SourceGossip},
	}
	if !slices.EqualFunc(out, want, sameEntry) {
		t.Errorf("got %+v, want %+v", out, want)
	}
}

func TestSaveReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.txt")
	if err := os.WriteFile(path, []byte("9.9.9.9:9 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := saveNew(path, []Entry{{Addr: ap("1.2.3.4:8088"), Source: SourceGossip}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), "1.2.3.4:8088 0 gossip\n") || strings.Contains(string(data), "9.9.9.9") {
		t.Errorf("file not replaced:\n%s", data)
	}
	if runtime.GOOS != "windows" {
		checkMode(t, path, 0o600) // the old 0644 file is gone, not rewritten in place
	}
	names := dirNames(t, dir)
	if !slices.Equal(names, []string{"peers.txt"}) {
		t.Errorf("directory holds %v, want only peers.txt (temp file left behind?)", names)
	}
}

func TestSaveErrorLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should go makes the rename fail.
	path := filepath.Join(dir, "peers.txt")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := saveNew(path, []Entry{{Addr: ap("1.2.3.4:8088")}}); err == nil {
		t.Fatal("Save over a non-empty directory succeeded")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"peers.txt"}) {
		t.Errorf("directory holds %v after a failed save", names)
	}

	// A file where the directory should go.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := saveNew(filepath.Join(blocker, "peers.txt"), nil); err == nil {
		t.Error("Save under a regular file succeeded")
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestLoadMissing(t *testing.T) {
	entries, warnings, err := loadAll(filepath.Join(t.TempDir(), "nope", "peers.txt"))
	if entries != nil || warnings != nil || err != nil {
		t.Errorf("loadAll(missing) = %v, %v, %v; want nil, nil, nil", entries, warnings, err)
	}
}

func TestLoadDirectoryIsAnError(t *testing.T) {
	if _, _, err := loadAll(t.TempDir()); err == nil {
		t.Error("Load(directory) succeeded")
	}
}

func TestLoadCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.txt")
	lines := []string{
		"# bitclone peers file: address last-active-unix-seconds source", // 1
		"1.2.3.4:8088 1700000000 gossip",                                 // 2 good
		"",                                                               // 3 blank
		"   # indented comment",                                          // 4
		"x 1700000000",                                                   // 5 bad address
		"1.2.3.5:8088 soon",                                              // 6 bad number
		"1.2.3.6:8088 -5",                                                // 7 negative
		"1.2.3.7:8088 99999999999999999999",                              // 8 overflows int64
		"\x7fELF\x02\x01\x01\x00\x00\x00\x00\xff\xfe",                    // 9 binary junk
		"1.2.3.8:80\x0088 0",                                             // 10 NUL inside the address
		"10.0.0.1:8088 0 cli\r",                                          // 11 good, CRLF
		strings.Repeat("9", MaxLineLen+1),                                // 12 overlong
		"10.0.0.2:8088",                                                  // 13 too few fields
		"10.0.0.3:8088 1 gossip extra",                                   // 14 too many fields
		"\t[::1]:9000\t42  ",                                             // 15 good, odd spacing, no source
		"10.0.0.4:8088 7 martian",                                        // 16 unknown source: kept
		"0.0.0.0:8088 0",                                                 // 17 unspecified
		"10.0.0.5:0 0",                                                   // 18 port 0
		"10.0.0.6 0",                                                     // 19 no port
		"[::ffff:10.0.0.7]:8088 3 inbound",                               // 20 good, unmapped
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil { // no final newline
		t.Fatal(err)
	}
	entries, warnings, err := loadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Addr: ap("1.2.3.4:8088"), LastActive: time.Unix(1_700_000_000, 0), Source: SourceGossip},
		{Addr: ap("10.0.0.1:8088"), Source: SourceCommandLine},
		{Addr: ap("[::1]:9000"), LastActive: time.Unix(42, 0), Source: SourcePeersFile},
		{Addr: ap("10.0.0.4:8088"), LastActive: time.Unix(7, 0), Source: SourcePeersFile},
		{Addr: ap("10.0.0.7:8088"), LastActive: time.Unix(3, 0), Source: SourceInbound},
	}
	if !slices.EqualFunc(entries, want, sameEntry) {
		t.Errorf("entries:\n got %+v\nwant %+v", entries, want)
	}
	wantWarn := []string{
		`:5: bad address "x": `,
		`:6: bad last-active "soon": want unix seconds`,
		`:7: bad last-active "-5": want unix seconds`,
		`:8: bad last-active "99999999999999999999": want unix seconds`,
		`:9: want "address last-active [source]", got "\x7fELF\x02\x01\x01\x00\x00\x00\x00\xff\xfe"`,
		`:10: bad address "1.2.3.8:80\x0088": `,
		fmt.Sprintf(`:12: line too long (%d bytes)`, MaxLineLen+1),
		`:13: want "address last-active [source]", got "10.0.0.2:8088"`,
		`:14: want "address last-active [source]", got "10.0.0.3:8088 1 gossip extra"`,
		`:16: unknown source "martian"; using "file"`,
		`:17: bad address "0.0.0.0:8088": unspecified IP`,
		`:18: bad address "10.0.0.5:0": port 0`,
		`:19: bad address "10.0.0.6": `,
	}
	if len(warnings) != len(wantWarn) {
		t.Fatalf("got %d warnings, want %d:\n%s", len(warnings), len(wantWarn), strings.Join(warnings, "\n"))
	}
	for i, w := range warnings {
		if !strings.HasPrefix(w, path+wantWarn[i]) {
			t.Errorf("warning %d = %q\n     want prefix %q", i, w, path+wantWarn[i])
		}
	}
}

func TestLoadWarningCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.txt")
	var buf bytes.Buffer
	const bad = MaxWarnings + 15
	for i := range bad {
		fmt.Fprintf(&buf, "bad%d 0\n", i)
	}
	buf.WriteString("1.2.3.4:8088 0\n")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, warnings, err := loadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("got %d entries, want 1", len(entries))
	}
	if len(warnings) != MaxWarnings+1 {
		t.Fatalf("got %d warnings, want %d", len(warnings), MaxWarnings+1)
	}
	if want := fmt.Sprintf("%s: 15 more bad lines not shown", path); warnings[MaxWarnings] != want {
		t.Errorf("summary = %q, want %q", warnings[MaxWarnings], want)
	}
}

func TestLoadSizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.txt")
	var buf bytes.Buffer
	for i := 0; buf.Len() <= MaxFileSize+1000; i++ {
		fmt.Fprintf(&buf, "10.%d.%d.%d:8088 1700000000 gossip\n", i>>16&255, i>>8&255, i&255)
	}
	data := buf.Bytes()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	entries, warnings, err := loadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "larger than 4 MiB") || !strings.Contains(warnings[0], "moves it aside") {
		t.Errorf("warnings = %q, want one about the size and the backup", warnings)
	}
	// Only whole lines inside the first MaxFileSize bytes count; the line the
	// cut went through is dropped rather than read as a shorter address.
	if data[MaxFileSize-1] == '\n' {
		t.Fatal("test data: the cut falls on a line boundary; adjust the line format")
	}
	wantN := bytes.Count(data[:MaxFileSize], []byte{'\n'})
	if len(entries) != wantN {
		t.Errorf("got %d entries, want %d", len(entries), wantN)
	}
	lastLine := string(data[:MaxFileSize])
	lastLine = lastLine[:strings.LastIndexByte(lastLine, '\n')]
	lastLine = lastLine[strings.LastIndexByte(lastLine, '\n')+1:]
	if got := entries[len(entries)-1].Addr.String() + " 1700000000 gossip"; got != lastLine {
		t.Errorf("last entry %q, want %q", got, lastLine)
	}
}

func TestDefaultPath(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	got, err := DefaultPath(8088)
	if want := filepath.Join(state, "bitclone", "peers-8088.txt"); err != nil || got != want {
		t.Errorf("DefaultPath = %q, %v; want %q", got, err, want)
	}

	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return // the home directory comes from other variables there
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	want := filepath.Join(home, ".local", "state", "bitclone", "peers-9000.txt")
	for _, xdg := range []string{"", "relative/state"} {
		t.Setenv("XDG_STATE_HOME", xdg)
		if got, err := DefaultPath(9000); err != nil || got != want {
			t.Errorf("XDG_STATE_HOME=%q: DefaultPath = %q, %v; want %q", xdg, got, err, want)
		}
	}

	t.Setenv("HOME", "")
	if got, err := DefaultPath(9000); err == nil {
		t.Errorf("no XDG_STATE_HOME and no HOME: DefaultPath = %q, want an error", got)
	}

	t.Setenv("XDG_STATE_HOME", state)
	for _, port := range []int{0, -1, 65536} {
		if got, err := DefaultPath(port); err == nil {
			t.Errorf("DefaultPath(%d) = %q, want an error", port, got)
		}
	}
}

// stamp is the clock the keep-the-original tests give a File, so backups
// have a known name.
var stamp = time.Date(2026, 11, 28, 22, 55, 0, 0, time.UTC)

const stampedBackup = ".unreadable-20261128T225500Z"

// TestSaveKeepsWhatItCouldNotRead: a file that failed to load, or had no
// address line in it, is moved aside unchanged by the next save, never
// overwritten, and the note says where it went.
func TestSaveKeepsWhatItCouldNotRead(t *testing.T) {
	binary := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\n\x00\x01\x02\xff\xfe\xfd\n\x89PNG\r\n\x1a\n")
	for i := range 4096 {
		binary = append(binary, byte(i*7))
	}
	cases := []struct {
		name     string
		data     []byte
		deny     bool   // opening fails with permission denied
		loadWarn string // what Load says (in a warning, or its error)
		reason   string // in Save's note
	}{
		{"permission denied", []byte("1.2.3.4:8088 0\n"), true, "permission denied", "(permission denied)"},
		{"binary", binary, false, "no address line in it", "(no address line in it, so perhaps not a peers file)"},
		{"one 10 MB line", bytes.Repeat([]byte("x"), 10<<20), false, "larger than 4 MiB", "(larger than 4 MiB: only the first 4 MiB were read)"},
		{"one 1 MB line", bytes.Repeat([]byte("1"), 1<<20), false, "line too long (1048576 bytes)", "(no address line in it"},
		{"some other file", []byte("# ~/.profile\nexport PATH=$HOME/bin:$PATH\nalias ll='ls -l'\n"), false, "no address line in it", "(no address line in it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "peers.txt")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			f := NewFile(path)
			f.now = func() time.Time { return stamp }
			if tc.deny {
				// Tests run as root, which chmod 000 does not stop, so
				// the open itself is made to fail.
				f.open = func(name string) (io.ReadCloser, error) {
					return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
				}
			}
			entries, warnings, err := f.Load(DefaultMaxEntries, nil)
			if len(entries) != 0 {
				t.Errorf("loaded %d entries", len(entries))
			}
			said := strings.Join(warnings, "\n")
			if err != nil {
				said += "\n" + err.Error()
			}
			if !strings.Contains(said, tc.loadWarn) || !strings.Contains(said, "will not be overwritten") {
				t.Errorf("Load said %q, want %q and that the file will not be overwritten", said, tc.loadWarn)
			}

			notes, err := f.Save([]Entry{{Addr: ap("1.2.3.4:8088"), Source: SourceGossip}})
			if err != nil {
				t.Fatal(err)
			}
			backup := path + stampedBackup
			if len(notes) != 1 || !strings.Contains(notes[0], tc.reason) || !strings.HasSuffix(notes[0], "moved it, unchanged, to "+backup) {
				t.Errorf("notes = %q, want one saying %q and where the file went", notes, tc.reason)
			}
			if kept, err := os.ReadFile(backup); err != nil || !bytes.Equal(kept, tc.data) {
				t.Errorf("backup %s: %d bytes, err %v; want the original %d bytes", backup, len(kept), err, len(tc.data))
			}
			if saved, _, err := loadAll(path); err != nil || len(saved) != 1 {
				t.Errorf("new file: %v, %v; want the one saved entry", saved, err)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"peers.txt", "peers.txt" + stampedBackup}) {
				t.Errorf("directory holds %v", names)
			}

			// The new file is ours: the next save replaces it in place.
			if notes, err := f.Save(nil); err != nil || len(notes) != 0 {
				t.Errorf("second save: notes %q, err %v", notes, err)
			}
			if names := dirNames(t, dir); len(names) != 2 {
				t.Errorf("after the second save the directory holds %v", names)
			}
		})
	}
}

func TestSaveBeforeLoadChecksTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.txt")
	data := []byte("not a peers file\n")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f := NewFile(path)
	f.now = func() time.Time { return stamp }
	notes, err := f.Save(nil)
	if err != nil || len(notes) != 1 {
		t.Fatalf("Save = %q, %v; want a note about the backup", notes, err)
	}
	if kept, err := os.ReadFile(path + stampedBackup); err != nil || !bytes.Equal(kept, data) {
		t.Errorf("backup = %q, %v; want %q", kept, err, data)
	}
}

func TestSaveFindsAFreeBackupName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.txt")
	for _, name := range []string{"peers.txt" + stampedBackup, "peers.txt" + stampedBackup + "-2"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := NewFile(path)
	f.now = func() time.Time { return stamp }
	if _, err := f.Save(nil); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"peers.txt" + stampedBackup:        "peers.txt" + stampedBackup,
		"peers.txt" + stampedBackup + "-2": "peers.txt" + stampedBackup + "-2",
		"peers.txt" + stampedBackup + "-3": "junk",
	} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestNotARegularFileIsNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.txt")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	f := NewFile(path)
	_, _, err := f.Load(DefaultMaxEntries, nil)
	if err == nil || !strings.Contains(err.Error(), "is a directory, not a peers file") {
		t.Errorf("Load: %v", err)
	}
	_, err = f.Save([]Entry{{Addr: ap("1.2.3.4:8088")}})
	if err == nil || !strings.Contains(err.Error(), "is a directory, not a peers file: it is neither read nor replaced") {
		t.Errorf("Save: %v", err)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.IsDir() {
		t.Errorf("the directory is gone: %v", err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"peers.txt"}) {
		t.Errorf("directory holds %v", names)
	}
}

// TestSaveWritesThroughSymlinks: the link stays a link and its target is
// replaced, through chains and relative targets; a dangling link gets its
// target created; a loop is an error that changes nothing.
func TestSaveWritesThroughSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "sync", "peers.txt")
	if err := os.Mkdir(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("9.9.9.9:9 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustLink(t, "sync/peers.txt", filepath.Join(dir, "hop"))                // relative
	mustLink(t, filepath.Join(dir, "hop"), filepath.Join(dir, "peers.txt")) // absolute, to a link
	path := filepath.Join(dir, "peers.txt")

	f := NewFile(path)
	if got, _, err := f.Load(DefaultMaxEntries, nil); err != nil || len(got) != 1 || got[0].Addr != ap("9.9.9.9:9") {
		t.Fatalf("Load through the links = %v, %v", got, err)
	}
	if notes, err := f.Save([]Entry{{Addr: ap("1.2.3.4:8088")}}); err != nil || len(notes) != 0 {
		t.Fatalf("Save = %q, %v", notes, err)
	}
	checkLink(t, path, filepath.Join(dir, "hop"))
	checkLink(t, filepath.Join(dir, "hop"), "sync/peers.txt")
	if data, err := os.ReadFile(real); err != nil || !strings.HasSuffix(string(data), "\n1.2.3.4:8088 0\n") {
		t.Errorf("target = %q, %v; want the saved entry", data, err)
	}
	if names := dirNames(t, filepath.Dir(real)); !slices.Equal(names, []string{"peers.txt"}) {
		t.Errorf("target directory holds %v", names)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"hop", "peers.txt", "sync"}) {
		t.Errorf("link directory holds %v", names)
	}

	t.Run("dangling", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "peers.txt")
		mustLink(t, "state/peers-8088.txt", path)
		f := NewFile(path)
		if got, warnings, err := f.Load(DefaultMaxEntries, nil); got != nil || warnings != nil || err != nil {
			t.Errorf("Load(dangling) = %v, %q, %v; want nothing, as for a missing file", got, warnings, err)
		}
		if _, err := f.Save([]Entry{{Addr: ap("1.2.3.4:8088")}}); err != nil {
			t.Fatal(err)
		}
		checkLink(t, path, "state/peers-8088.txt")
		if got, _, err := loadAll(path); err != nil || len(got) != 1 {
			t.Errorf("reload = %v, %v", got, err)
		}
	})

	t.Run("loop", func(t *testing.T) {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		mustLink(t, "b", a)
		mustLink(t, "a", b)
		f := NewFile(a)
		if _, _, err := f.Load(DefaultMaxEntries, nil); err == nil {
			t.Error("Load through a loop succeeded")
		}
		if _, err := f.Save(nil); err == nil || !strings.Contains(err.Error(), "symbolic links") {
			t.Errorf("Save through a loop: %v", err)
		}
		checkLink(t, a, "b")
		checkLink(t, b, "a")
	})
}

func mustLink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func checkLink(t *testing.T, link, want string) {
	t.Helper()
	got, err := os.Readlink(link)
	if err != nil || got != want {
		t.Errorf("%s: link to %q, %v; want a link to %q", link, got, err, want)
	}
}

// bigPeersFile writes size bytes of valid, distinct lines after the header.
func bigPeersFile(t testing.TB, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "peers.txt")
	buf := make([]byte, 0, size+64)
	buf = append(buf, fileHeader...)
	for i := 0; len(buf) < size; i++ {
		buf = fmt.Appendf(buf, "10.%d.%d.%d:8088 1700000000 gossip\n", i>>16&255, i>>8&255, i&255)
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// allocated is how many bytes the heap gave out while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxLoadAlloc bounds what loading a full book may allocate: the entries,
// their index and one read buffer, nowhere near the 4 MiB the reader used to
// hold (let alone the file).
const maxLoadAlloc = 1 << 20

func TestLoadStopsWhenTheBookIsFull(t *testing.T) {
	path := bigPeersFile(t, 20<<20)
	var entries []Entry
	var warnings []string
	var err error
	used := allocated(func() { entries, warnings, err = NewFile(path).Load(DefaultMaxEntries, nil) })
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != DefaultMaxEntries || entries[DefaultMaxEntries-1].Addr != ap("10.0.7.255:8088") {
		t.Errorf("got %d entries, want the first %d", len(entries), DefaultMaxEntries)
	}
	want := fmt.Sprintf("%s: stopped reading at line %d: the address book has room for %d addresses", path, DefaultMaxEntries+1, DefaultMaxEntries)
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", warnings, want)
	}
	t.Logf("Load of a 20 MiB file into a %d-entry book allocated %d KiB", DefaultMaxEntries, used>>10)
	if used > maxLoadAlloc {
		t.Errorf("Load allocated %d KiB, want at most %d KiB", used>>10, maxLoadAlloc>>10)
	}

	// A book that was full when the file ended is not "stopped".
	exact := filepath.Join(t.TempDir(), "peers.txt")
	if err := writeFile(exact, entries[:10]); err != nil {
		t.Fatal(err)
	}
	if got, warnings, err := NewFile(exact).Load(10, nil); len(got) != 10 || warnings != nil || err != nil {
		t.Errorf("file of exactly max entries: %d entries, %q, %v", len(got), warnings, err)
	}
}

func TestLoadLongLineInBoundedMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.txt")
	line := bytes.Repeat([]byte("7"), 3<<20) // under MaxFileSize, so read to its end
	if err := os.WriteFile(path, append(line, "\n1.2.3.4:8088 0\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	var warnings []string
	// A small book, so that what is measured is the line, not room for entries.
	used := allocated(func() { entries, warnings, _ = NewFile(path).Load(16, nil) })
	if len(entries) != 1 || len(warnings) != 1 || !strings.HasSuffix(warnings[0], fmt.Sprintf(":1: line too long (%d bytes)", len(line))) {
		t.Errorf("entries %v, warnings %q", entries, warnings)
	}
	t.Logf("Load past a 3 MiB line allocated %d KiB", used>>10)
	if used > 64<<10 {
		t.Errorf("Load allocated %d KiB, want at most 64 KiB", used>>10)
	}
}

func TestLoadKeepsDistinctWantedAddresses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.txt")
	content := "10.0.0.1:1 100\n" +
		"10.0.0.2:2 0\n" + // not wanted
		"10.0.0.1:1 300\n" + // fresher duplicate: updates, does not count
		"10.0.0.1:1 200\n" + // staler duplicate
		"10.0.0.3:3 0\n" +
		"10.0.0.4:4 0\n" // past max
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	keep := func(a netip.AddrPort) bool { return a != ap("10.0.0.2:2") }
	entries, warnings, err := NewFile(path).Load(2, keep)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Addr: ap("10.0.0.1:1"), LastActive: time.Unix(300, 0), Source: SourcePeersFile},
		{Addr: ap("10.0.0.3:3"), Source: SourcePeersFile},
	}
	if !slices.EqualFunc(entries, want, sameEntry) {
		t.Errorf("got %+v, want %+v", entries, want)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stopped reading at line 5") {
		t.Errorf("warnings = %q", warnings)
	}
}
