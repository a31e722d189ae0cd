package headless

import (
	"bufio"
	"io"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// pingPongBatch is a busy connection's batch: pings and their pongs.
func pingPongBatch() []peer.Event {
	at := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	batch := make([]peer.Event, 512)
	for i := range batch {
		e := peer.Event{At: at, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:54321", Dir: peer.Inbound,
			Command: "ping", Text: "ping|123456789", Raw: []byte("ping|123456789\r\n"), Size: 16}
		if i%2 == 1 {
			e.Kind, e.Command, e.Text, e.Raw = peer.KindSend, "pong", "pong|123456789", []byte("pong|123456789\r\n")
		}
		batch[i] = e
	}
	return batch
}

// BenchmarkTranscriptLines is what the headless transcript costs per
// message line, beside the least a transcript can cost: each line's text
// copied to the same buffered writer. Report the ratio.
func BenchmarkTranscriptLines(b *testing.B) {
	batch := pingPongBatch()
	b.Run("baseline=copy", func(b *testing.B) {
		w := bufio.NewWriterSize(io.Discard, writeBatch)
		for b.Loop() {
			for i := range batch {
				w.WriteString(batch[i].Text)
				w.WriteByte('\n')
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("transcript", func(b *testing.B) {
		p := newPrinter(io.Discard, Options{Location: time.UTC, Now: time.Now})
		for b.Loop() {
			for i := range batch {
				p.event(&batch[i])
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "lines/s")
	})
}
