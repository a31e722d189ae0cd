package peer_test

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/dialecttest"
)

// A binary dialect's events carry the frame in words as their text, and
// the exact wire bytes (the first MaxEventRaw) with the frame's size.
func TestBinaryFrameEventsCarryWordsAndBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := peer.NewBus(0)
		ours, theirs := net.Pipe()
		c := peer.NewConn(ours, peer.ConnConfig{ID: 1, Dir: peer.Inbound, Framing: dialecttest.Binary.Framing, Bus: bus})
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Serve(func([]byte, time.Time) error { return nil })
		}()
		piece := bytes.Repeat([]byte{0xab}, 5000)
		frame := dialecttest.Frame(dialecttest.TypeResponse, append([]byte{41}, piece...))
		if _, err := theirs.Write(frame); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		theirs.Close()
		<-done
		bus.Close()
		var got []peer.Event
		for batch := range bus.Events() {
			for _, e := range batch {
				if e.Kind == peer.KindRecv {
					got = append(got, e)
				}
			}
		}
		if len(got) != 1 {
			t.Fatalf("%d recv events, want 1", len(got))
		}
		e := got[0]
		if e.Text != "piece-response 41 (5000 bytes)" || e.Command != "piece-response" {
			t.Errorf("text %q command %q, want the frame in words", e.Text, e.Command)
		}
		if !bytes.Equal(e.Raw, frame[:peer.MaxEventRaw]) || e.Size != len(frame) || !e.Truncated() {
			t.Errorf("raw %d bytes (exact: %v), size %d; want the first %d of %d", len(e.Raw), bytes.Equal(e.Raw, frame[:len(e.Raw)]), e.Size, peer.MaxEventRaw, len(frame))
		}
	})
}

// A binary peer that hangs up mid-frame is told as such, not as a line
// without its ending (the text dialects' wording is theirs).
func TestUnfinishedBinaryFrameIsNamedForItsDialect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ours, theirs := net.Pipe()
		c := peer.NewConn(ours, peer.ConnConfig{ID: 1, Dir: peer.Inbound, Framing: dialecttest.Binary.Framing})
		served := make(chan error, 1)
		go func() { served <- c.Serve(func([]byte, time.Time) error { return nil }) }()
		frame := dialecttest.Frame(dialecttest.TypeResponse, []byte{41, 1, 2, 3})
		if _, err := theirs.Write(frame[:5]); err != nil {
			t.Fatal(err)
		}
		theirs.Close()
		err := <-served
		if err == nil || !strings.HasSuffix(err.Error(), "5 bytes at the end were not a whole frame") {
			t.Errorf("closed with %v", err)
		}
	})
}

// A notice the handler raises about a frame comes after that frame in the
// log, even when the frames of one read are published together.
func TestHandlerNoteFollowsItsFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := peer.NewBus(0)
		// Read the events as a front end does, while they come: a bus
		// nobody reads holds one batch and drops the rest when closed.
		var got []string
		collected := make(chan struct{})
		go func() {
			defer close(collected)
			for batch := range bus.Events() {
				for _, e := range batch {
					if e.Kind != peer.KindClosed {
						got = append(got, e.Kind.String()+" "+e.Text)
					}
				}
			}
		}()
		ours, theirs := net.Pipe()
		c := peer.NewConn(ours, peer.ConnConfig{ID: 1, Dir: peer.Inbound, Framing: dialecttest.Binary.Framing, Bus: bus})
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Serve(func(frame []byte, _ time.Time) error {
				if frame[0] == dialecttest.TypeError {
					c.Note(peer.KindWarn, "an error frame")
				}
				return nil
			})
		}()
		frames := append(dialecttest.Frame(dialecttest.TypeError, []byte("no")), dialecttest.Frame(dialecttest.TypeRequest, []byte{7})...)
		if _, err := theirs.Write(frames); err != nil { // one read
			t.Fatal(err)
		}
		synctest.Wait()
		theirs.Close()
		<-done
		bus.Close()
		<-collected
		want := []string{"recv error no", "warn an error frame", "recv piece-request 7"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("events %q, want %q", got, want)
		}
	})
}
