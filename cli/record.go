package cli

import (
	"fmt"
	"io"
	"sync"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
	"github.com/bitclone/bitclone/transcript"
)

// recording is the --record transcript of a run; a nil *recording records
// nothing.
type recording struct {
	path string
	w    *transcript.Writer

	mu       sync.Mutex
	reported bool // a write error was told already
}

// startRecording creates the --record file ("" records nothing) before the
// node starts, so a file that cannot be created stops the program with a
// plain error. A write error is told on stderr at once when tell is set
// (headless; the TUI owns the screen), and in any case by close.
func startRecording(path string, d *peer.Dialect, stderr io.Writer, tell bool) (*recording, error) {
	if path == "" {
		return nil, nil
	}
	r := &recording{path: path}
	var onError func(error)
	if tell {
		onError = func(err error) {
			r.mu.Lock()
			r.reported = true
			r.mu.Unlock()
			fmt.Fprintf(stderr, "bitclone: --record %s: %v\n", path, err)
		}
	}
	w, err := transcript.Create(path, d, onError)
	if err != nil {
		return nil, fmt.Errorf("--record: %w", err)
	}
	r.w = w
	return r, nil
}

// options wire the recording into the node.
func (r *recording) options() []bitclone.Option {
	if r == nil {
		return nil
	}
	return []bitclone.Option{bitclone.WithRecorder(r.w)}
}

// recorder is what a node records to: nil (no recorder at all, not a
// nil writer in an interface) when nothing is recorded.
func (r *recording) recorder() peer.Recorder {
	if r == nil {
		return nil
	}
	return r.w
}

// close writes the last entries; call it once the node has stopped. It
// reports whether the transcript is complete, telling on stderr why not
// unless that was told already.
func (r *recording) close(stderr io.Writer) bool {
	if r == nil {
		return true
	}
	err := r.w.Close()
	if err == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.reported {
		fmt.Fprintf(stderr, "bitclone: --record %s: %v\n", r.path, err)
	}
	return false
}
