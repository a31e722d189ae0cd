package bt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bitclone/bitclone/check"
	btpeer "github.com/bitclone/bitclone/peer/bittorrent"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// bitclone's own BitTorrent peer, seeding, passes its own report card:
// the suite and the peer were written apart, from the spec.
func TestBitcloneBTPeerPasses(t *testing.T) {
	data := testFile()
	tor := testTorrent(t, data)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := btpeer.New(btpeer.Config{Torrent: tor, Dir: dir, ListenHost: "127.0.0.1", NoMessageEvents: true})
	n, _ = nodetest.Start(t, n, err)

	r, text := runSuite(t, n.Addr().String(), fastOptions(tor))
	for _, oc := range r.Outcomes {
		if oc.Verdict != check.Pass {
			t.Errorf("%s: %s: %s", oc.Name, oc.Verdict, oc.Detail)
		}
	}
	if !r.OK() || len(r.Outcomes) != len(Names()) {
		t.Errorf("report:\n%s", text)
	}
}
