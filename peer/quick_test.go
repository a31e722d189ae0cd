package peer

import (
	"bytes"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// collectRecords keeps what a Recorder is told, bytes copied.
type collectRecords struct {
	mu   sync.Mutex
	recs []Record
}

func (r *collectRecords) Record(rec Record) {
	rec.Bytes = bytes.Clone(rec.Bytes)
	rec.At = time.Time{} // the two runs read the clock at different moments
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
}

// served is everything a connection did with one input.
type served struct {
	answers string
	events  []string
	records []Record
	in, out map[string]Counter
	msgsIn  uint64
	bytesIn uint64
}

// serveWrites feeds writes, one by one, to a Conn whose handler answers
// canonical pings with their pong and anything else with a reject; with
// quick, the handler also lets the Conn answer pings itself from the first
// frame on (as the BitClone session does once established).
// Quiet, the bus takes no message events and nothing is recorded.
func serveWrites(t *testing.T, writes []string, quick, quiet bool) served {
	var s served
	synctest.Test(t, func(t *testing.T) {
		bus := NewBus(1 << 16)
		bus.SetQuiet(quiet)
		events := drain(bus)
		// Quiet, nothing is shown or recorded: the frames are only counted.
		rec := &collectRecords{}
		cfg := ConnConfig{ID: 1, Dir: Inbound, Framing: lineFraming, Bus: bus}
		if !quiet {
			cfg.Recorder = rec
		}
		ours, far := net.Pipe()
		c := NewConn(ours, cfg)
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Serve(func(frame []byte, at time.Time) error {
				if pong, ok := wire.AppendPongFor(c.Replies(), frame); ok {
					c.Replied(pong, "pong")
				} else {
					c.Reply([]byte("reject|bad\r\n"), "reject")
				}
				if quick {
					c.AnswerQuickly(wire.AnswerPing, "ping", "pong")
				}
				return nil
			})
		}()
		answers := make(chan string)
		go func() {
			b, _ := io.ReadAll(far)
			answers <- string(b)
		}()
		for _, w := range writes {
			if _, err := far.Write([]byte(w)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait() // each write is one socket read, as the test says
		}
		var info ConnInfo
		c.Stats(&info)
		s.in, s.out, s.msgsIn, s.bytesIn = info.In, info.Out, info.MsgsIn, info.BytesIn
		c.Close(nil)
		<-done
		s.answers = <-answers
		bus.Close()
		for _, e := range <-events {
			if e.Kind == KindRecv || e.Kind == KindSend {
				s.events = append(s.events, e.Kind.Mark()+" "+e.Command+" "+e.Text+" "+string(e.Raw))
			}
		}
		s.records = rec.recs
	})
	return s
}

// TestQuickAnswersAreTheHandlersAnswers: a Conn answering pings itself
// (AnswerQuickly) writes the same bytes, counts the same messages and
// bytes, shows the same events in the same order and records the same
// frames as when every ping goes through the handler: with pings among
// other lines, a ping the quick answer refuses (leading zero), a bare LF,
// a ping split across two reads, and a run long enough to be answered
// early.
func TestQuickAnswersAreTheHandlersAnswers(t *testing.T) {
	writes := []string{
		"ping|1\r\nping|2\r\nhello\r\nping|3\r\nping|04\r\nping|5\nping|6",
		"7\r\nping|8\r\n" + strings.Repeat("ping|123456789\r\n", 300) + "ping|9|9\r\nping|10\r\n",
		"ping|11\r\n",
	}
	for _, quiet := range []bool{false, true} {
		slow := serveWrites(t, writes, false, quiet)
		fast := serveWrites(t, writes, true, quiet)
		if want := 6 + 304 + 1; strings.Count(fast.answers, "\n") != want {
			t.Fatalf("quiet %v: %d answers, want %d", quiet, strings.Count(fast.answers, "\n"), want)
		}
		if fast.answers != slow.answers {
			t.Errorf("quiet %v: answers differ:\nquick   %q\nhandler %q", quiet, fast.answers, slow.answers)
		}
		if !reflect.DeepEqual(fast.in, slow.in) || !reflect.DeepEqual(fast.out, slow.out) ||
			fast.msgsIn != slow.msgsIn || fast.bytesIn != slow.bytesIn {
			t.Errorf("quiet %v: counts differ: quick in %v out %v (%d msgs, %d bytes), handler in %v out %v (%d msgs, %d bytes)",
				quiet, fast.in, fast.out, fast.msgsIn, fast.bytesIn, slow.in, slow.out, slow.msgsIn, slow.bytesIn)
		}
		if wantBytes := uint64(len(strings.Join(writes, ""))); fast.bytesIn != wantBytes {
			t.Errorf("quiet %v: %d bytes counted in, %d came", quiet, fast.bytesIn, wantBytes)
		}
		if !reflect.DeepEqual(fast.events, slow.events) {
			t.Errorf("quiet %v: events differ: %d quick, %d through the handler", quiet, len(fast.events), len(slow.events))
		}
		if !quiet && len(fast.events) != 2*(6+304+1) {
			t.Errorf("%d events, want one per line each way", len(fast.events))
		}
		if !quiet && len(fast.records) != 2*(6+304+1)+2 { // and connected, closed
			t.Errorf("%d records, want one per line each way", len(fast.records))
		}
		if !reflect.DeepEqual(fast.records, slow.records) {
			t.Errorf("quiet %v: records differ: %d quick, %d through the handler", quiet, len(fast.records), len(slow.records))
		}
	}
}

// TestQuickAnswersSkipTheHandler: once installed, the quick answer takes
// the pings that follow a handled frame in the same read; the handler sees
// the first frame of each read and every frame the quick answer refuses.
func TestQuickAnswersSkipTheHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []string
		ours, far := net.Pipe()
		c := NewConn(ours, ConnConfig{ID: 1, Dir: Inbound, Framing: lineFraming})
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Serve(func(frame []byte, at time.Time) error {
				seen = append(seen, string(frame))
				c.Reply([]byte("x\r\n"), "x")
				c.AnswerQuickly(wire.AnswerPing, "ping", "pong")
				return nil
			})
		}()
		go io.Copy(io.Discard, far)
		for _, w := range []string{"ping|1\r\nping|2\r\nping|3\r\nhello\r\nping|4\r\n", "ping|5\r\nping|6\r\n"} {
			far.Write([]byte(w))
			synctest.Wait()
		}
		far.Close()
		<-done
		if want := []string{"ping|1", "hello", "ping|5"}; !reflect.DeepEqual(seen, want) {
			t.Errorf("the handler saw %q, want %q", seen, want)
		}
	})
}
