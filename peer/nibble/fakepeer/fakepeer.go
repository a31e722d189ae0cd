// Package fakepeer is a NibbleTorrent peer for tests, written from the
// spec's bytes without codec/nibble, so that a bug in the codec cannot hide
// in both sides of a test. It seeds a file (Seeder) or fetches pieces
// (Fetch), and can behave like the classmates' peers that DIALECTS.md
// describes: quirks are switched on one by one.
package fakepeer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/bitclone/bitclone/peer/nodetest"
)

// Frame types, from the spec.
const (
	HelloRequest  = 0x01
	HelloResponse = 0x02
	PieceRequest  = 0x03
	PieceResponse = 0x04
	ErrorResponse = 0x05
)

const headerSize = 4

// Frame builds one frame: version 1, typ, 16-bit big-endian length, data.
func Frame(typ byte, data []byte) []byte {
	f := make([]byte, headerSize, headerSize+len(data))
	f[0], f[1] = 1, typ
	binary.BigEndian.PutUint16(f[2:], uint16(len(data)))
	return append(f, data...)
}

// ReadFrame reads one frame the way a careful peer does (io.ReadFull).
func ReadFrame(r io.Reader) (typ byte, data []byte, err error) {
	version, typ, data, err := readAnyFrame(r)
	if err == nil && version != 1 {
		err = fmt.Errorf("fakepeer: version %#02x", version)
	}
	return typ, data, err
}

// readAnyFrame reads one whole frame whatever its version, so that a
// seeder can answer a frame of another version and stay in step.
func readAnyFrame(r io.Reader) (version, typ byte, data []byte, err error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, nil, err
	}
	data = make([]byte, binary.BigEndian.Uint16(h[2:]))
	if _, err := io.ReadFull(r, data); err != nil {
		return 0, 0, nil, err
	}
	return h[0], h[1], data, nil
}

// readOneRecv reads a frame as a peer that calls recv() once per frame
// does: the header is the read's first 4 bytes, the data what follows of
// it (cut short if the frame was split), and the rest of the read is lost.
func readOneRecv(r io.Reader, buf []byte) (version, typ byte, data []byte, err error) {
	for {
		n, err := r.Read(buf)
		if err != nil {
			return 0, 0, nil, err
		}
		if n < headerSize {
			continue // not even a header: dropped
		}
		end := min(n, headerSize+int(binary.BigEndian.Uint16(buf[2:])))
		return buf[0], buf[1], append([]byte(nil), buf[headerSize:end]...), nil
	}
}

// Index encodes a piece index in width bytes (0: the fewest, at least one).
func Index(i, width int) []byte {
	if width == 0 {
		width = 1
		for v := i >> 8; v > 0; v >>= 8 {
			width++
		}
	}
	b := make([]byte, width)
	for k := width - 1; k >= 0; k-- {
		b[k] = byte(i)
		i >>= 8
	}
	return b
}

// Quirks are the classmates' habits a Seeder can copy.
type Quirks struct {
	// ClaimAll: the hello response claims every piece, whatever the
	// seeder has; requests for pieces it lacks get an error frame.
	ClaimAll bool
	// Corrupt lists pieces sent with their last byte flipped.
	Corrupt map[int]bool
	// CloseMidPiece closes the connection halfway through the response to
	// this piece (-1 or 0 value with CloseMidPieceOn false: never).
	CloseMidPiece   int
	CloseMidPieceOn bool
	// ErrorMidTransfer answers the Nth piece request (1-based) on each
	// connection with an error frame instead of the piece.
	ErrorMidTransfer int
	// EchoErrors answers an error frame with an error frame, then closes.
	EchoErrors bool
	// SplitWrites writes every frame's header and payload in separate
	// writes, SplitGap apart, so they cross the wire as separate segments:
	// legal, but it trips peers that recv() once per frame.
	SplitWrites bool
	SplitGap    time.Duration
	// ShortBitfield writes the bitfield through an integer, as
	// int.to_bytes with the fewest bytes does: leading zero bytes are
	// dropped, so a peer missing the first pieces sends too few bytes.
	ShortBitfield bool
	// SpareBits sets the spare bits of the bitfield's last byte.
	SpareBits bool
	// HelloAnyTorrent answers a hello for any torrent with its bitfield.
	HelloAnyTorrent bool
	// CloseOnOutOfRange closes the connection, without a word, on a
	// request for a piece past the last.
	CloseOnOutOfRange bool
	// IndexBytes, if set, reads a piece index from only the first
	// IndexBytes bytes of the request (a fixed-width reader).
	IndexBytes int
	// OneRecv reads every frame with a single recv(): a frame split
	// across segments arrives torn, and the frames after the first in one
	// segment are lost.
	OneRecv bool
	// IgnoreVersion reads a frame of any version as version 1.
	IgnoreVersion bool
	// AnyIndexWidth reads a piece index of any width (5 bytes and more).
	AnyIndexWidth bool
	// SilentOnUnknownType drops frames of an unknown type without a word.
	SilentOnUnknownType bool
	// CloseAfterErrors closes the connection after sending an error frame.
	CloseAfterErrors bool
	// OneConnAtATime serves a connection until it closes before taking
	// the next, as a peer whose upload slot is its only thread does.
	OneConnAtATime bool
}

