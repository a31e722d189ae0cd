package bt

import (
	"testing"

	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestDownloadFromOneSeeder(t *testing.T) {
	data := nodetest.Pattern(5<<20+12345, 1)
	tor := testTorrent(t, data, 256<<10)
	s := seedNode(t, tor, data, 1)
	l := leech(t, tor, 2, s.Addr())
	l.waitComplete(t, data)
	if down, _ := l.Traffic(); down < int64(len(data)) {
		t.Errorf("downloaded %d payload bytes, want at least %d", down, len(data))
	}
	if _, up := s.Traffic(); up < int64(len(data)) {
		t.Errorf("the seeder sent %d payload bytes, want at least %d", up, len(data))
	}
}
