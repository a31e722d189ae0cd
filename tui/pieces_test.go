package tui

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/dialecttest"
)

const mib = 1 << 20

// piecesOf is n piece states: the first have held, then requested under
// way, the rest missing.
func piecesOf(n, have, requested int) []peer.PieceState {
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

// pieceSnapshot is a NibbleTorrent-like download of 64 MiB in 16384
// pieces, 3072 held and 12 under way, from three peers whose connections
// carry the dialect's fields, with the tracker's news as node fields.
func pieceSnapshot() peer.Snapshot {
	conn := func(id uint64, remote string, dir peer.Direction, age time.Duration, fields ...string) peer.ConnInfo {
		c := peer.ConnInfo{ID: id, Remote: remote, Listen: remote, Dir: dir, State: peer.StateEstablished,
			Connected: t0.Add(-age), LastSend: t0.Add(-time.Second), LastRecv: t0.Add(-time.Second),
			MsgsIn: 812, MsgsOut: 815, BytesIn: 3 << 20, BytesOut: 1 << 19}
		for i := 0; i+1 < len(fields); i += 2 {
			c.Fields = append(c.Fields, peer.Field{Label: fields[i], Value: fields[i+1]})
		}
		return c
	}
	return peer.Snapshot{
		At: t0, Listen: "127.0.0.1:8088", Target: 5, Inbound: 1, Outbound: 2,
		Conns: []peer.ConnInfo{
			conn(1, "127.0.0.1:8089", peer.Outbound, 40*time.Second, "pieces", "16384/16384", "down", "1.9 MiB/s", "up", "0 B/s", "in flight", "4"),
			conn(2, "127.0.0.1:8090", peer.Outbound, 38*time.Second, "pieces", "16384/16384", "down", "1.3 MiB/s", "up", "0 B/s", "in flight", "4"),
			conn(3, "127.0.0.1:51522", peer.Inbound, 12*time.Second, "pieces", "1480/16384", "down", "0 B/s", "up", "1.1 MiB/s", "in flight", "0"),
		},
		Addrs: []peer.AddrInfo{
			{Addr: "127.0.0.1:8089", Live: true, Connected: true, Source: "tracker", LastActive: t0},
			{Addr: "127.0.0.1:8090", Live: true, Connected: true, Source: "tracker", LastActive: t0},
		},
		Fields: []peer.Field{{Label: "torrent", Value: "movie.bin"}, {Label: "tracker", Value: "4 peers, next announce 12s"}},
		Progress: &peer.Progress{Pieces: piecesOf(16384, 3072, 12), BytesDone: 12 * mib, BytesTotal: 64 * mib,
			DownRate: 3.2 * mib, UpRate: 1.1 * mib},
	}
}

// pieceDialect is the tiny binary dialect without its own plain pane, so
// that what shows is the TUI's built-in download pane.
func pieceDialect() peer.Dialect {
	d := dialecttest.Binary
	d.Panes = nil
	return d
}

// newPieceModel is a model over a fake node of a piece dialect, at w×h,
// showing snapshot s.
func newPieceModel(t testing.TB, w, h int, s peer.Snapshot) *Model {
	t.Helper()
	node := newFake()
	node.validate = func(string) peer.Verdict { return peer.Verdict{Level: peer.Valid} }
	node.setSnapshot(s)
	m := New(node, Options{Dialect: pieceDialect(), LogLines: 100, Listen: s.Listen})
	m.now = func() time.Time { return t0 }
	m.loc = time.UTC
	m.rng = rand.New(rand.NewPCG(1, 2))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg{s})
	return m
}

// mixedPieces is n pieces in a pattern that gives cells of every kind
// when folded: runs of held, requested and missing pieces of varied length.
func mixedPieces(n int) []peer.PieceState {
	ps := make([]peer.PieceState, n)
	for i := range ps {
		switch {
		case i < n/3:
			ps[i] = peer.PieceHave
		case i%7 == 0:
			ps[i] = peer.PieceRequested
		case i%5 == 0:
			ps[i] = peer.PieceHave
		}
	}
	return ps
}