// Seeder serves pieces of one torrent on a listener until Close.
type Seeder struct {
	ID        [20]byte
	PieceSize int
	Data      []byte         // the whole file
	Has       func(int) bool // nil: every piece
	Quirks    Quirks

	mu       sync.Mutex
	requests []int           // every piece requested, in order
	srv      nodetest.Server // the accept loop
}

// Pieces is how many pieces the file has.
func (s *Seeder) Pieces() int { return (len(s.Data) + s.PieceSize - 1) / s.PieceSize }

func (s *Seeder) has(i int) bool { return i >= 0 && i < s.Pieces() && (s.Has == nil || s.Has(i)) }

// Requests returns the piece indexes asked for so far, in order.
func (s *Seeder) Requests() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.requests...)
}

// Serve accepts connections on ln in the background; Close stops it.
func (s *Seeder) Serve(ln net.Listener) {
	s.srv.OneAtATime = s.Quirks.OneConnAtATime
	s.srv.Serve(ln, s.serve)
}

// Close stops the listener and every connection, and waits for them.
func (s *Seeder) Close() { s.srv.Close() }

func (s *Seeder) serve(c net.Conn) {
	served := 0
	read := readAnyFrame
	if s.Quirks.OneRecv {
		buf := make([]byte, headerSize+65535)
		read = func(r io.Reader) (byte, byte, []byte, error) { return readOneRecv(r, buf) }
	}
	for {
		version, typ, data, err := read(c)
		if err != nil {
			return
		}
		if version != 1 && !s.Quirks.IgnoreVersion {
			s.write(c, Frame(ErrorResponse, []byte("Unsupported version")))
			continue
		}
		switch typ {
		case HelloRequest:
			if !s.Quirks.HelloAnyTorrent && (len(data) != 20 || [20]byte(data) != s.ID) {
				s.write(c, Frame(ErrorResponse, []byte("Unknown torrent")))
				continue
			}
			s.write(c, Frame(HelloResponse, s.bitfield()))
		case PieceRequest:
			if len(data) > 4 && !s.Quirks.AnyIndexWidth {
				s.write(c, Frame(ErrorResponse, []byte("Malformed piece request")))
				continue
			}
			if w := s.Quirks.IndexBytes; w > 0 && len(data) > w {
				data = data[:w]
			}
			i := 0
			for _, b := range data {
				i = i<<8 | int(b)
			}
			s.mu.Lock()
			s.requests = append(s.requests, i)
			s.mu.Unlock()
			served++
			if !s.serveRequest(c, i, served) {
				return
			}
		case ErrorResponse:
			if s.Quirks.EchoErrors {
				s.write(c, Frame(ErrorResponse, []byte("error")))
				return
			}
		default:
			if !s.Quirks.SilentOnUnknownType {
				s.write(c, Frame(ErrorResponse, []byte("Unknown message type")))
			}
		}
	}
}

