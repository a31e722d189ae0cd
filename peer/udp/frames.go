package udp

import (
	"errors"
	"fmt"
	"io"
)

// FrameReader reads one frame per datagram from a Conn (through whatever
// wraps it): it has peer.FrameReader's Next. A datagram longer than its
// limit is refused with an error wrapping ErrTooLong, which closes the
// peer.Conn with a reason that says so.
type FrameReader struct {
	r     io.Reader
	limit int
	buf   []byte
}

// ErrTooLong refuses a datagram longer than a FrameReader's limit.
var ErrTooLong = errors.New("datagram too long")

// NewFrameReader reads datagrams of at most limit bytes (at most
// MaxDatagram; <= 0 means MaxDatagram) from r, which must return one
// datagram per Read, as a Conn does.
func NewFrameReader(r io.Reader, limit int) *FrameReader {
	if limit <= 0 || limit > MaxDatagram {
		limit = MaxDatagram
	}
	return &FrameReader{r: r, limit: limit}
}

// Next returns the next datagram, valid until the next call. An empty
// datagram is an empty frame.
func (f *FrameReader) Next() ([]byte, error) {
	if f.buf == nil {
		// One byte over the limit, so that a longer datagram shows.
		f.buf = make([]byte, f.limit+1)
	}
	n, err := f.r.Read(f.buf)
	if err != nil {
		return nil, err
	}
	if n > f.limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLong, f.limit)
	}
	return f.buf[:n], nil
}