// wantCell is the state a cell covering pieces shows, by the documented
// rule: held when all are, missing when none is held or requested, else
// under way.
func wantCell(pieces []peer.PieceState) peer.PieceState {
	have, missing := 0, 0
	for _, s := range pieces {
		switch s {
		case peer.PieceHave:
			have++
		case peer.PieceMissing:
			missing++
		}
	}
	switch {
	case have == len(pieces):
		return peer.PieceHave
	case missing == len(pieces):
		return peer.PieceMissing
	}
	return peer.PieceRequested
}

// paneText is the download pane as drawn, without colour, line by line.
func paneText(t *testing.T, m *Model) []string {
	t.Helper()
	f := m.frame()
	if f.download.h == 0 {
		t.Fatalf("no download pane at %dx%d:\n%s", m.width, m.height, screen(m))
	}
	var out []string
	for _, l := range m.downloadPane(f.download) {
		out = append(out, ansi.Strip(l))
	}
	return out
}

// glyphState reads a map cell back.
func glyphState(t *testing.T, g string) peer.PieceState {
	t.Helper()
	for s, want := range pieceGlyphs {
		if g == want {
			return peer.PieceState(s)
		}
	}
	t.Fatalf("%q is not a piece glyph", g)
	return 0
}

// The map has one cell per piece while they fit, and otherwise shrinks:
// every cell covers an equal run of pieces and shows the state the rule
// gives, the whole torrent is on screen, and the title says how many
// pieces a cell covers at most.
func TestPieceMapShrinksToFit(t *testing.T) {
	for _, n := range []int{1, 7, 64, 16384} {
		for _, size := range [][2]int{{30, 24}, {80, 24}, {120, 40}, {200, 60}} {
			w, h := size[0], size[1]
			s := pieceSnapshot()
			s.Fields = nil // the map right below the progress line
			s.Progress = &peer.Progress{Pieces: mixedPieces(n), BytesTotal: int64(n) * 4096}
			m := newPieceModel(t, w, h, s)
			lines := paneText(t, m)
			var cells []string
			for _, l := range lines[2:] {
				for _, r := range l {
					cells = append(cells, string(r))
				}
			}
			if len(cells) == 0 || len(cells) > n {
				t.Fatalf("%d pieces at %dx%d: %d cells:\n%s", n, w, h, len(cells), strings.Join(lines, "\n"))
			}
			rows := m.frame().download.h - 2
			if want := min(n, w*rows); len(cells) != want {
				t.Errorf("%d pieces at %dx%d: %d cells, want %d (%d rows of %d)", n, w, h, len(cells), want, rows, w)
			}
			for i, g := range cells {
				lo, hi := i*n/len(cells), (i+1)*n/len(cells)
				if got, want := glyphState(t, g), wantCell(s.Progress.Pieces[lo:hi]); got != want {
					t.Fatalf("%d pieces at %dx%d: cell %d (pieces %d..%d) is %v, want %v", n, w, h, i, lo, hi-1, got, want)
				}
			}
			if w < 80 {
				continue // the title is cut
			}
			per := (n + len(cells) - 1) / len(cells)
			if note := "up to " + strconv.Itoa(per) + " a cell"; (per > 1) != strings.Contains(lines[0], note) {
				t.Errorf("%d pieces in %d cells: title %q, want %q: %v", n, len(cells), lines[0], note, per > 1)
			}
			if !strings.Contains(lines[0], "Pieces  "+strconv.Itoa(n)) || !strings.Contains(lines[0], "█ have  ▒ under way  · missing") {
				t.Errorf("title %q", lines[0])
			}
		}
	}
}

