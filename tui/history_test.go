package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer/bitclone"
)

// runCmds runs the commands a key press returned that write history (the
// others read the node or wait on timers, and are not wanted here).
func runCmds(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	switch msg := runWithTimeout(t, cmd).(type) {
	case historyErrMsg:
		m.Update(msg)
	case tea.BatchMsg:
		for _, c := range msg {
			runCmds(t, m, c)
		}
	}
}

func TestHistoryBrowsing(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	for _, line := range []string{"ping|1", "ping|2", "ping|2", "getaddr"} {
		typeText(m, line)
		press(m, "enter")
	}
	if !slices.Equal(m.cmd.hist, []string{"ping|1", "ping|2", "getaddr"}) {
		t.Fatalf("history %q: a repeat must not be kept twice", m.cmd.hist)
	}
	typeText(m, "draft")
	steps := []struct{ key, want string }{
		{"up", "getaddr"}, {"up", "ping|2"}, {"up", "ping|1"}, {"up", "ping|1"},
		{"down", "ping|2"}, {"down", "getaddr"}, {"down", "draft"}, {"down", "draft"},
	}
	for _, s := range steps {
		press(m, s.key)
		if got := m.cmd.value(); got != s.want {
			t.Fatalf("after %s: %q, want %q", s.key, got, s.want)
		}
	}
}

// History is kept across runs in the file, appended one entry at a time.
func TestHistoryPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "bitclone", "history")
	node := newFake()
	m := New(node, Options{Dialect: bitclone.Dialect, HistoryFile: path})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, line := range []string{"ping|1", ":save", "@127.0.0.1:8082 getaddr"} {
		typeText(m, line)
		runCmds(t, m, press(m, "enter"))
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "ping|1\n:save\n@127.0.0.1:8082 getaddr\n" {
		t.Fatalf("history file %q, %v", data, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v", st.Mode().Perm())
	}

	m = New(node, Options{Dialect: bitclone.Dialect, HistoryFile: path})
	press(m, "up")
	if m.cmd.value() != "@127.0.0.1:8082 getaddr" {
		t.Errorf("the next run's history starts with %q", m.cmd.value())
	}
}

// A corrupt or unreadable history file is reported, never fatal.
func TestHistoryCorruptOrUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history")
	os.WriteFile(path, []byte("ping|1\n\x00\x1b[2J\xff\xfe\n\n"+strings.Repeat("x", maxHistoryEntry+1)+"\ngetaddr\n"), 0o600)
	m := New(newFake(), Options{Dialect: bitclone.Dialect, HistoryFile: path})
	if !slices.Equal(m.cmd.hist, []string{"ping|1", "getaddr"}) {
		t.Errorf("history %q from a corrupt file", m.cmd.hist)
	}
	if e := m.log.ring.get(m.log.ring.next - 1); e == nil || !strings.Contains(e.text, "skipped 2 unreadable entries") {
		t.Errorf("no warning for the corrupt entries: %+v", e)
	}

	m = New(newFake(), Options{Dialect: bitclone.Dialect, HistoryFile: dir}) // a directory: unreadable as a file
	if len(m.cmd.hist) != 0 {
		t.Errorf("history %q from a directory", m.cmd.hist)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	typeText(m, "ping|1")
	runCmds(t, m, press(m, "enter"))
	if !strings.Contains(screen(m), "warning: history "+dir) {
		t.Errorf("a failed write is not reported:\n%s", screen(m))
	}
}

// The file is bounded: once it has twice maxHistory entries it is
// rewritten with the newest maxHistory, atomically.
func TestHistoryCompacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	var b strings.Builder
	for i := range 2 * maxHistory {
		fmt.Fprintf(&b, "ping|%d\n", i)
	}
	os.WriteFile(path, []byte(b.String()), 0o600)
	entries, err := loadHistory(path)
	if err != nil || len(entries) != maxHistory || entries[0] != fmt.Sprintf("ping|%d", maxHistory) {
		t.Fatalf("%d entries from %q, %v", len(entries), entries[0], err)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != maxHistory {
		t.Errorf("compacted file has %d entries", n)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".history-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
