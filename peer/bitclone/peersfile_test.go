package bitclone

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// TestUnreadablePeersFileSurvivesSaves: a node started on a peers file it
// could not read keeps the original through :save and shutdown, moved aside
// unchanged, and says where it went; the next start reads the new file.
func TestUnreadablePeersFileSurvivesSaves(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"binary", []byte("\x7fELF\x02\x01\x01\x00\n\x00\xff\xfe\n\x89PNG\r\n\x1a\n")},
		{"one long line", bytes.Repeat([]byte("x"), 5<<20)},
		{"some other file", []byte("[user]\n\tname = Ada\n\temail = ada@example.org\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := peersFileIn(t, "peers.txt")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			synctest.Test(t, func(t *testing.T) {
				pn := startPipeNode(t, Config{PeersFile: path, Seeds: []netip.AddrPort{mustAddr("127.0.0.9:7000")}, Target: 1, RetryBase: time.Hour})
				synctest.Wait()
				if !pn.hasEvent(peer.KindWarn, "will not be overwritten") {
					t.Errorf("no warning that the file is kept: %q", pn.eventTexts(peer.KindWarn))
				}
				if err := pn.Do(peer.Command{Op: peer.OpSave}); err != nil {
					t.Fatalf(":save: %v", err)
				}
				synctest.Wait() // for the events
				backups, _ := filepath.Glob(path + ".unreadable-*")
				if len(backups) != 1 || !pn.hasEvent(peer.KindWarn, "moved it, unchanged, to "+backups[0]) {
					t.Errorf("backups %q; warnings %q; want one backup, named in the log", backups, pn.eventTexts(peer.KindWarn))
				}
				pn.stop() // saves again
			})
			backups, _ := filepath.Glob(path + ".unreadable-*")
			if len(backups) != 1 {
				t.Fatalf("backups %q, want one", backups)
			}
			if kept, err := os.ReadFile(backups[0]); err != nil || !bytes.Equal(kept, tc.data) {
				t.Errorf("backup %s: %d bytes, %v; want the original %d bytes", backups[0], len(kept), err, len(tc.data))
			}
			if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), "127.0.0.9:7000 0 cli") {
				t.Errorf("new peers file = %q, %v; want the book", data, err)
			}
		})
	}
}

func TestPeersFileDirectoryIsLeftAlone(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PeersFile: path, Target: 1, RetryBase: time.Hour})
		synctest.Wait()
		if !pn.hasEvent(peer.KindError, "is a directory, not a peers file") {
			t.Errorf("errors: %q", pn.eventTexts(peer.KindError))
		}
		if err := pn.Do(peer.Command{Op: peer.OpSave}); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf(":save = %v, want an error naming the directory", err)
		}
		pn.stop()
	})
	if des, err := os.ReadDir(path); err != nil || len(des) != 0 {
		t.Errorf("directory changed: %v, %v", des, err)
	}
	if names, _ := filepath.Glob(path + "*"); len(names) != 1 {
		t.Errorf("beside the directory: %q", names)
	}
}

// TestSaveBeforeRunKeepsPeersFile: commands work before Run, but the book
// does not hold the file's addresses yet, so :save must not write it.
func TestSaveBeforeRunKeepsPeersFile(t *testing.T) {
	path := peersFileIn(t, "peers.txt")
	data := []byte("127.0.0.5:7000 946000000 gossip\n")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	n := New(Config{PeersFile: path})
	if err := n.Do(peer.Command{Op: peer.OpSave}); err == nil || !strings.Contains(err.Error(), "not been read yet") {
		t.Errorf(":save before Run = %v, want a refusal", err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
		t.Errorf("peers file = %q, %v; want it untouched", got, err)
	}
}
