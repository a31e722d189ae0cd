// Package framebuf is the bounded read buffer under the dialects' frame
// readers. It reads a stream into one buffer, hands frames out as slices of
// it, compacts, and grows only up to the largest frame; the dialect says
// nothing but where a frame ends. No goroutines, no I/O beyond the Read
// calls it is asked to make.
package framebuf

import "io"

// MaxEmptyReads bounds a broken io.Reader that returns 0, nil forever.
const MaxEmptyReads = 100

// Source reads from R, guarding against a broken reader: an impossible
// count becomes BadCount, and MaxEmptyReads reads in a row that return
// nothing and no error become io.ErrNoProgress.
type Source struct {
	R        io.Reader
	BadCount error // the dialect's error for a count outside 0..len(p)
	empty    int   // reads in a row that returned 0, nil
}

// Read reads once into p. A non-nil error ends the stream: the caller
// stores it and reads no more.
func (s *Source) Read(p []byte) (int, error) {
	n, err := s.R.Read(p)
	if n < 0 || n > len(p) {
		return 0, s.BadCount
	}
	switch {
	case err != nil:
		return n, err
	case n > 0:
		s.empty = 0
	default:
		if s.empty++; s.empty >= MaxEmptyReads {
			return 0, io.ErrNoProgress
		}
	}
	return n, nil
}

// SizeFunc says how long the frame at the start of pending is (pending is
// never empty): 0 while the bytes so far cannot tell. An error ends the
// stream before a byte more is buffered.
type SizeFunc func(pending []byte) (int, error)

// Config is a Reader's buffer: what it starts with and what bounds it.
type Config struct {
	Initial  int   // the buffer's size to start with
	MaxFrame int   // the largest frame: the buffer never grows beyond it
	Header   int   // bytes to read before SizeFunc can tell a frame's size
	BadCount error // see Source
}

// Reader splits a stream into frames that a SizeFunc delimits. A frame
// split across reads and several frames in one read both work; after the
// buffer has grown to MaxFrame, reading allocates nothing.
type Reader struct {
	src      Source
	buf      []byte
	r, w     int   // buf[r:w] is read from the source but not yet returned
	err      error // from the source or SizeFunc; returned once the frames before it are
	last     []byte
	header   int
	maxFrame int
}

// Make returns a Reader on rd (unbuffered: the Reader does its own
// buffering). A dialect's reader holds it by value.
func Make(rd io.Reader, c Config) Reader {
	return Reader{
		src:      Source{R: rd, BadCount: c.BadCount},
		buf:      make([]byte, c.Initial),
		header:   c.Header,
		maxFrame: c.MaxFrame,
	}
}

// Next returns the next frame, as size delimits it. The slice is valid
// only until the next call. SizeFunc must never say more than MaxFrame.
//
// At a clean end Next returns io.EOF. If the stream ends inside a frame it
// returns the partial frame (for the log) with io.ErrUnexpectedEOF. Other
// errors (of the source, of size) come once the frames completed before
// them are returned. Every error is final.
func (b *Reader) Next(size SizeFunc) ([]byte, error) {
	for {
		need := b.header
		if n := b.w - b.r; n > 0 {
			s, err := size(b.buf[b.r:b.w])
			if err != nil {
				b.err, b.r, b.w, b.last = err, 0, 0, nil
				return nil, err
			}
			if s > 0 && n >= s {
				b.last = b.buf[b.r : b.r+s]
				b.r += s
				return b.last, nil
			}
			need = max(s, b.header)
		}
		b.makeRoom(need)
		if b.err != nil {
			return b.end()
		}
		n, err := b.src.Read(b.buf[b.w:])
		b.w += n
		if err != nil {
			b.err = err
		}
	}
}

// end reports the stored error once no complete frame is left.
func (b *Reader) end() ([]byte, error) {
	if b.err != io.EOF || b.r == b.w {
		b.last = nil
		return nil, b.err
	}
	b.last = b.buf[b.r:b.w]
	b.r = b.w
	b.err = io.ErrUnexpectedEOF
	return b.last, b.err
}

// makeRoom ensures buf can hold a frame of size bytes from r onwards, with
// space after w to read into: by moving the pending bytes to the front,
// and by growing to MaxFrame if the frame is longer than the buffer.
func (b *Reader) makeRoom(size int) {
	if b.r+size <= len(b.buf) && b.w < len(b.buf) {
		return
	}
	if size > len(b.buf) {
		bigger := make([]byte, b.maxFrame)
		b.w = copy(bigger, b.buf[b.r:b.w])
		b.r, b.buf = 0, bigger
		return
	}
	b.w = copy(b.buf, b.buf[b.r:b.w])
	b.r = 0
}

// Buffered reports whether bytes after the last frame are already read
// from the stream, so the next frame may come without waiting for it.
func (b *Reader) Buffered() bool { return b.w > b.r }

// Raw is the frame Next last returned, exactly as it came off the wire
// (nil after an error other than a partial frame at the end).
func (b *Reader) Raw() []byte { return b.last }

// Size is the buffer's size now: what the connection holds in memory.
func (b *Reader) Size() int { return len(b.buf) }

// Rewind forgets the buffered bytes and a stored error but keeps the
// buffer, so a benchmark or test can rewind its source and read on.
func (b *Reader) Rewind() {
	b.r, b.w, b.err, b.src.empty = 0, 0, nil, 0
}