// The pane's second line is the progress line; the node's fields follow,
// packed on as few lines as fit. Without a download rate the ETA is
// unknown; a complete download says it is seeding.
func TestProgressLineAndNodeFields(t *testing.T) {
	m := newPieceModel(t, 120, 40, pieceSnapshot())
	lines := paneText(t, m)
	if want := "12.0/64.0 MiB 18%  ↓ 3.2 MiB/s ↑ 1.1 MiB/s  ETA 0:17  pieces 3072/16384"; lines[1] != want {
		t.Errorf("progress line %q, want %q", lines[1], want)
	}
	if want := "torrent: movie.bin  ·  tracker: 4 peers, next announce 12s"; lines[2] != want {
		t.Errorf("fields line %q, want %q", lines[2], want)
	}

	s := pieceSnapshot()
	s.Progress.DownRate = 0
	m.Update(snapshotMsg{s})
	if l := paneText(t, m)[1]; !strings.Contains(l, "↓ 0 B/s ↑ 1.1 MiB/s  ETA -  pieces") {
		t.Errorf("no download rate: %q, want ETA -", l)
	}

	s = pieceSnapshot()
	s.Progress = &peer.Progress{Pieces: piecesOf(64, 64, 0), BytesDone: 64 * 4096, BytesTotal: 64 * 4096, UpRate: 1.1 * mib}
	m.Update(snapshotMsg{s})
	lines = paneText(t, m)
	if want := "256.0/256.0 KiB 100%  seeding  ↑ 1.1 MiB/s  pieces 64/64"; lines[1] != want {
		t.Errorf("complete: %q, want %q", lines[1], want)
	}
	if want := strings.Repeat("█", 64); lines[3] != want {
		t.Errorf("complete map %q", lines[3])
	}

	// Narrow: the fields that do not fit on one line go on the next.
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 40})
	lines = paneText(t, m)
	if lines[2] != "torrent: movie.bin" || lines[3] != "tracker: 4 peers, next announce 12s" {
		t.Errorf("fields at 40 columns:\n%s", strings.Join(lines, "\n"))
	}
}

// Node fields without a Progress (a dialect that moves no pieces but has
// news of its own) show in the pane alone, with no map or progress line.
func TestNodeFieldsWithoutProgress(t *testing.T) {
	s := pieceSnapshot()
	s.Progress = nil
	m := newPieceModel(t, 100, 30, s)
	lines := paneText(t, m)
	if !strings.Contains(lines[0], "Node") || lines[1] != "torrent: movie.bin  ·  tracker: 4 peers, next announce 12s" {
		t.Errorf("pane:\n%s", strings.Join(lines, "\n"))
	}
	if strings.Contains(strings.Join(lines, ""), "Pieces") {
		t.Errorf("a map without a Progress:\n%s", strings.Join(lines, "\n"))
	}
}

// BitClone's snapshot has neither a Progress nor node fields: no pane, and
// the layout is what it was (the golden files hold the rest).
func TestNoDownloadPaneForBitClone(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		m, _ := newTestModel(t, size[0], size[1])
		if f := m.frame(); f.download != (rect{}) {
			t.Errorf("%v: download pane %+v for BitClone", size, f.download)
		}
		if strings.Contains(screen(m), "Pieces") {
			t.Errorf("%v: a piece map for BitClone", size)
		}
	}
}

// The pane takes what it wants up to a quarter of the body, shrinks to its
// title and the progress line rather than squeeze the address book and
// the log below minRestRows, and goes when even that does not fit.
func TestDownloadPaneLayout(t *testing.T) {
	for _, c := range []struct {
		w, h, want int
	}{
		{120, 40, 10}, // 36 body rows: a quarter, 9, and the title
		{80, 24, 6},   // 20 body rows: 5 and the title
		{80, 18, 2},   // 14 body rows: conns 4, rest 8: the title and the progress line
		{80, 17, 0},   // no room at all
	} {
		m := newPieceModel(t, c.w, c.h, pieceSnapshot())
		f := m.frame()
		if f.download.h != c.want {
			t.Errorf("%dx%d: pane of %d rows, want %d", c.w, c.h, f.download.h, c.want)
		}
		if f.download.h > 0 && (f.download.y != f.conns.y+f.conns.h || f.addrs.y != f.download.y+f.download.h) {
			t.Errorf("%dx%d: conns %+v, download %+v, addrs %+v", c.w, c.h, f.conns, f.download, f.addrs)
		}
		if f.conns.h == 0 || f.addrs.h == 0 || f.log.h == 0 {
			t.Errorf("%dx%d: conns %+v, addrs %+v, log %+v", c.w, c.h, f.conns, f.addrs, f.log)
		}
		checkFrame(t, strconv.Itoa(c.w)+"x"+strconv.Itoa(c.h), m.View().Content, c.w, c.h)
	}
	m := newPieceModel(t, 80, 18, pieceSnapshot())
	if l := paneText(t, m); len(l) != 2 || !strings.HasPrefix(l[1], "12.0/64.0 MiB 18%") {
		t.Errorf("the smallest pane:\n%s", strings.Join(l, "\n"))
	}
}

