package bittorrent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readSize is the buffer a Reader starts with: a few 16 KiB blocks per
// socket read. A longer message grows it, once, to LengthSize +
// MaxMessageLength, which bounds what one connection buffers.
const readSize = 64 << 10

// maxEmptyReads bounds a broken io.Reader that returns 0, nil forever.
const maxEmptyReads = 100

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
	rd    io.Reader
	buf   []byte
	r, w  int   // buf[r:w] is read from rd but not yet returned
	err   error // from rd, or a refused length; returned once the frames before it are
	last  []byte
	start bool // no frame returned yet: a handshake may come
}

// NewReader returns a Reader on r, at the start of a stream (unbuffered:
// the Reader does its own buffering).
func NewReader(r io.Reader) *Reader {
	return &Reader{rd: r, buf: make([]byte, readSize), start: true}
}

// Next returns the next frame: the handshake or a message, length prefix
// included. The slice is valid only until the next call.
//
// At a clean end Next returns io.EOF. If the stream ends inside a frame it
// returns the partial frame (for the log) with io.ErrUnexpectedEOF. Other
// errors (of the underlying reader, a refused length) come once the frames
// completed before them are returned. Every error is final.
func (r *Reader) Next() ([]byte, error) {
	emptyReads := 0
	for {
		if n := r.w - r.r; n > 0 {
			size, err := r.frameSize()
			if err != nil {
				r.err, r.r, r.w, r.last = err, 0, 0, nil
				return nil, err
			}
			if size > 0 && n >= size {
				r.last = r.buf[r.r : r.r+size]
				r.r += size
				r.start = false
				return r.last, nil
			}
			r.makeRoom(max(size, LengthSize))
		} else {
			r.makeRoom(LengthSize)
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

// frameSize is the size of the frame at r, from the bytes buffered (at
// least one): 0 while its length prefix is incomplete.
func (r *Reader) frameSize() (int, error) {
	if r.start && r.buf[r.r] == PstrLen {
		return HandshakeSize, nil
	}
	if r.w-r.r < LengthSize {
		return 0, nil
	}
	n := binary.BigEndian.Uint32(r.buf[r.r:])
	if n > MaxMessageLength {
		if r.start {
			return 0, fmt.Errorf("%w; got % x", ErrNotBitTorrent, r.buf[r.r:r.r+LengthSize])
		}
		return 0, fmt.Errorf("%w: a message of %d bytes, at most %d (a %d-byte block and its header)", ErrTooLong, n, MaxMessageLength, MaxBlock)
	}
	return LengthSize + int(n), nil
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
// and by growing to the largest frame if the frame is longer than the
// buffer.
func (r *Reader) makeRoom(size int) {
	if r.r+size <= len(r.buf) && r.w < len(r.buf) {
		return
	}
	if size > len(r.buf) {
		bigger := make([]byte, LengthSize+MaxMessageLength)
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

// Raw is the frame Next last returned, exactly as it came off the wire.
func (r *Reader) Raw() []byte { return r.last }
