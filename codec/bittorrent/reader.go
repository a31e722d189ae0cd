package bittorrent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/bitclone/bitclone/codec/framebuf"
)

// readSize is the buffer a Reader starts with: a few 16 KiB blocks per
// socket read. A longer message grows it, once, to LengthSize +
// MaxMessageLength, which bounds what one connection buffers.
const readSize = 64 << 10

var errBadCount = errors.New("bittorrent: reader returned an impossible count")

// ErrNotBitTorrent ends a stream whose first bytes are neither a handshake
// nor a message: another protocol (a NibbleTorrent peer, an HTTP client).
var ErrNotBitTorrent = errors.New("not BitTorrent: a stream starts with the handshake, pstrlen 19 and \"BitTorrent protocol\"")

// Reader splits a BitTorrent stream into frames: the handshake first, then
// length-prefixed messages.
//
// The handshake is one frame of the stream, not a step before it, so that
// a peer.Conn logs, counts and records it like any message and the
// session's frame handler sees it first. Frames stay self-describing,
// which lets Command and Text be plain functions of the bytes: the first
// byte of a handshake is 19, while a message's is 0 (its length is below
// 2^24). So the first frame is a handshake if it starts with 19 (68 bytes,
// delimited whatever the pstr: ParseHandshake judges), else a message,
// which the session refuses as "no handshake"; later frames are messages.
//
// Every message is delimited by its length prefix, whatever its id, so an
// unknown id is returned like any other and skipped. A length over
// MaxMessageLength ends the stream with an error wrapping ErrTooLong
// (ErrNotBitTorrent on the first frame) before a byte of the message is
// buffered: the peer drops the connection. A message split across reads and
// several messages in one read both work; after the buffer has grown to its
// bound, reading allocates nothing.
type Reader struct {
	buf   framebuf.Reader
	start bool // no frame returned yet: a handshake may come
}

// NewReader returns a Reader on r, at the start of a stream (unbuffered:
// the Reader does its own buffering).
func NewReader(r io.Reader) *Reader {
	return &Reader{start: true, buf: framebuf.Make(r, framebuf.Config{
		Initial: readSize, MaxFrame: LengthSize + MaxMessageLength, Header: LengthSize, BadCount: errBadCount,
	})}
}

// Next returns the next frame: the handshake or a message, length prefix
// included. The slice is valid only until the next call.
//
// At a clean end Next returns io.EOF. If the stream ends inside a frame it
// returns the partial frame (for the log) with io.ErrUnexpectedEOF. Other
// errors (of the underlying reader, a refused length) come once the frames
// completed before them are returned. Every error is final.
func (r *Reader) Next() ([]byte, error) {
	frame, err := r.buf.Next(r.frameSize)
	if err == nil {
		r.start = false
	}
	return frame, err
}

// frameSize is the size of the frame that pending starts (at least one
// byte): 0 while its length prefix is incomplete.
func (r *Reader) frameSize(pending []byte) (int, error) {
	if r.start && pending[0] == PstrLen {
		return HandshakeSize, nil
	}
	if len(pending) < LengthSize {
		return 0, nil
	}
	n := binary.BigEndian.Uint32(pending)
	if n > MaxMessageLength {
		if r.start {
			return 0, fmt.Errorf("%w; got % x", ErrNotBitTorrent, pending[:LengthSize])
		}
		return 0, fmt.Errorf("%w: a message of %d bytes, at most %d (a %d-byte block and its header)", ErrTooLong, n, MaxMessageLength, MaxBlock)
	}
	return LengthSize + int(n), nil
}

// Buffered reports whether bytes after the last frame are already read
// from the stream, so the next frame may come without waiting for it.
func (r *Reader) Buffered() bool { return r.buf.Buffered() }

// Raw is the frame Next last returned, exactly as it came off the wire.
func (r *Reader) Raw() []byte { return r.buf.Raw() }
