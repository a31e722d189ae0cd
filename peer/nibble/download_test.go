package nibble

import (
	"fmt"
	"slices"
	"testing"

	"github.com/bitclone/bitclone/codec/bitfield"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestDownloadsFromThreeSeedersAndSpreadsTheRequests(t *testing.T) {
	data := nodetest.Pattern(1<<20+123, 1) // a short last piece
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
	n.WaitText(peer.KindInfo, "complete: every piece verified")
	snap := n.Snapshot()
	if pr := snap.Progress; pr == nil || !pr.Complete() || pr.BytesTotal != int64(len(data)) {
		t.Errorf("progress after completion: %+v", pr)
	}
	if got := fieldOf(snap.Fields, "pieces"); got != "257/257" {
		t.Errorf("node field pieces %q", got)
	}
}

func TestKeepsThePipelineFullAndLogsWhichPieceAnAnswerIs(t *testing.T) {
	data := nodetest.Pattern(64*4096, 2)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	cfg.Pipeline = 5
	n, p := acceptNode(t, cfg)
	p.expect(fakepeer.HelloRequest)
	p.write(fakepeer.Frame(fakepeer.HelloResponse, bitfield.Full(64).Bytes()))
	var asked []int
	for range cfg.Pipeline {
		idx := p.expect(fakepeer.PieceRequest)
		asked = append(asked, int(idx[0]))
	}
	conns := n.Snapshot().Conns
	if len(conns) != 1 || field(conns[0], "in flight") != "5" || field(conns[0], "pieces") != "64/64" {
		t.Fatalf("connections %+v: want one with 5 requests in flight and 64/64 pieces", conns)
	}
	if pr := n.Snapshot().Progress; pr == nil || len(pr.Pieces) != 64 {
		t.Fatalf("progress %+v", pr)
	} else if have, requested, missing := pr.Counts(); have != 0 || requested != 5 || missing != 59 {
		t.Errorf("piece map: %d have, %d requested, %d missing; want 0, 5, 59", have, requested, missing)
	}
	i := asked[0]
	p.write(fakepeer.Frame(fakepeer.PieceResponse, data[i*4096:(i+1)*4096]))
	n.WaitText(peer.KindRecv, fmt.Sprintf("piece-response %d (4096 bytes)", i))
	// One answer frees one slot.
	idx := p.expect(fakepeer.PieceRequest)
	if slices.Contains(asked, int(idx[0])) {
		t.Errorf("piece %d asked twice", idx[0])
	}
	n.WaitEvent("piece verified", func(peer.Event) bool { return n.picker.Has(i) })
	if got := field(n.Snapshot().Conns[0], "in flight"); got != "5" {
		t.Errorf("%s in flight after one answer and one request, want 5", got)
	}
}

// field is the value of a connection's dialect field.
func field(ci peer.ConnInfo, label string) string { return fieldOf(ci.Fields, label) }

func fieldOf(fields []peer.Field, label string) string {
	for _, f := range fields {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}
