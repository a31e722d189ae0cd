// Package feed reads a connection's frames on a goroutine of its own and
// hands them over on a channel, each stamped with when it arrived: the
// client side of a tool that sends exact bytes and waits, with deadlines,
// for what comes back (bitclone check and bitclone replay). A frame reader
// keeps a read error for good, so a deadline on the socket would spoil it;
// a deadline on the channel does not.
package feed

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// Frame is one frame the peer sent.
type Frame struct {
	// Raw is the frame exactly as it came off the wire (with a text
	// dialect's line ending), when the reader can tell (a
	// peer.RawFrameReader); else the same bytes as Frame.
	Raw []byte
	// Frame is what the frame reader returned.
	Frame []byte
	At    time.Time
	// Partial is set for what the stream held when it ended inside a
	// frame: the reader returned bytes with its error.
	Partial bool
}

// Feed reads frames until the stream ends or Close is called.
type Feed struct {
	// C has the frames in order; it is closed when the stream ends (Err
	// then says why) or after Close.
	C <-chan Frame

	c    chan Frame
	rc   io.Closer
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	mu  sync.Mutex
	err error
}

// Start reads frames from rd, which reads rc, on a new goroutine. backlog
// is how many frames it may read ahead of the consumer; beyond that it
// waits, and so does the peer's TCP stream.
func Start(rc io.Closer, rd peer.FrameReader, backlog int) *Feed {
	c := make(chan Frame, backlog)
	f := &Feed{C: c, c: c, rc: rc, done: make(chan struct{})}
	f.wg.Add(1)
	go f.loop(rd)
	return f
}

func (f *Feed) loop(rd peer.FrameReader) {
	defer f.wg.Done()
	defer close(f.c)
	raw, _ := rd.(peer.RawFrameReader)
	for {
		b, err := rd.Next()
		if len(b) > 0 || err == nil {
			fr := Frame{Frame: bytes.Clone(b), At: time.Now(), Partial: err != nil}
			fr.Raw = fr.Frame
			if raw != nil {
				fr.Raw = bytes.Clone(raw.Raw())
			}
			select {
			case f.c <- fr:
			case <-f.done:
				return
			}
		}
		if err != nil {
			f.mu.Lock()
			f.err = err
			f.mu.Unlock()
			return
		}
	}
}

// Err is why the stream ended: valid once C is closed (nil after Close).
func (f *Feed) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Close closes the connection and waits for the reader goroutine to end.
// It may be called more than once.
func (f *Feed) Close() {
	f.once.Do(func() {
		close(f.done)
		f.rc.Close()
	})
	f.wg.Wait()
}
