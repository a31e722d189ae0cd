package addrbook

import (
	"bytes"
	"fmt"
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
	if err := Save(path, in); err != nil {
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

	out, warnings, err := Load(path)
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
	if err := Save(path, b.Entries()); err != nil {
		t.Fatal(err)
	}
	out, warnings, err := Load(path)
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
	if err := os.WriteFile(path, []byte("old contents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, []Entry{{Addr: ap("1.2.3.4:8088"), Source: SourceGossip}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), "1.2.3.4:8088 0 gossip\n") || strings.Contains(string(data), "old") {
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
	if err := Save(path, []Entry{{Addr: ap("1.2.3.4:8088")}}); err == nil {
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
	if err := Save(filepath.Join(blocker, "peers.txt"), nil); err == nil {
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
	entries, warnings, err := Load(filepath.Join(t.TempDir(), "nope", "peers.txt"))
	if entries != nil || warnings != nil || err != nil {
		t.Errorf("Load(missing) = %v, %v, %v; want nil, nil, nil", entries, warnings, err)
	}
}

func TestLoadDirectoryIsAnError(t *testing.T) {
	if _, _, err := Load(t.TempDir()); err == nil {
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
	entries, warnings, err := Load(path)
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
	entries, warnings, err := Load(path)
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
	entries, warnings, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "larger than 4 MiB") {
		t.Errorf("warnings = %q, want one about the size", warnings)
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
