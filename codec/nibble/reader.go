package nibble

import (
	"encoding/binary"
	"errors"
	"io"
)

// readSize is the buffer a Reader starts with: a few of the spec's
// 4096-byte pieces per socket read. A longer frame grows it, once, to
// MaxFrame, which bounds what one connection buffers.
const readSize = 16 << 10

// maxEmptyReads bounds a broken io.Reader that returns 0, nil forever.
const maxEmptyReads = 100

var errBadCount = errors.New("nibble: reader returned an impossible count")

// Reader splits a byte stream into frames. Every frame is delimited by its
// header's length field, whatever its version or type: the header layout is
// the only framing there is, so a frame of another version (or an unknown
// type) is returned whole like any other, and the stream stays in step.
// Decode then reports it (ErrVersion, ErrType); the peer answers an error
// frame and reads on. A frame split across reads and several frames in one
// read both work. The length field caps a frame at MaxFrame bytes, so the
// Reader never buffers more than that.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int   // buf[r:w] is read from rd but not yet returned
	err  error // from rd; returned once the frames before it are
	last []byte
}

// NewReader returns a Reader on r (unbuffered: the Reader does its own
// buffering).
func NewReader(r io.Reader) *Reader {
	return &Reader{rd: r, buf: make([]byte, readSize)}
}

// Next returns the next frame, header included; Decode reads it. The slice
// is valid only until the next call.
//
// At a clean end Next returns io.EOF. If the stream ends inside a frame it
// returns the partial frame (for the log) with io.ErrUnexpectedEOF. Other
// errors of the underlying reader come once the frames completed before
// them are returned. Every error is final.
func (r *Reader) Next() ([]byte, error) {
	emptyReads := 0
	for {
		if n := r.w - r.r; n >= HeaderSize {
			size := HeaderSize + int(binary.BigEndian.Uint16(r.buf[r.r+2:]))
			if n >= size {
				r.last = r.buf[r.r : r.r+size]
				r.r += size
				return r.last, nil
			}
			r.makeRoom(size)
		} else {
			r.makeRoom(HeaderSize)
		}
		if r.err != nil {
			return r.end()
		}
		n, err := r.rd.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			n, err = 0, errBadCount
		}
		r.w += n
		switch {
		case err != nil:
			r.err = err
		case n > 0:
			emptyReads = 0
		default:
			if emptyReads++; emptyReads >= maxEmptyReads {
				r.err = io.ErrNoProgress
			}
		}
	}
}

// end reports the stored error once no complete frame is left.
func (r *Reader) end() ([]byte, error) {
	if r.err != io.EOF || r.r == r.w {
		r.last = nil
		return nil, r.err
	}
	r.last = r.buf[r.r:r.w]
	r.r = r.w
	r.err = io.ErrUnexpectedEOF
	return r.last, r.err
}

// makeRoom ensures buf can hold a frame of size bytes from r onwards, with
// space after w to read into: by moving the pending bytes to the front,
// and by growing to MaxFrame if the frame is longer than the buffer.
func (r *Reader) makeRoom(size int) {
	if r.r+size <= len(r.buf) && r.w < len(r.buf) {
		return
	}
	if size > len(r.buf) {
		bigger := make([]byte, MaxFrame)
		r.w = copy(bigger, r.buf[r.r:r.w])
		r.r, r.buf = 0, bigger
		return
	}
	r.w = copy(r.buf, r.buf[r.r:r.w])
	r.r = 0
}

// Buffered reports whether bytes after the last frame are already read
// from the stream, so the next frame may come without waiting for it.
func (r *Reader) Buffered() bool { return r.w > r.r }

// Raw is the frame Next last returned, exactly as it came off the wire
// (the frame itself: a binary frame has no terminator to add).
func (r *Reader) Raw() []byte { return r.last }
