package tui

import (
	"strconv"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// floodBatch is a batch of n message events from three peers, the mix a
// flooding peer and its neighbours produce.
func floodBatch(n int) []peer.Event {
	peers := []string{"127.0.0.1:8082", "127.0.0.1:53210", "10.0.0.9:8088"}
	batch := make([]peer.Event, n)
	for i := range batch {
		text, cmd := "ping|"+strconv.Itoa(i), "ping"
		if i%4 == 0 {
			text, cmd = "addr|2|1795296960|127.0.0.1:8082|1795296960|10.0.0.9:8088", "addr"
		}
		batch[i] = peer.Event{At: t0.Add(time.Duration(i) * time.Millisecond), Kind: peer.KindRecv, ConnID: uint64(i%3 + 1),
			Peer: peers[i%3], Command: cmd, Text: text}
	}
	return batch
}

// fullModel is a model at w×h whose log holds lines lines (its limit)
// of flood traffic.
func fullModel(b *testing.B, w, h, lines int) *Model {
	m, _ := newTestModel(b, w, h)
	m.log = newLogPane(lines, &m.opts.Dialect)
	full := floodBatch(maxBatch)
	for range lines/maxBatch + 1 {
		m.Update(eventsMsg{events: full})
	}
	return m
}

// BenchmarkUpdateViewBatch is one turn of the event loop under a flood: a
// batch of 256 events applied to a full 10 000-line log, then a frame
// drawn. The baseline, in the same run, is the same with a log of just
// 256 lines: the ratio shows that the cost does not grow with the log.
func BenchmarkUpdateViewBatch(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x60", 200, 60}} {
		for _, lines := range []int{256, DefaultLogLines} {
			b.Run(size.name+"/log="+strconv.Itoa(lines), func(b *testing.B) {
				m := fullModel(b, size.w, size.h, lines)
				batch := eventsMsg{events: floodBatch(256)}
				b.ReportAllocs()
				for b.Loop() {
					m.Update(batch)
					_ = m.View()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.events)), "ns/event")
			})
		}
	}
}

// BenchmarkUpdateViewBatchFiltered is the same with a filter that lets one
// line in three through, paused far up the log: the window is found by
// scanning, and must stay cheap.
func BenchmarkUpdateViewBatchFiltered(b *testing.B) {
	m := fullModel(b, 200, 60, DefaultLogLines)
	m.log.setFilter("peer:53210", m.logRows())
	m.log.scroll(-2000, m.logRows())
	batch := eventsMsg{events: floodBatch(256)}
	b.ReportAllocs()
	for b.Loop() {
		m.Update(batch)
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.events)), "ns/event")
}

// BenchmarkDownloadPane draws the piece map and progress line of a 16384
// piece torrent (done at every refresh) against, in the same run, the
// connections pane of the same snapshot, and a whole frame with the pane
// against BitClone's sample frame at the same size.
func BenchmarkDownloadPane(b *testing.B) {
	const w, h = 120, 40
	for _, n := range []int{64, 16384} {
		for _, fresh := range []bool{true, false} {
			// fresh: as on the first frame after a snapshot; else a
			// frame drawn on a batch of events between snapshots.
			name := "download/pieces=" + strconv.Itoa(n) + map[bool]string{true: "/new-snapshot", false: "/same-snapshot"}[fresh]
			b.Run(name, func(b *testing.B) {
				s := pieceSnapshot()
				s.Progress.Pieces = mixedPieces(n)
				m := newPieceModel(b, w, h, s)
				r := m.frame().download
				b.ReportAllocs()
				for b.Loop() {
					if fresh {
						m.dl = downloadCache{}
					}
					_ = m.downloadPane(r)
				}
			})
		}
	}
	b.Run("conns", func(b *testing.B) {
		m := newPieceModel(b, w, h, pieceSnapshot())
		f := m.frame()
		b.ReportAllocs()
		for b.Loop() {
			_ = m.conns.render(&m.st, f.conns.w, f.conns.h-1, false, t0)
		}
	})
	b.Run("view/pieces=16384", func(b *testing.B) {
		m := newPieceModel(b, w, h, pieceSnapshot())
		b.ReportAllocs()
		for b.Loop() {
			_ = m.View()
		}
	})
	b.Run("view/bitclone", func(b *testing.B) {
		m, _ := newTestModel(b, w, h)
		b.ReportAllocs()
		for b.Loop() {
			_ = m.View()
		}
	})
}
