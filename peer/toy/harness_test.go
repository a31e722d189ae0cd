package toy

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// testConfig is a node on loopback with quick timers.
func testConfig(t *testing.T) Config {
	return Config{
		ListenHost:   "127.0.0.1",
		Dest:         t.TempDir(),
		Tick:         10 * time.Millisecond,
		ChunkTimeout: 100 * time.Millisecond,
		SearchRetry:  2 * time.Second,
	}
}

// testNode is a running node and its events.
type testNode struct {
	*Node
	r *nodetest.Running
}

func startNode(t *testing.T, cfg Config) testNode {
	t.Helper()
	n, err := New(cfg)
	n, r := nodetest.Start(t, n, err)
	return testNode{n, r}
}

// shareDir is a directory holding files name -> contents.
func shareDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// waitPong waits until n has a pong from a: a has handled n's ping, so
// each knows the other.
func (n testNode) waitPong(a netip.AddrPort) {
	n.r.WaitEvent("a pong from "+a.String(), func(e peer.Event) bool {
		return e.Kind == peer.KindRecv && e.Command == toy.CmdPong && e.Peer == a.String()
	})
}

// waitSearch waits until n has handled search id the first time.
func (n testNode) waitSearch(id int64) {
	n.r.WaitText(peer.KindInfo, fmt.Sprintf("(msgid %d)", id))
}

// waitFound waits until n has a result of its search at a.
func (n testNode) waitFound(a netip.AddrPort) {
	n.r.WaitEvent("a result at "+a.String(), func(e peer.Event) bool {
		return e.Kind == peer.KindInfo && strings.HasPrefix(e.Text, "found ") && strings.HasSuffix(e.Text, " at "+a.String())
	})
}
