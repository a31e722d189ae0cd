package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/progressline"
)

// The download pane is built in, not a peer.Pane: it is drawn from the
// neutral Snapshot.Progress and Snapshot.Fields, so every piece-based
// dialect gets it without code of its own, and its cells are coloured,
// which a Pane's plain, escaped rows cannot be. It shows, under the
// connections, whenever the snapshot has a Progress or node-wide Fields
// (never for BitClone, which has neither):
//
//	  Pieces  16384 · up to 20 a cell · █ have  ▒ under way  · missing ──
//	12.0/64.0 MiB 18%  ↓ 3.2 MiB/s ↑ 1.1 MiB/s  ETA 0:17  pieces 3072/16384
//	tracker: 4 peers, next announce 12s  ·  torrent: movie.bin
//	████████████████▒▒▒▒·······························································
//
// The map has one cell per piece while they fit in its rows, else each
// cell covers an equal run of pieces (peer.Progress.Cells): █ when all of
// them are held, · when none is held or requested, ▒ otherwise (work under
// way). The glyphs carry the meaning; colour only repeats it.
const (
	// maxMapRows bounds the map's height; beyond, cells cover more pieces.
	maxMapRows = 8
	// fieldSep separates the node's fields on a line.
	fieldSep = "  ·  "
)

// pieceGlyphs draw the map's cells by peer.PieceState.
var pieceGlyphs = [pieceStates]string{peer.PieceMissing: "·", peer.PieceRequested: "▒", peer.PieceHave: "█"}

// downloadCache keeps what the pane derives from the snapshot's Progress,
// two walks over every piece (the folded cells, and the counts in the
// progress line), from one frame to the next: frames are drawn on every
// batch of events, snapshots come about once a second. A new snapshot
// empties it.
type downloadCache struct {
	line   string // the progress line; "" until drawn
	budget int    // the number of cells the map was folded into
	cells  []peer.PieceState
}

// progress returns the progress line and p folded into at most budget cells.
func (c *downloadCache) progress(p *peer.Progress, budget int) (string, []peer.PieceState) {
	if c.line == "" {
		c.line = progressline.Format(*p)
	}
	if c.cells == nil || c.budget != budget {
		c.budget, c.cells = budget, p.Cells(budget)
	}
	return c.line, c.cells
}

// hasDownload reports whether the snapshot gives the download pane
// anything to show.
func (m *Model) hasDownload() bool { return m.snap.Progress != nil || len(m.nodeFields()) > 0 }

// nodeFields are the snapshot's fields but those a dialect's pane draws
// (peer.Pane.Fields).
func (m *Model) nodeFields() []peer.Field {
	var owned []string
	for _, p := range m.opts.Dialect.Panes {
		owned = append(owned, p.Fields...)
	}
	if len(owned) == 0 {
		return m.snap.Fields
	}
	var out []peer.Field
	for _, f := range m.snap.Fields {
		if !slices.Contains(owned, f.Label) {
			out = append(out, f)
		}
	}
	return out
}

// downloadWant is how many body rows the pane would like at width w: the
// progress line, the node's fields, and the map at one cell per piece
// (at most maxMapRows).
func downloadWant(s *peer.Snapshot, fs []peer.Field, w int) int {
	n := len(fieldLines(fs, w))
	if p := s.Progress; p != nil && w > 0 {
		n += 1 + min(maxMapRows, max(1, (len(p.Pieces)+w-1)/w))
	}
	return n
}

// fieldLines packs the node's fields, escaped, as "label: value" into as
// few lines of w columns as they fit; a field wider than w is a line of
// its own (cut when drawn).
func fieldLines(fs []peer.Field, w int) []string {
	var lines []string
	cur := ""
	for _, f := range fs {
		item := safe(f.Label) + ": " + safe(f.Value)
		if f.Label == "" {
			item = safe(f.Value)
		}
		switch {
		case cur == "":
			cur = item
		case width(cur)+len(fieldSep)+width(item) <= w:
			cur += fieldSep + item
		default:
			lines = append(lines, cur)
			cur = item
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// downloadPane draws the pane in r: the title, the progress line, the
// node's fields and the map in the rows left (at least one when there is
// a Progress and room for two body rows).
func (m *Model) downloadPane(r rect) []string {
	s := &m.snap
	p := s.Progress
	body := r.h - 1
	fields := fieldLines(m.nodeFields(), r.w)
	mapRows := 0
	if p != nil {
		rest := body - 1 // below the progress line
		keep := min(len(fields), max(0, rest-1))
		mapRows = min(maxMapRows, rest-keep)
		fields = fields[:keep]
		if len(p.Pieces) > 0 {
			mapRows = min(mapRows, (len(p.Pieces)+r.w-1)/r.w)
		}
	}
	var cells []peer.PieceState
	title, line := "Node", ""
	if p != nil {
		line, cells = m.dl.progress(p, r.w*max(0, mapRows))
		title = pieceTitle(len(p.Pieces), len(cells))
	}
	out := make([]string, 0, r.h)
	out = append(out, m.titleLine(title, r.w, false))
	if p != nil {
		out = append(out, trunc(line, r.w))
	}
	for _, l := range fields {
		out = append(out, m.st.faint.Render(trunc(l, r.w)))
	}
	out = append(out, mapLines(&m.st, cells, r.w)...)
	return pad(out, r.h)[:r.h]
}

// pieceTitle names the map: how many pieces, how many a cell covers at
// most, and what the glyphs mean.
func pieceTitle(pieces, cells int) string {
	s := "Pieces  " + strconv.Itoa(pieces)
	if cells > 0 && cells < pieces {
		s += " · up to " + strconv.Itoa((pieces+cells-1)/cells) + " a cell"
	}
	return s + " · █ have  ▒ under way  · missing"
}

// mapLines draws cells in lines of w, each run of one state in one
// colour (one escape sequence per run, not per cell: the map of a big
// torrent is drawn on every refresh).
func mapLines(st *styles, cells []peer.PieceState, w int) []string {
	if w <= 0 {
		return nil
	}
	var lines []string
	var b strings.Builder
	for lo := 0; lo < len(cells); lo += w {
		line := cells[lo:min(lo+w, len(cells))]
		b.Reset()
		for i := 0; i < len(line); {
			j := i
			for j < len(line) && line[j] == line[i] {
				j++
			}
			s := int(line[i])
			if s >= pieceStates {
				s = int(peer.PieceMissing) // unknown: not held, as Progress.Counts reads it
			}
			b.WriteString(st.pieces[s].Render(strings.Repeat(pieceGlyphs[s], j-i)))
			i = j
		}
		lines = append(lines, b.String())
	}
	return lines
}
