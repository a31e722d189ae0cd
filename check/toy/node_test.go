package toy_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	checktoy "github.com/bitclone/bitclone/check/toy"
	"github.com/bitclone/bitclone/peer/nodetest"
	"github.com/bitclone/bitclone/peer/toy"
)

// bitclone's own toy node passes its own report card, file probes and
// chunked getfile included: the suite and the node read the issue the
// same way.
func TestBitcloneToyNodePasses(t *testing.T) {
	share := t.TempDir()
	data := bytes.Repeat([]byte("a toy node's file, chunked. "), 4000) // 112000 bytes: 4 chunks
	if err := os.WriteFile(filepath.Join(share, "cool.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := toy.New(toy.Config{ListenHost: "127.0.0.1", Share: share})
	n, _ = nodetest.Start(t, n, err)

	o := checktoy.Options{Options: check.Options{Timeout: 2 * time.Second, Pace: -1}, File: "cool.txt"}
	r, err := checktoy.Run(context.Background(), n.Addr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, oc := range r.Outcomes {
		if oc.Verdict != check.Pass {
			t.Errorf("%s: %s: %s\n  sent %s\n  got  %s", oc.Name, oc.Verdict, oc.Detail, oc.Sent, oc.Got)
		}
	}
	if !r.OK() || len(r.Outcomes) != len(checktoy.Names()) {
		t.Errorf("ok %v, %d outcomes, want %d", r.OK(), len(r.Outcomes), len(checktoy.Names()))
	}
}
