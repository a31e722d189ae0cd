package bitclone

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"

	"github.com/bitclone/bitclone/codec/framebuf"
)

// readSize is the buffer a Reader keeps for its whole life. Lines longer
// than this borrow a bigger buffer only while they are being read.
const readSize = 4 << 10

var errBadCount = errors.New("bitclone: reader returned an impossible count")

// Reader frames lines from a stream. It accepts CRLF and bare LF.
type Reader struct {
	src     framebuf.Source
	maxLine int
	small   []byte // the buffer kept between long lines
	buf     []byte // small, or a bigger one while a long line is read
	r, w    int    // buf[r:w] is read from rd but not yet returned
	scanned int    // buf[r:r+scanned] is known to hold no '\n'
	err     error  // from rd, or our own fatal error; returned once buf is drained
	raw     []byte // the last line returned, terminator included
}

// NewReader returns a Reader that refuses lines longer than maxLine bytes
// (terminator excluded); maxLine <= 0 means MaxLine.
func NewReader(r io.Reader, maxLine int) *Reader {
	if maxLine <= 0 {
		maxLine = MaxLine
	}
	maxLine = min(maxLine, math.MaxInt/4) // so maxLine+2 and doubling stay in range
	small := make([]byte, readSize)
	return &Reader{src: framebuf.Source{R: r, BadCount: errBadCount}, maxLine: maxLine, small: small, buf: small}
}

// Next returns the next line without its "\n" and without one trailing
// "\r". The slice is valid only until the next call.
//
// A line longer than the limit gives ErrLineTooLong, and so does every
// later call: the stream can no longer be trusted, close it. At a clean
// end Next returns io.EOF; if the stream ends inside a line it returns
// that partial line (for logging only) with io.ErrUnexpectedEOF. Other
// errors from the underlying reader are returned once the lines completed
// before them are.
func (r *Reader) Next() ([]byte, error) {
	r.shrink()
	for {
		if i := indexNewline(r.buf[r.r+r.scanned : r.w]); i >= 0 {
			end := r.r + r.scanned + i
			line := r.buf[r.r:end]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			r.raw = r.buf[r.r : end+1]
			r.r, r.scanned = end+1, 0
			if len(line) > r.maxLine {
				return r.fail(ErrLineTooLong)
			}
			return line, nil
		}
		r.scanned = r.w - r.r
		// One byte beyond the limit may still be the CR of a CRLF.
		if r.scanned > r.maxLine+1 {
			return r.fail(ErrLineTooLong)
		}
		if r.err != nil {
			return r.end()
		}
		r.makeRoom()
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.err = err
		}
	}
}

// end reports the stored error once no complete line is left.
func (r *Reader) end() ([]byte, error) {
	if r.err != io.EOF || r.r == r.w {
		return nil, r.err
	}
	partial := r.buf[r.r:r.w]
	if len(partial) > r.maxLine {
		return r.fail(ErrLineTooLong)
	}
	r.r, r.scanned = r.w, 0
	r.err = io.ErrUnexpectedEOF
	r.raw = partial
	return partial, r.err
}

// Buffered reports whether bytes after the last line are already read from
// the stream, so the next line may come without waiting for it.
func (r *Reader) Buffered() bool { return r.w > r.r }

// Pending is what has been read from the stream beyond the last line
// returned: a caller may answer whole lines from it and Skip them. Valid
// until the next call.
func (r *Reader) Pending() []byte { return r.buf[r.r:r.w] }

// Skip consumes the first n bytes of Pending, which must be whole lines.
func (r *Reader) Skip(n int) {
	r.r += n
	r.scanned = 0
}

// Raw is the line Next last returned as it came off the wire, with its
// terminator ("\r\n", "\n", or none for a partial last line). Like the
// line, it is valid only until the next call.
func (r *Reader) Raw() []byte { return r.raw }

// fail makes err the answer to this and every later call.
func (r *Reader) fail(err error) ([]byte, error) {
	r.err = err
	r.r, r.w, r.scanned = 0, 0, 0
	r.buf = r.small
	return nil, err
}

// makeRoom ensures buf has space after w: first by moving the pending
// bytes to the front, then by growing towards the longest line allowed.
func (r *Reader) makeRoom() {
	if r.r == r.w {
		r.r, r.w = 0, 0
	}
	if r.w < len(r.buf) {
		return
	}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
		return
	}
	// The buffer holds one unfinished line that fits the limit (Next
	// checked), so the limit is above len(buf) and this always grows.
	bigger := make([]byte, min(2*len(r.buf), r.maxLine+2))
	r.w = copy(bigger, r.buf[r.r:r.w])
	r.buf = bigger
}

// shrink goes back to the small buffer once a long line has been returned,
// so a connection does not keep a big buffer for short lines.
func (r *Reader) shrink() {
	if len(r.buf) == len(r.small) || r.w-r.r > len(r.small) {
		return
	}
	r.w = copy(r.small, r.buf[r.r:r.w])
	r.r = 0
	r.buf = r.small
}

// indexNewline is bytes.IndexByte(b, '\n'), looking at the first 16 bytes
// itself, a word at a time: most lines are short, and two word tests cost
// less than the call.
func indexNewline(b []byte) int {
	if len(b) < 16 {
		return bytes.IndexByte(b, '\n')
	}
	if i := newlineInWord(b); i >= 0 {
		return i
	}
	if i := newlineInWord(b[8:]); i >= 0 {
		return 8 + i
	}
	if i := bytes.IndexByte(b[16:], '\n'); i >= 0 {
		return 16 + i
	}
	return -1
}

// newlineInWord is the index of the first '\n' in b's first 8 bytes, or -1.
func newlineInWord(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := binary.LittleEndian.Uint64(b) ^ ('\n' * ones) // zero bytes where b has '\n'
	// The lowest byte whose high bit this sets is the first zero byte
	// (bits above it may be set by the borrow; they do not matter).
	if z := (w - ones) &^ w & highs; z != 0 {
		return bits.TrailingZeros64(z) / 8
	}
	return -1
}
