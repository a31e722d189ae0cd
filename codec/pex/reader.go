package pex

import (
	"errors"
	"fmt"
	"io"

	"github.com/bitclone/bitclone/codec/framebuf"
)

// readSize is the buffer a Reader starts with: asks and peer lists fit
// many times over. The first give grows it, once, to the options'
// MaxFrame, which bounds what one connection buffers.
const readSize = 16 << 10

var errBadCount = errors.New("pex: reader returned an impossible count")

// Reader splits a PEX stream into messages, each delimited by its size
// prefix in the options' byte order, whatever its type: a type of 3 or
// more is returned whole like any other (Decode reports it) and the stream
// stays in step. A size prefix over Options.MaxBody ends the stream with
// an error wrapping ErrTooLong before a byte of the body is buffered or a
// buffer allocated for it: a peer speaking the other byte order (an ask's
// 33 reads as 553648128) is refused so, at once. A message split across
// reads and several messages in one read both work; once the buffer has
// grown to its bound, reading allocates nothing.
type Reader struct {
	buf     framebuf.Reader
	order   ByteOrder
	maxBody int
}

// NewReader returns a Reader on r for the wire of o (unbuffered: the
// Reader does its own buffering).
func NewReader(r io.Reader, o Options) *Reader {
	return &Reader{order: o.Order, maxBody: o.MaxBody(), buf: framebuf.Make(r, framebuf.Config{
		Initial: min(readSize, o.MaxFrame()), MaxFrame: o.MaxFrame(), Header: PrefixSize, BadCount: errBadCount,
	})}
}

// Next returns the next message, size prefix included; Decode reads it.
// The slice is valid only until the next call.
//
// At a clean end Next returns io.EOF. If the stream ends inside a message
// it returns the partial message (for the log) with io.ErrUnexpectedEOF.
// Other errors (of the underlying reader, a refused size prefix) come once
// the messages completed before them are returned. Every error is final.
func (r *Reader) Next() ([]byte, error) { return r.buf.Next(r.frameSize) }

// frameSize is the size of the message that pending starts: 0 while its
// size prefix is incomplete.
func (r *Reader) frameSize(pending []byte) (int, error) {
	if len(pending) < PrefixSize {
		return 0, nil
	}
	n := r.order.uint32(pending)
	if uint64(n) > uint64(r.maxBody) {
		return 0, fmt.Errorf("%w: size prefix %d (% x, %s-endian), at most %d (a give: 33 + the piece size)",
			ErrTooLong, n, pending[:PrefixSize], r.order, r.maxBody)
	}
	return PrefixSize + int(n), nil
}

// Buffered reports whether bytes after the last message are already read
// from the stream, so the next message may come without waiting for it.
func (r *Reader) Buffered() bool { return r.buf.Buffered() }

// Raw is the message Next last returned, exactly as it came off the wire.
func (r *Reader) Raw() []byte { return r.buf.Raw() }
