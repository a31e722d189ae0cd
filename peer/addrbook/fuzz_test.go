package addrbook

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the peers file reader: it must never
// panic, every entry it returns must be dialable, and saving what it returned
// and loading that again must give the same entries with no warnings.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "peers.txt")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		entries, _, err := Load(path)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		for _, e := range entries {
			if checkAddr(e.Addr) != nil {
				t.Fatalf("loaded an undialable address %v", e.Addr)
			}
		}
		if err := Save(path, entries); err != nil {
			t.Fatalf("Save: %v", err)
		}
		again, warnings, err := Load(path)
		if err != nil || len(warnings) != 0 {
			t.Fatalf("reloading our own file: %v %q", err, warnings)
		}
		if len(again) != len(entries) {
			t.Fatalf("reloaded %d entries, saved %d", len(again), len(entries))
		}
		for i := range again {
			if again[i].Addr != entries[i].Addr || !again[i].LastActive.Equal(entries[i].LastActive) {
				t.Fatalf("entry %d: saved %+v, reloaded %+v", i, entries[i], again[i])
			}
		}
	})
}
