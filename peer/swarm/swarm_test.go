package swarm

import (
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/piece"
)

func TestMeterSummaryOnlyWhileMoving(t *testing.T) {
	var m Meter
	t0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	m.AddDown(1000, t0)
	m.AddUp(10, t0)
	pr := piece.Progress{Have: 1, States: make([]piece.State, 4), BytesDone: 1000, BytesTotal: 4000}
	text, ok := m.Summary(t0, time.Second, pr, false)
	if !ok || !strings.HasPrefix(text, "progress: 1/4 pieces (25.0%)") {
		t.Fatalf("first summary %q %v", text, ok)
	}
	if _, ok := m.Summary(t0.Add(2*time.Second), time.Second, pr, false); ok {
		t.Error("a summary with no new piece")
	}
	pr.Have = 2
	if _, ok := m.Summary(t0.Add(500*time.Millisecond), time.Second, pr, false); ok {
		t.Error("a summary sooner than every")
	}
	if _, ok := m.Summary(t0.Add(3*time.Second), time.Second, pr, true); ok {
		t.Error("a summary once complete")
	}
	if down, up := m.Traffic(); down != 1000 || up != 10 {
		t.Errorf("traffic %d %d", down, up)
	}
	pr.States[0], pr.States[1] = piece.StateHave, piece.StateRequested
	p := m.Progress(pr, t0)
	if p.Pieces[0] != peer.PieceHave || p.Pieces[1] != peer.PieceRequested || p.Pieces[2] != peer.PieceMissing || p.BytesTotal != 4000 {
		t.Errorf("progress %+v", p)
	}
}

func TestCompletionMarksOnce(t *testing.T) {
	c := NewCompletion()
	h := peer.NewHost(peer.HostConfig{}, nil)
	c.Mark(h, nil, "done", 3, 2048, "dir/f")
	c.Mark(h, nil, "again", 3, 2048, "dir/f") // must not close twice
	select {
	case <-c.Done():
	default:
		t.Fatal("not done after Mark")
	}
}

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:6881": "127.0.0.1:6881", "[::1]:1": "[::1]:1", "[::ffff:127.0.0.1]:9": "127.0.0.1:9"} {
		if got, err := ParseAddr(in); err != nil || got.String() != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	if _, err := ParseAddr("localhost:1"); err == nil || !strings.Contains(err.Error(), "IPv4:PORT") {
		t.Errorf("a name: %v", err)
	}
}
