package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/bitclone/bitclone/peer/feed"
)

// Frame is one frame the peer sent, as the dialect's Framing reads it.
type Frame struct {
	Raw  []byte // exact bytes, terminator included (none for a partial last frame)
	Text []byte // as the frame reader returned it (a line without its ending)
	Cmd  string // the dialect's name for its command
	Msg  any    // parsed, or nil and Err says why not
	Err  error
	At   time.Time // when it arrived
}

// Conn is the checker's end of one connection: raw writes, and frames read
// by a feed, so every wait can have a deadline.
type Conn struct {
	ctx           context.Context
	nc            net.Conn
	framing       *Framing
	pace          time.Duration
	local, remote netip.AddrPort
	sending       time.Time // when the last write began: frames read before it do not answer it
	lastWrite     time.Time // when it ended
	release       func()    // ends the connection's turn (see turns), if it has one
	feed          *feed.Feed
}

// frameBacklog is how many frames the reader may run ahead of the probe.
const frameBacklog = 1024

func newConn(ctx context.Context, nc net.Conn, fr *Framing, pace time.Duration) *Conn {
	return &Conn{
		ctx: ctx, nc: nc, framing: fr, pace: pace,
		local:  addrPortOf(nc.LocalAddr()),
		remote: addrPortOf(nc.RemoteAddr()),
		feed:   feed.Start(nc, fr.NewReader(nc), frameBacklog),
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch t := a.(type) {
	case *net.TCPAddr:
		ap = t.AddrPort()
	case *net.UDPAddr: // a datagram dialect's socket (check/toy)
		ap = t.AddrPort()
	default:
		return ap
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Local is our end's address, Remote the peer's.
func (c *Conn) Local() netip.AddrPort  { return c.local }
func (c *Conn) Remote() netip.AddrPort { return c.remote }

// Sending is when the last write began: frames that arrived before it do
// not answer it. LastWrite is when it ended.
func (c *Conn) Sending() time.Time   { return c.sending }
func (c *Conn) LastWrite() time.Time { return c.lastWrite }

func (c *Conn) frame(f feed.Frame) Frame {
	fr := Frame{Raw: f.Raw, Text: f.Frame, At: f.At}
	fr.Cmd, fr.Msg, fr.Err = c.framing.Decode(f.Frame, f.Partial)
	return fr
}

// closed describes how the peer ended the stream.
func (c *Conn) closed() error { return &ClosedError{c.feed.Err(), c.framing} }

// ClosedError is the peer closing (or resetting) the connection, or the
// stream failing.
type ClosedError struct {
	err     error
	framing *Framing
}

func (e *ClosedError) Error() string {
	switch {
	case e.err == nil, errors.Is(e.err, io.EOF), errors.Is(e.err, io.ErrUnexpectedEOF), errors.Is(e.err, syscall.EPIPE):
		return "the peer closed the connection"
	case errors.Is(e.err, syscall.ECONNRESET):
		return "the peer reset the connection"
	}
	if e.framing != nil && e.framing.ReadError != nil {
		if s := e.framing.ReadError(e.err); s != "" {
			return s
		}
	}
	return "connection failed: " + e.err.Error()
}

func (e *ClosedError) Unwrap() error { return e.err }

// NoAnswer is a wait that ran out: the peer is still connected, but did
// not send what we waited for. Other holds what it sent instead.
type NoAnswer struct {
	D     time.Duration
	Other []Frame
}

func (e NoAnswer) Error() string {
	if len(e.Other) == 0 {
		return "the peer stopped answering (nothing within " + e.D.String() + ")"
	}
	return "the peer stopped answering (within " + e.D.String() + " it sent only " + Commands(e.Other) + ")"
}

// IsNoAnswer tells whether err is a NoAnswer.
func IsNoAnswer(err error) bool { return errors.As(err, new(NoAnswer)) }

// Send writes b as it is, after the pacing gap.
func (c *Conn) Send(b []byte) error {
	if wait := time.Until(c.lastWrite.Add(c.pace)); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return c.ctx.Err()
		}
	}
	c.sending = time.Now()
	c.nc.SetWriteDeadline(c.sending.Add(writeTimeout(len(b))))
	_, err := c.nc.Write(b)
	c.lastWrite = time.Now()
	if err := describeNetErr(err); err != nil {
		if IsClosed(err) {
			return err // says it all
		}
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// writeTimeout allows a second per 64 KiB on top of a base, so a MiB
// frame to a slow but honest peer is not cut short.
func writeTimeout(n int) time.Duration {
	return 5*time.Second + time.Duration(n/(64<<10))*time.Second
}

func describeNetErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
		return &ClosedError{err: err}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errors.New("the peer stopped reading")
	}
	return err
}

// IsClosed tells whether err is the peer ending the connection.
func IsClosed(err error) bool {
	var ce *ClosedError
	return errors.As(err, &ce)
}

// Next returns the next frame within d; the error is NoAnswer, a
// *ClosedError, or the run's end.
func (c *Conn) Next(d time.Duration) (Frame, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case f, ok := <-c.feed.C:
		if !ok {
			return Frame{}, c.closed()
		}
		return c.frame(f), nil
	case <-t.C:
		return Frame{}, NoAnswer{D: d}
	case <-c.ctx.Done():
		return Frame{}, c.ctx.Err()
	}
}

// Recv returns the next frame, however long it takes; the error is a
// *ClosedError or the run's end. For serving a connection to us.
func (c *Conn) Recv() (Frame, error) {
	select {
	case f, ok := <-c.feed.C:
		if !ok {
			return Frame{}, c.closed()
		}
		return c.frame(f), nil
	case <-c.ctx.Done():
		return Frame{}, c.ctx.Err()
	}
}

// Await reads frames for up to d until one satisfies match; it returns
// that frame and the ones before it.
func (c *Conn) Await(d time.Duration, match func(Frame) bool) (Frame, []Frame, error) {
	deadline := time.Now().Add(d)
	var skipped []Frame
	for {
		f, err := c.Next(time.Until(deadline))
		if err != nil {
			if na, ok := err.(NoAnswer); ok {
				na.D, na.Other = d, skipped
				err = na
			}
			return Frame{}, skipped, err
		}
		if match(f) {
			return f, skipped, nil
		}
		skipped = append(skipped, f)
	}
}

// Watch collects what arrives within d; err is set if the stream ended.
func (c *Conn) Watch(d time.Duration) ([]Frame, error) {
	_, got, err := c.Await(d, func(Frame) bool { return false })
	if _, ok := err.(NoAnswer); ok {
		err = nil
	}
	return got, err
}

// Is matches frames by command.
func Is(cmd string) func(Frame) bool {
	return func(f Frame) bool { return f.Cmd == cmd }
}

// Answers matches the frames that answer what we last sent on c: frames
// read before we began sending it do not.
func Answers(c *Conn, match func(Frame) bool) func(Frame) bool {
	asked := c.sending
	return func(f Frame) bool { return !f.At.Before(asked) && match(f) }
}

// Close ends the connection, its reader, and its turn.
func (c *Conn) Close() {
	c.feed.Close()
	if c.release != nil {
		c.release()
	}
}

// Reset aborts the connection with a TCP RST.
func (c *Conn) Reset() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// datagrams tells a UDP socket (a datagram dialect's) from a stream: it
// has no connection for the peer to accept, refuse or close.
func (c *Conn) datagrams() bool {
	_, ok := c.nc.(net.PacketConn)
	return ok
}

// hangUp closes the socket; the connection's owner closes the rest.
func (c *Conn) hangUp() { c.nc.Close() }
