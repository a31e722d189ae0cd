package progressline

import (
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// pieces is n pieces of which the first have are held and the next
// requested are under way.
func pieces(n, have, requested int) []peer.PieceState {
	ps := make([]peer.PieceState, n)
	for i := range ps {
		switch {
		case i < have:
			ps[i] = peer.PieceHave
		case i < have+requested:
			ps[i] = peer.PieceRequested
		}
	}
	return ps
}

const mib = 1 << 20

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		name string
		p    peer.Progress
		want string
	}{
		{"downloading", peer.Progress{Pieces: pieces(16384, 3072, 12), BytesDone: 12 * mib, BytesTotal: 64 * mib,
			DownRate: 3.2 * mib, UpRate: 1.1 * mib},
			"12.0/64.0 MiB 18%  ↓ 3.2 MiB/s ↑ 1.1 MiB/s  ETA 0:17  pieces 3072/16384"}, // 52 MiB at 3.2 MiB/s, rounded up
		{"nothing arriving: ETA unknown", peer.Progress{Pieces: pieces(7, 1, 0), BytesDone: 4096, BytesTotal: 7 * 4096},
			"4.0/28.0 KiB 14%  ↓ 0 B/s ↑ 0 B/s  ETA -  pieces 1/7"},
		{"complete: seeding", peer.Progress{Pieces: pieces(64, 64, 0), BytesDone: 64 * 4096, BytesTotal: 64 * 4096, UpRate: 2048},
			"256.0/256.0 KiB 100%  seeding  ↑ 2.0 KiB/s  pieces 64/64"},
		{"almost: not 100%", peer.Progress{Pieces: pieces(1000, 999, 1), BytesDone: 999_999, BytesTotal: 1_000_000, DownRate: 1},
			"976.6/976.6 KiB 99%  ↓ 1 B/s ↑ 0 B/s  ETA 0:01  pieces 999/1000"},
		{"long ETA", peer.Progress{Pieces: pieces(1, 0, 1), BytesTotal: 1 << 30, DownRate: 100 * 1024},
			"0.0/1.0 GiB 0%  ↓ 100.0 KiB/s ↑ 0 B/s  ETA 2:54:46  pieces 0/1"},
		{"tiny", peer.Progress{Pieces: pieces(1, 0, 0), BytesTotal: 100},
			"0/100 B 0%  ↓ 0 B/s ↑ 0 B/s  ETA -  pieces 0/1"},
		{"size unknown", peer.Progress{BytesDone: 3 * mib}, "3.0 MiB done 0%  ↓ 0 B/s ↑ 0 B/s  ETA -  pieces 0/0"},
	} {
		if got := Format(c.p); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", -time.Second: "0:00", 16 * time.Second: "0:16", 12*time.Minute + 5*time.Second: "12:05",
		time.Hour + 2*time.Minute + 3*time.Second: "1:02:03", 100 * time.Hour: "100:00:00",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRate(t *testing.T) {
	for bps, want := range map[float64]string{0: "0 B/s", -5: "0 B/s", 1023: "1023 B/s", 1024: "1.0 KiB/s", 3.25 * mib: "3.2 MiB/s"} {
		if got := Rate(bps); got != want {
			t.Errorf("Rate(%v) = %q, want %q", bps, got, want)
		}
	}
}
