package peer

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// lineFraming is a text framing as a dialect gives it: CRLF lines, the
// command is the first field.
var lineFraming = Framing{
	NewReader: func(r io.Reader) FrameReader { return wire.NewReader(r, wire.MaxLine) },
	Command: func(frame []byte) string {
		cmd, _, _ := bytes.Cut(frame, []byte("|"))
		if string(cmd) == "ping" {
			return "ping"
		}
		return "?"
	},
	Text:     func(frame []byte) []byte { return frame },
	Overhead: 2,
}

// pipeConn serves a Conn on one end of a pipe, answering every frame with
// "pong|..." and calling onFrame first; the far end is returned. The Conn
// ends with the test's bubble.
func pipeConn(t *testing.T, bus *Bus, onFrame func(c *Conn, frame []byte, at time.Time)) (*Conn, net.Conn) {
	return pipeConnIdle(t, bus, 0, onFrame)
}

// pipeConnIdle is pipeConn with an idle timeout.
func pipeConnIdle(t *testing.T, bus *Bus, idle time.Duration, onFrame func(c *Conn, frame []byte, at time.Time)) (*Conn, net.Conn) {
	ours, theirs := net.Pipe()
	c := NewConn(ours, ConnConfig{ID: 1, Dir: Inbound, Framing: lineFraming, Bus: bus, IdleTimeout: idle})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Serve(func(frame []byte, at time.Time) error {
			if onFrame != nil {
				onFrame(c, frame, at)
			}
			c.Reply([]byte("pong"+strings.TrimPrefix(string(frame), "ping")+"\r\n"), "pong")
			return nil
		})
	}()
	t.Cleanup(func() { theirs.Close(); c.Close(nil); <-done })
	return c, theirs
}

// drain collects a bus's events until it closes.
func drain(b *Bus) <-chan []Event {
	got := make(chan []Event, 1)
	go func() {
		var all []Event
		for batch := range b.Events() {
			all = append(all, batch...)
		}
		got <- all
	}()
	return got
}

func TestConnPublishesOncePerSocketRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := NewBus(0)
		events := drain(bus)
		_, far := pipeConn(t, bus, nil)
		// More answers than one early write takes, in one write: the Conn
		// gets all the lines with one socket read (2.8 KiB of its 4 KiB).
		const n = replyEarly/len("pong|7\r\n") + 100
		if _, err := far.Write([]byte(strings.Repeat("ping|7\r\n", n))); err != nil {
			t.Fatal(err)
		}
		answers := make([]byte, n*len("pong|7\r\n"))
		if _, err := io.ReadFull(far, answers); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		// One publish for the read's received lines (and the answers written
		// early), one for the write of the rest: not one (or two) per message.
		if got := bus.publishes.Load(); got != 2 {
			t.Errorf("%d publishes to the bus for one read and one write, want 2", got)
		}
		bus.Close()
		all := <-events
		if len(all) != 2*n {
			t.Fatalf("%d events, want %d", len(all), 2*n)
		}
		// The first replyEarly bytes of answers went out before the rest
		// of the read was handled, and the log says so: each answer after
		// its question, in the order they happened.
		recvs, sends := 0, 0
		for i, e := range all {
			switch e.Kind {
			case KindRecv:
				recvs++
			case KindSend:
				if sends++; sends > recvs {
					t.Fatalf("event %d: answer %d before its question", i, sends)
				}
			}
		}
		if early := replyEarly / len("pong|7\r\n"); all[early].Kind != KindSend || all[early-1].Kind != KindRecv {
			t.Errorf("events %d and %d are %s and %s, want the first answers after the first %d questions",
				early-1, early, all[early-1].Kind, all[early].Kind, early)
		}
		if e := all[0]; e.Text != "ping|7" || string(e.Raw) != "ping|7\r\n" || e.Size != 8 {
			t.Errorf("first event: text %q raw %q size %d", e.Text, e.Raw, e.Size)
		}
	})
}

func TestConnBuildsNoMessageEventsForAQuietBus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := NewBus(0)
		bus.SetQuiet(true)
		events := drain(bus)
		c, far := pipeConn(t, bus, nil)
		if _, err := far.Write([]byte(strings.Repeat("ping|7\r\n", 10))); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(far, make([]byte, 10*len("pong|7\r\n"))); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := bus.publishes.Load(); got != 0 {
			t.Errorf("%d publishes to a quiet bus, want none", got)
		}
		var info ConnInfo
		c.Stats(&info)
		if info.MsgsIn != 10 || info.MsgsOut != 10 || info.In["ping"].Msgs != 10 {
			t.Errorf("counted %d in (%v), %d out; want 10 and 10: statistics do not depend on events", info.MsgsIn, info.In, info.MsgsOut)
		}
		bus.Close()
		if all := <-events; len(all) != 0 || bus.Dropped() != 0 {
			t.Errorf("%d events delivered and %d dropped, want none", len(all), bus.Dropped())
		}
	})
}

