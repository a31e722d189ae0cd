package addrbook

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the peers file reader: it must never
// panic, every entry it returns must be dialable, saving what it returned and
// loading that again must give the same entries with no warnings, and a file
// the save did not keep in place must survive byte for byte as the backup.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "peers.txt")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		file := NewFile(path)
		entries, _, err := file.Load(DefaultMaxEntries, nil)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		for _, e := range entries {
			if checkAddr(e.Addr) != nil {
				t.Fatalf("loaded an undialable address %v", e.Addr)
			}
		}
		notes, err := file.Save(entries)
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		backups, _ := filepath.Glob(path + backupInfix + "*")
		if len(notes) != len(backups) {
			t.Fatalf("notes %q, backups %q", notes, backups)
		}
		for _, b := range backups {
			kept, err := os.ReadFile(b)
			if err != nil || !bytes.Equal(kept, data) {
				t.Fatalf("backup %s differs from the file (err %v)", b, err)
			}
			os.Remove(b)
		}
		again, warnings, err := NewFile(path).Load(DefaultMaxEntries, nil)
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