// serveRequest answers one piece request; false closes the connection.
func (s *Seeder) serveRequest(c net.Conn, i, nth int) bool {
	q := s.Quirks
	switch {
	case q.CloseOnOutOfRange && i >= s.Pieces():
		return false
	case i < 0 || i >= s.Pieces():
		return s.write(c, Frame(ErrorResponse, []byte("Piece index out of range")))
	case !s.has(i) || nth == q.ErrorMidTransfer:
		return s.write(c, Frame(ErrorResponse, []byte("Piece not available")))
	}
	piece := append([]byte(nil), s.Data[i*s.PieceSize:min(len(s.Data), (i+1)*s.PieceSize)]...)
	if q.Corrupt[i] {
		piece[len(piece)-1] ^= 0xff
	}
	f := Frame(PieceResponse, piece)
	if q.CloseMidPieceOn && i == q.CloseMidPiece {
		c.Write(f[:len(f)/2])
		return false
	}
	return s.write(c, f)
}

func (s *Seeder) write(c net.Conn, f []byte) bool {
	if s.Quirks.CloseAfterErrors && f[1] == ErrorResponse {
		defer c.Close() // the next read fails, and the connection ends
	}
	if s.Quirks.SplitWrites {
		if _, err := c.Write(f[:headerSize]); err != nil {
			return false
		}
		time.Sleep(s.Quirks.SplitGap) // the quirk itself: a slow sender
		f = f[headerSize:]
	}
	_, err := c.Write(f)
	return err == nil
}

func (s *Seeder) bitfield() []byte {
	n := s.Pieces()
	b := make([]byte, (n+7)/8)
	for i := range n {
		if s.Quirks.ClaimAll || s.has(i) {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	if s.Quirks.SpareBits && n%8 != 0 {
		b[len(b)-1] |= 0xff >> (n % 8)
	}
	if s.Quirks.ShortBitfield {
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
		}
	}
	return b
}

// FetchOptions are a leecher's habits.
type FetchOptions struct {
	// IndexWidth is the bytes per piece index in requests; 0 sends the
	// fewest. Some classmates always send ceil(bits(pieces)/8) bytes.
	IndexWidth int
	// OneRecv reads each frame with a single Read, as peers that call
	// recv() once do: a frame that arrives in pieces is an error. Such
	// peers ask for one piece at a time, so OneRecv ignores Pipeline.
	OneRecv bool
	// Pipeline is the number of requests kept in flight (default 1).
	Pipeline int
}

// ErrTornFrame is what a OneRecv leecher reports for a frame that did not
// arrive in one read.
var ErrTornFrame = errors.New("fakepeer: frame did not arrive in one read")

// Fetch says hello to the peer at addr and downloads the given pieces,
// returning their data by index. Error frames in answer to requests are
// returned as an error naming the piece.
func Fetch(addr string, id [20]byte, pieces []int, o FetchOptions) (map[int][]byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	read := func() (byte, []byte, error) { return ReadFrame(c) }
	if o.OneRecv {
		buf := make([]byte, headerSize+65535)
		read = func() (byte, []byte, error) {
			n, err := c.Read(buf)
			if err != nil {
				return 0, nil, err
			}
			if n < headerSize || n != headerSize+int(binary.BigEndian.Uint16(buf[2:])) {
				return 0, nil, fmt.Errorf("%w: got %d bytes", ErrTornFrame, n)
			}
			return buf[1], append([]byte(nil), buf[headerSize:n]...), nil
		}
	}
	if _, err := c.Write(Frame(HelloRequest, id[:])); err != nil {
		return nil, err
	}
	typ, data, err := read()
	if err != nil {
		return nil, fmt.Errorf("hello: %w", err)
	}
	if typ != HelloResponse {
		return nil, fmt.Errorf("hello: answered with type %#02x: %q", typ, data)
	}
	got := map[int][]byte{}
	window := max(1, o.Pipeline)
	if o.OneRecv {
		window = 1
	}
	sent := 0
	for len(got) < len(pieces) {
		for sent < len(pieces) && sent-len(got) < window {
			if _, err := c.Write(Frame(PieceRequest, Index(pieces[sent], o.IndexWidth))); err != nil {
				return got, err
			}
			sent++
		}
		typ, data, err := read()
		if err != nil {
			return got, fmt.Errorf("piece %d: %w", pieces[len(got)], err)
		}
		if typ != PieceResponse {
			return got, fmt.Errorf("piece %d: answered with type %#02x: %q", pieces[len(got)], typ, data)
		}
		got[pieces[len(got)]] = data
	}
	return got, nil
}