func TestConnBuildsNoMoreEventsThanTheBusTakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := NewBus(5)
		t.Cleanup(bus.Close)
		// Nobody reads: a batch waits in the channel, one in the pump's
		// hands, and the queue takes 5 message events.
		for range 2 {
			bus.Publish(Event{Kind: KindInfo})
			synctest.Wait()
		}
		_, far := pipeConn(t, bus, nil)
		far.Write([]byte(strings.Repeat("ping|7\r\n", 20)))
		io.ReadFull(far, make([]byte, 20*len("pong|7\r\n")))
		synctest.Wait()
		// 40 message events: 5 fit, the other 35 are counted, not built.
		if bus.Dropped() != 35 {
			t.Errorf("dropped %d, want 35", bus.Dropped())
		}
	})
}

func TestConnHoldReadsStopsReadingButAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		_, far := pipeConn(t, nil, func(c *Conn, frame []byte, at time.Time) {
			times = append(times, at)
			if len(times) == 1 {
				c.HoldReads(at.Add(3 * time.Second))
			}
		})
		start := time.Now()
		far.Write([]byte("ping|1\r\n"))
		pong := make([]byte, len("pong|1\r\n"))
		if _, err := io.ReadFull(far, pong); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("the answer to the held frame came after %s, want at once", waited)
		}
		// The next line is not read (the write blocks, as TCP would hold the
		// peer) until the hold ends.
		far.Write([]byte("ping|2\r\n"))
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("second line taken after %s, want the 3s hold", waited)
		}
		io.ReadFull(far, pong)
		synctest.Wait()
		if len(times) != 2 || times[1].Sub(times[0]) != 3*time.Second {
			t.Errorf("frames read at %v", times)
		}
	})
}

func TestConnHeldLongerThanTheIdleTimeoutIsNotIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		frames := 0
		c, far := pipeConnIdle(t, nil, 2*time.Second, func(c *Conn, frame []byte, at time.Time) {
			if frames++; frames == 1 {
				c.HoldReads(at.Add(5 * time.Second))
			}
		})
		pong := make([]byte, len("pong|1\r\n"))
		far.Write([]byte("ping|1\r\n"))
		io.ReadFull(far, pong)
		// We kept the peer waiting 5 s; its next line, right after, is no
		// reason to call the connection idle.
		if _, err := far.Write([]byte("ping|2\r\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(far, pong); err != nil {
			t.Fatalf("no answer after the hold: %v (closed: %v)", err, c.Err())
		}
	})
}

// An outbound connection speaks first: its first frame is queued before
// Serve, and must be shown like any other.
func TestConnShowsAFrameQueuedBeforeServe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := NewBus(0)
		events := drain(bus)
		ours, theirs := net.Pipe()
		c := NewConn(ours, ConnConfig{ID: 1, Dir: Outbound, Framing: lineFraming, Bus: bus})
		c.Reply([]byte("hello|1\r\n"), "?")
		done := make(chan struct{})
		go func() { defer close(done); c.Serve(func([]byte, time.Time) error { return nil }) }()
		if _, err := io.ReadFull(theirs, make([]byte, len("hello|1\r\n"))); err != nil {
			t.Fatal(err)
		}
		theirs.Close()
		<-done
		bus.Close()
		all := <-events
		if len(all) != 1 || all[0].Kind != KindSend || all[0].Text != "hello|1\r\n" {
			t.Errorf("events %+v, want the send of hello|1", all)
		}
	})
}

// A handler error closes the connection at once, even when the peer reads
// nothing and answers to its earlier lines are waiting to be written.
func TestConnClosesAtOnceOnAHandlerErrorWhileThePeerDoesNotRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ours, theirs := net.Pipe()
		defer theirs.Close()
		c := NewConn(ours, ConnConfig{ID: 1, Dir: Inbound, Framing: lineFraming})
		errBad := errors.New("bad line")
		served := make(chan error, 1)
		go func() {
			served <- c.Serve(func(frame []byte, at time.Time) error {
				if string(frame) == "bad" {
					return errBad
				}
				c.Reply([]byte("pong|1\r\n"), "pong")
				return nil
			})
		}()
		start := time.Now()
		theirs.Write([]byte("ping|1\r\nbad\r\n")) // and never read
		if err := <-served; !errors.Is(err, errBad) {
			t.Errorf("Serve returned %v, want the handler's error", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("closing took %s, want no wait on the peer", waited)
		}
	})
}

// A long line's event keeps its start, text and wire bytes alike, and says
// its whole size; when the text starts the wire bytes they share one copy.
func TestConnEventsKeepTheStartOfALongLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := NewBus(0)
		events := drain(bus)
		_, far := pipeConn(t, bus, nil)
		long := "ping|" + strings.Repeat("7", 3*MaxEventRaw)
		go far.Write([]byte(long + "\r\n"))
		answer := make([]byte, len(long)+2)
		if _, err := io.ReadFull(far, answer); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		bus.Close()
		e := (<-events)[0]
		if e.Kind != KindRecv || e.Size != len(long)+2 || !e.Truncated() {
			t.Fatalf("event %s of size %d (truncated %v), want recv of %d", e.Kind, e.Size, e.Truncated(), len(long)+2)
		}
		if e.Text != long[:MaxEventRaw] || string(e.Raw) != long[:MaxEventRaw] {
			t.Fatalf("kept %d bytes of text and %d of wire bytes, want the first %d of each", len(e.Text), len(e.Raw), MaxEventRaw)
		}
		if unsafe.StringData(e.Text) != unsafe.SliceData(e.Raw) {
			t.Error("the text and the wire bytes are two copies")
		}
	})
}
