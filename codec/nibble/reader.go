package nibble

import (
	"encoding/binary"
	"errors"
	"io"

	"github.com/bitclone/bitclone/codec/framebuf"
)

// readSize is the buffer a Reader starts with: a few of the spec's
// 4096-byte pieces per socket read. A longer frame grows it, once, to
// MaxFrame, which bounds what one connection buffers.
const readSize = 16 << 10

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
	buf framebuf.Reader
}

// NewReader returns a Reader on r (unbuffered: the Reader does its own
// buffering).
func NewReader(r io.Reader) *Reader {
	return &Reader{buf: framebuf.Make(r, framebuf.Config{
		Initial: readSize, MaxFrame: MaxFrame, Header: HeaderSize, BadCount: errBadCount,
	})}
}

// Next returns the next frame, header included; Decode reads it. The slice
// is valid only until the next call.
//
// At a clean end Next returns io.EOF. If the stream ends inside a frame it
// returns the partial frame (for the log) with io.ErrUnexpectedEOF. Other
// errors of the underlying reader come once the frames completed before
// them are returned. Every error is final.
func (r *Reader) Next() ([]byte, error) { return r.buf.Next(frameSize) }

// frameSize is the size of the frame that pending starts: its header's
// length field and the header (0 while the header is incomplete).
func frameSize(pending []byte) (int, error) {
	if len(pending) < HeaderSize {
		return 0, nil
	}
	return HeaderSize + int(binary.BigEndian.Uint16(pending[2:])), nil
}

// Buffered reports whether bytes after the last frame are already read
// from the stream, so the next frame may come without waiting for it.
func (r *Reader) Buffered() bool { return r.buf.Buffered() }

// Raw is the frame Next last returned, exactly as it came off the wire
// (the frame itself: a binary frame has no terminator to add).
func (r *Reader) Raw() []byte { return r.buf.Raw() }
