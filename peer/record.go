package peer

import "time"

// Recorder is told every frame a connection sends or receives, with its exact
// wire bytes, and when connections open and close: what --record writes.
// Connections call it concurrently from their own goroutines; it must not
// block for long.
type Recorder interface {
	Record(r Record)
}

// Record is one thing a Recorder is told.
type Record struct {
	At     time.Time
	ConnID uint64
	Peer   string    // remote address
	Dir    Direction // who opened the connection
	Kind   Kind      // KindRecv, KindSend, KindConnected or KindClosed
	// Bytes are the frame's exact wire bytes, terminator included (recv and
	// send). They are valid only during the call.
	Bytes []byte
	// Text is the reason, for KindClosed.
	Text string
}

// RawFrameReader is a FrameReader that can also give the last frame exactly
// as it came off the wire (for a text dialect, with its line terminator).
type RawFrameReader interface {
	FrameReader
	Raw() []byte
}

// BufferedFrameReader is a FrameReader that can tell whether its next frame
// is already in memory. A Conn then reuses the time it read the previous
// one: frames read together arrived together, and reading the clock for
// each frame of a flood costs more than parsing it on some machines.
type BufferedFrameReader interface {
	FrameReader
	Buffered() bool
}

// PendingFrameReader is a FrameReader that shows what it has read beyond
// the last frame, and lets a Conn consume whole frames of it itself (see
// Conn.AnswerQuickly).
type PendingFrameReader interface {
	FrameReader
	Pending() []byte // valid until the next call
	Skip(n int)      // n must end a frame
}
