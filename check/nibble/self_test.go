package nibble

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitclone/bitclone/check"
	nibblepeer "github.com/bitclone/bitclone/peer/nibble"
)

// bitclone's own NibbleTorrent peer, seeding, passes its own report card:
// the suite and the peer were written apart, from the spec.
func TestBitcloneNibblePeerPasses(t *testing.T) {
	data := testFile()
	tor := testTorrent(t, data)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, tor.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	node, err := nibblepeer.New(nibblepeer.Config{Torrent: tor, Dir: dir, ListenHost: "127.0.0.1", NoTracker: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- node.Run(ctx) }()
	go func() {
		for range node.Events() { // drain
		}
	}()
	t.Cleanup(func() { cancel(); <-ran })

	r, text := runSuite(t, node.Addr().String(), fastOptions(tor))
	for _, oc := range r.Outcomes {
		if oc.Verdict != check.Pass {
			t.Errorf("%s: %s: %s", oc.Name, oc.Verdict, oc.Detail)
		}
	}
	if !r.OK() || len(r.Outcomes) != len(Names()) {
		t.Errorf("report:\n%s", text)
	}
}
