// Package checkbt holds bitclone check --dialect bt against a real client:
// anacrolix seeding on loopback must pass the report card, so that no
// check fails a peer for what the best software in the field does. What
// anacrolix does that the checks had to allow, seen here: it unchokes a
// peer before it is interested, serves packed requests out of order,
// echoes a wrong info_hash before it looks the torrent up (then closes),
// and resets the connection on a request past the end.
package checkbt

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	checkbt "github.com/bitclone/bitclone/check/bt"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/interop/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// runTimeout bounds the whole run: a deadline for a hang.
const runTimeout = 2 * time.Minute

func TestAnacrolixSeederPasses(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file.bin")
	// 5 pieces of 256 KiB and a short one: blocks of 16 KiB, an oversize
	// request that stays inside a piece.
	if err := harness.WriteRandomFile(file, 5*256<<10+1000, 11); err != nil {
		t.Fatal(err)
	}
	mi, err := harness.MakeTorrent(file, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	torrentFile := filepath.Join(t.TempDir(), "file.torrent")
	if err := harness.WriteTorrentFile(mi, torrentFile); err != nil {
		t.Fatal(err)
	}
	tor, err := metainfo.Load(torrentFile)
	if err != nil {
		t.Fatal(err)
	}
	seeder := harness.NewClient(t, dir)
	defer seeder.Close()
	if _, err := seeder.Seed(ctx, mi); err != nil {
		t.Fatal(err)
	}
	o := checkbt.Options{Options: check.Options{Timeout: 5 * time.Second}, Torrent: tor}
	r, err := checkbt.Run(ctx, seeder.Addr4().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	r.WriteText(&text, checkbt.Names(), checkbt.Settings(o), check.TextOptions{Verbose: true})
	t.Logf("\n%s", text.String())
	for _, oc := range r.Outcomes {
		want := check.Pass
		if oc.Name == "oversize-request" {
			want = check.Warn // anacrolix serves a request of 144 KiB
		}
		if oc.Verdict != want {
			t.Errorf("%s: %s, want %s: %s", oc.Name, oc.Verdict, want, oc.Detail)
		}
	}
	if !r.OK() {
		t.Error("anacrolix does not pass")
	}
}
