package nibble

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
)

func TestDownloadsFromThreeSeedersAndSpreadsTheRequests(t *testing.T) {
	data := pattern(1<<20+123, 1) // a short last piece
	tor := testTorrent(t, data, 4096)
	var seeders []*fakepeer.Seeder
	cfg := fastConfig(tor, t.TempDir())
	for range 3 {
		s, a := startSeeder(t, tor, data, fakepeer.Quirks{}, nil)
		seeders = append(seeders, s)
		cfg.Peers = append(cfg.Peers, a)
	}
	n := runNode(t, cfg)
	n.waitComplete(data)
	total := 0
	for i, s := range seeders {
		got := len(s.Requests())
		if got == 0 {
			t.Errorf("seeder %d was asked for nothing: the download did not spread", i)
		}
		total += got
	}
	if total < tor.NumPieces() {
		t.Errorf("%d requests for %d pieces", total, tor.NumPieces())
	}
	n.waitText(peer.KindInfo, "complete: every piece verified")
}

func TestPipelinesRequests(t *testing.T) {
	data := pattern(64*4096, 2)
	tor := testTorrent(t, data, 4096)
	// A seeder that answers one request every few milliseconds, so that
	// what the node keeps in flight shows in its snapshot.
	_, a := startSeeder(t, tor, data, fakepeer.Quirks{}, nil)
	cfg := fastConfig(tor, t.TempDir())
	cfg.Peers = []netip.AddrPort{a}
	cfg.Pipeline = 5
	n := runNode(t, cfg)
	n.waitComplete(data)
	// Every request frame the node sent before the first piece arrived.
	var before int
	n.mu.Lock()
	for _, e := range n.events {
		if e.Kind == peer.KindRecv && strings.HasPrefix(e.Text, "piece-response") {
			break
		}
		if e.Kind == peer.KindSend && strings.HasPrefix(e.Text, "piece-request") {
			before++
		}
	}
	n.mu.Unlock()
	if before != cfg.Pipeline {
		t.Errorf("%d requests went out before the first answer, want the pipeline's %d", before, cfg.Pipeline)
	}
}
