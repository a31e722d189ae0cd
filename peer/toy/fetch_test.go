package toy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestFetchesAMebibyteAcrossALossyRelay(t *testing.T) {
	data := nodetest.Pattern(1<<20, 7)
	cfg := testConfig(t)
	cfg.Share = shareDir(t, map[string][]byte{"big.bin": data})
	server := startNode(t, cfg)
	relay := startRelay(t, server.listen, 0.10, 42)
	client := startNode(t, testConfig(t))

	if err := client.Fetch("big.bin", relay.Addr()); err != nil {
		t.Fatal(err)
	}
	client.r.WaitText(peer.KindInfo, "fetched \"big.bin\"")
	got, err := os.ReadFile(filepath.Join(client.cfg.Dest, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("fetched %d bytes, not the %d shared", len(got), len(data))
	}
	st := client.Stats()
	t.Logf("relay passed %d datagrams, dropped %d; %d chunks asked again", relay.passed.Load(), relay.dropped.Load(), st.ChunksRetried)
	if relay.dropped.Load() == 0 || st.ChunksRetried == 0 {
		t.Errorf("nothing was lost on the way (dropped %d, retried %d): the test proves nothing", relay.dropped.Load(), st.ChunksRetried)
	}
}

func TestGetSearchesFetchesAndCompletes(t *testing.T) {
	data := nodetest.Pattern(100_000, 3)
	cfg := testConfig(t)
	cfg.Share = shareDir(t, map[string][]byte{"cool.txt": data})
	seed := startNode(t, cfg)
	cfg = testConfig(t)
	cfg.Seeds = append(cfg.Seeds, seed.listen)
	cfg.Get = []string{"cool.txt"}
	getter := startNode(t, cfg)
	getter.r.Wait("completion", getter.Completed())
	got, err := os.ReadFile(filepath.Join(cfg.Dest, "cool.txt"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("saved %d bytes (%v), want the %d shared", len(got), err, len(data))
	}
}

// A chunk request waits 4 smoothed round trips before it is sent again,
// within [minChunkTimeout, ChunkTimeout]; before any round trip, the
// configured wait.
func TestChunkTimeoutFollowsTheRoundTrip(t *testing.T) {
	for _, tc := range []struct{ srtt, want time.Duration }{
		{0, time.Second},
		{time.Microsecond, minChunkTimeout},
		{100 * time.Millisecond, 400 * time.Millisecond},
		{time.Second, time.Second},
	} {
		if got := chunkTimeout(tc.srtt, time.Second); got != tc.want {
			t.Errorf("srtt %v: %v, want %v", tc.srtt, got, tc.want)
		}
	}
}

// After the first chunks come back, the requests that follow wait about
// their round trip, not the configured second.
func TestFetchTimesItsRoundTrips(t *testing.T) {
	data := nodetest.Pattern(20*toy.DefaultChunkSize, 5)
	cfg := testConfig(t)
	cfg.Share = shareDir(t, map[string][]byte{"f.bin": data})
	src := startNode(t, cfg)
	cfg = testConfig(t)
	cfg.ChunkTimeout = time.Minute // so only the round trips can make it short
	n := startNode(t, cfg)
	if err := n.Fetch("f.bin", src.listen); err != nil {
		t.Fatal(err)
	}
	n.r.WaitText(peer.KindInfo, `fetched "f.bin"`)
	n.mu.Lock()
	defer n.mu.Unlock()
	f := n.fetches[len(n.fetches)-1]
	if f.srtt <= 0 || chunkTimeout(f.srtt, cfg.ChunkTimeout) >= cfg.ChunkTimeout {
		t.Errorf("srtt %v: a request would wait %v", f.srtt, chunkTimeout(f.srtt, cfg.ChunkTimeout))
	}
}
