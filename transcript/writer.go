package transcript

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// Writer limits.
const (
	// FlushInterval is how often buffered entries reach the file.
	FlushInterval = 200 * time.Millisecond
	// maxPending bounds what waits for a slow disk; beyond it entries are
	// dropped and counted rather than slowing connections down.
	maxPending = 8 << 20
)

// Writer is a peer.Recorder that writes entries as JSON lines. Record only
// appends to a buffer under a mutex; a goroutine of the Writer's own writes
// the buffer out every FlushInterval, so connections never wait for the
// disk. After a write error nothing more is written; the error is reported
// once, to onError, and again by Close.
type Writer struct {
	out     io.Writer
	dialect string                    // the dialect's name, on "connected" entries
	wire    string                    // and its Wire
	words   func(frame []byte) []byte // the dialect's text of a frame
	closer  io.Closer                 // the file, when the Writer opened it
	onError func(error)

	mu      sync.Mutex
	buf     []byte
	dropped int
	err     error // the first write error; set once
	closed  bool

	flushMu sync.Mutex // one flush at a time; held while writing, never with mu
	spare   []byte     // the buffer being written, swapped with buf
	stop    chan struct{}
	done    chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Create opens (truncating) the file at path and returns a Writer for it,
// for the traffic of dialect d (its name goes on "connected" entries, its
// Framing.Text gives each entry's text). onError, if not nil, is told of
// the first write error.
func Create(path string, d *peer.Dialect, onError func(error)) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	w := NewWriter(f, d, onError)
	w.closer = f
	return w, nil
}

// NewWriter returns a Writer that writes to out. Close it to write the
// last entries and stop its goroutine.
func NewWriter(out io.Writer, d *peer.Dialect, onError func(error)) *Writer {
	w := &Writer{out: out, dialect: d.Name, wire: d.Wire, words: d.Framing.Text, onError: onError, stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Record implements peer.Recorder.
func (w *Writer) Record(r peer.Record) {
	e := EntryOf(r, w.words)
	if r.Kind == peer.KindConnected {
		e.Dialect, e.Wire = w.dialect, w.wire
	}
	line, err := json.Marshal(e)
	if err != nil {
		return // cannot happen: every field marshals
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil {
		return
	}
	if len(w.buf)+len(line)+1 > maxPending {
		w.dropped++
		return
	}
	w.buf = append(append(w.buf, line...), '\n')
}

func (w *Writer) loop() {
	defer close(w.done)
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.Flush()
		case <-w.stop:
			return
		}
	}
}

// Flush writes what is buffered and returns the first write error so far.
func (w *Writer) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	pending := w.buf
	w.buf = w.spare[:0]
	w.mu.Unlock()

	var err error
	if len(pending) > 0 {
		_, err = w.out.Write(pending)
	}
	w.spare = pending

	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("transcript: %w (recording stopped)", err)
		if w.onError != nil {
			w.onError(w.err)
		}
	}
	return w.err
}

// Dropped is how many entries were lost because the disk fell behind.
func (w *Writer) Dropped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Close writes the last entries, stops the Writer's goroutine, closes the
// file if Create opened it, and returns the first error. Records after
// Close are ignored; so are later calls to Close, which return the same error.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true // from here Record appends nothing, so the last flush is last
		w.mu.Unlock()
		close(w.stop)
		<-w.done
		err := w.Flush()
		if w.closer != nil {
			if cerr := w.closer.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("transcript: %w", cerr)
			}
		}
		if n := w.Dropped(); err == nil && n > 0 {
			err = fmt.Errorf("transcript: %d entries dropped: the disk could not keep up", n)
		}
		w.closeErr = err
	})
	return w.closeErr
}
