package peer

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
)

// TestConnCountsEachCommandExactlyInAMixedBurst: the counts of one socket
// read and one write are kept per command in a short list that starts its
// search at the command counted last; commands that alternate within a
// burst must still be counted exactly, each under its own name, in both
// directions.
func TestConnCountsEachCommandExactlyInAMixedBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ours, far := net.Pipe()
		c := NewConn(ours, ConnConfig{ID: 1, Dir: Inbound, Framing: lineFraming})
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Serve(func(frame []byte, at time.Time) error {
				if bytes.HasPrefix(frame, []byte("ping|")) {
					c.Reply([]byte("pong|1\r\n"), "pong")
				} else {
					c.Reply([]byte("reject|400|what\r\n"), "reject")
				}
				return nil
			})
		}()
		t.Cleanup(func() { far.Close(); c.Close(nil); <-done })

		// 3 pings, 1 other, 1 ping, 2 others, 1 ping: in one write, so
		// one socket read and one write of the answers.
		burst := "ping|1\r\nping|2\r\nping|3\r\nxx\r\nping|4\r\nyyy\r\nzz\r\nping|5\r\n"
		if _, err := far.Write([]byte(burst)); err != nil {
			t.Fatal(err)
		}
		const pong, reject = uint64(len("pong|1\r\n")), uint64(len("reject|400|what\r\n"))
		if _, err := io.ReadFull(far, make([]byte, 5*pong+3*reject)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		var info ConnInfo
		c.Stats(&info)
		wantIn := map[string]Counter{"ping": {5, 5 * 8}, "?": {3, 4 + 5 + 4}}
		wantOut := map[string]Counter{"pong": {5, 5 * pong}, "reject": {3, 3 * reject}}
		if info.MsgsIn != 8 || info.BytesIn != uint64(len(burst)) || !sameCounts(info.In, wantIn) {
			t.Errorf("in: %d msgs, %d bytes, %v; want 8, %d, %v", info.MsgsIn, info.BytesIn, info.In, len(burst), wantIn)
		}
		if info.MsgsOut != 8 || info.BytesOut != 5*pong+3*reject || !sameCounts(info.Out, wantOut) {
			t.Errorf("out: %d msgs, %d bytes, %v; want 8, %d, %v", info.MsgsOut, info.BytesOut, info.Out, 5*pong+3*reject, wantOut)
		}
	})
}

func sameCounts(got, want map[string]Counter) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// TestOutboxHandTakesTheBufferWhenEmpty: replies are handed to an empty
// outbox without a copy (the caller gets the outbox's spare buffers), and
// behind frames already queued by Send they are appended in order.
func TestOutboxHandTakesTheBufferWhenEmpty(t *testing.T) {
	o := newOutbox(64)
	buf := append(make([]byte, 0, 32), "pong|1\r\n"...)
	frames := []queued{{8, "pong"}}
	mine := unsafe.SliceData(buf)
	if !o.hand(&buf, &frames) {
		t.Fatal("an empty outbox refused the replies")
	}
	if unsafe.SliceData(o.buf) != mine || len(buf) != 0 || len(frames) != 0 {
		t.Errorf("the empty outbox copied the replies, or left them with the caller")
	}
	got, ends := o.take(nil, nil)
	if string(got) != "pong|1\r\n" || len(ends) != 1 || ends[0] != (queued{8, "pong"}) {
		t.Fatalf("took %q %v", got, ends)
	}

	// Behind a frame queued by Send: appended, in order, caller emptied.
	o.put([]byte("ping|9\r\n"), "ping")
	buf = append(buf[:0], "pong|2\r\n"...)
	frames = append(frames[:0], queued{8, "pong"})
	if !o.hand(&buf, &frames) || len(buf) != 0 || len(frames) != 0 {
		t.Fatalf("hand behind a queued frame: buf %q frames %v", buf, frames)
	}
	got, ends = o.take(nil, nil)
	if string(got) != "ping|9\r\npong|2\r\n" || len(ends) != 2 || ends[0] != (queued{8, "ping"}) || ends[1] != (queued{16, "pong"}) {
		t.Fatalf("took %q %v", got, ends)
	}

	// Past the limit behind queued frames: refused, the caller's kept.
	o.put([]byte("ping|9\r\n"), "ping")
	big := []byte(strings.Repeat("x", 64))
	frames = []queued{{64, "?"}}
	if o.hand(&big, &frames) || len(big) != 64 || len(frames) != 1 {
		t.Errorf("hand past the limit: accepted, or lost the caller's frames")
	}
}

// TestConnReplyReportsAClosedConnection: Reply tells its caller once the
// connection is closing (from a flag, not the done channel).
func TestConnReplyReportsAClosedConnection(t *testing.T) {
	ours, far := net.Pipe()
	defer far.Close()
	c := NewConn(ours, ConnConfig{ID: 1, Dir: Inbound, Framing: lineFraming})
	if !c.Reply([]byte("pong|1\r\n"), "pong") {
		t.Error("Reply on an open connection reported it closed")
	}
	c.Close(nil)
	if c.Reply([]byte("pong|1\r\n"), "pong") {
		t.Error("Reply on a closed connection reported it open")
	}
}

// TestConnAnswersABigReadBeforeItsEnd: when one socket read brings more
// than replyEarly bytes of answers, the first answers are written while the
// rest are still being handled, so a pipelining peer can work on them;
// with events built or not, and with the read's events still published
// once, with the answers' at the end.
func TestConnAnswersABigReadBeforeItsEnd(t *testing.T) {
	for _, quiet := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			if !answeredEarly(t, quiet) {
				t.Errorf("quiet bus %v: no answers written before the read's end", quiet)
			}
		})
	}
}

// answeredEarly sends a read's worth of pings, holds the last one until the
// peer has replyEarly bytes of answers or a minute has passed, and reports
// which came first.
func answeredEarly(t *testing.T, quiet bool) bool {
	bus := NewBus(0)
	bus.SetQuiet(quiet)
	events := drain(bus)
	release := make(chan struct{})
	early := false
	_, far := pipeConn(t, bus, func(c *Conn, frame []byte, at time.Time) {
		if string(frame) != "ping|last" {
			return
		}
		select {
		case <-release:
			early = true
		case <-time.After(time.Minute):
		}
	})
	const n = replyEarly/len("pong|7\r\n") + 100 // 2.8 KiB: one read of the 4 KiB buffer
	burst := strings.Repeat("ping|7\r\n", n-1) + "ping|last\r\n"
	if _, err := far.Write([]byte(burst)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(far, make([]byte, replyEarly)); err != nil {
		t.Fatal(err)
	}
	close(release)
	if _, err := io.ReadFull(far, make([]byte, (n-1)*len("pong|7\r\n")+len("pong|last\r\n")-replyEarly)); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if !quiet && bus.publishes.Load() != 2 {
		t.Errorf("%d publishes for one read and its answers, want 2", bus.publishes.Load())
	}
	bus.Close()
	<-events
	return early
}