// Without colour the map still reads: each state has its own glyph, and
// each is one column wide (the fast width path counts them).
func TestPieceGlyphsReadWithoutColour(t *testing.T) {
	seen := map[string]bool{}
	for s, g := range pieceGlyphs {
		if g == "" || seen[g] || ansi.StringWidth(g) != 1 || width(g) != 1 {
			t.Errorf("state %v: glyph %q (empty, repeated or not one column)", peer.PieceState(s), g)
		}
		seen[g] = true
	}
}

// Whatever a dialect or a peer puts in the fields, the frame stays the
// window's size and holds no escape sequence of theirs, at every size.
func TestDownloadPaneUntrustedText(t *testing.T) {
	evil := "\x1b]0;pwned\x07\x1b[2J\x1b[H\u202eevil\r\nline\xff学生🔥"
	s := pieceSnapshot()
	s.Fields = append(s.Fields, peer.Field{Label: evil, Value: evil + strings.Repeat("x", 300)})
	s.Conns[1].Fields = append(s.Conns[1].Fields, peer.Field{Label: evil, Value: evil})
	for _, size := range [][2]int{{200, 60}, {120, 40}, {80, 24}, {40, 12}, {30, 8}, {10, 3}} {
		for name, keys := range map[string][]string{"start": nil, "conns": {"esc"}, "detail": {"esc", "enter"}} {
			m := newPieceModel(t, size[0], size[1], s)
			press(m, keys...)
			checkFrame(t, name+" "+strconv.Itoa(size[0])+"x"+strconv.Itoa(size[1]), m.View().Content, size[0], size[1])
		}
	}
}

// Golden views of a piece dialect's session: connections with the
// dialect's fields, the download pane, the detail screen (go test -update
// rewrites them).
func TestGoldenPieceDialect(t *testing.T) {
	for _, c := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"120x40", 120, 40, nil},
		{"80x24", 80, 24, nil},
		{"120x40-detail", 120, 40, []string{"esc", "down", "down", "enter"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newPieceModel(t, c.w, c.h, pieceSnapshot())
			d := pieceDialect()
			m.Update(eventsMsg{events: []peer.Event{
				frameEvent(&d, peer.KindSend, 1, dialecttest.Frame(dialecttest.TypeRequest, []byte{41})),
				frameEvent(&d, peer.KindRecv, 2, dialecttest.Frame(dialecttest.TypeResponse, append([]byte{41}, make([]byte, 64)...))),
				frameEvent(&d, peer.KindRecv, 3, dialecttest.Frame(dialecttest.TypeError, []byte("no such piece"))),
			}})
			press(m, c.keys...)
			golden.RequireEqual(t, screen(m))
		})
	}
}

// A state the TUI does not know (a dialect's bug) is drawn as missing, as
// Progress.Counts counts it, never as held.
func TestUnknownPieceStateIsMissing(t *testing.T) {
	s := pieceSnapshot()
	s.Fields = nil
	s.Progress = &peer.Progress{Pieces: []peer.PieceState{peer.PieceHave, 7, peer.PieceRequested}, BytesTotal: 3}
	m := newPieceModel(t, 80, 24, s)
	if l := paneText(t, m)[2]; l != "█·▒" {
		t.Errorf("map %q, want █·▒", l)
	}
}
