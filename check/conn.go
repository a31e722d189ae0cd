package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// line is one line the peer sent.
type line struct {
	raw  []byte // exact bytes, terminator included (none for a partial last line)
	text []byte // without the terminator
	cmd  string // wire.CommandOf(text)
	msg  wire.Message
	err  error // why text does not parse
	at   time.Time
}

// conn is the checker's end of one connection: raw writes, and a reader
// goroutine that frames lines with the codec's Reader and hands them over
// on a channel, so every wait can have a deadline without spoiling the
// Reader (which keeps a read error for good).
type conn struct {
	ctx           context.Context
	nc            net.Conn
	pace          time.Duration
	local, remote netip.AddrPort
	sending       time.Time // when the last write began: lines read before it do not answer it
	lastWrite     time.Time // when it ended
	release       func()    // ends the connection's turn (see turns), if it has one

	lines chan line     // closed when the stream ends
	done  chan struct{} // closed by close, to release the reader
	endMu sync.Mutex
	end   error // why the stream ended; set before lines closes
	wg    sync.WaitGroup
}

// lineBacklog is how many lines the reader may run ahead of the probe.
const lineBacklog = 1024

func newConn(ctx context.Context, nc net.Conn, pace time.Duration) *conn {
	c := &conn{
		ctx: ctx, nc: nc, pace: pace,
		local:  addrPortOf(nc.LocalAddr()),
		remote: addrPortOf(nc.RemoteAddr()),
		lines:  make(chan line, lineBacklog),
		done:   make(chan struct{}),
	}
	c.wg.Add(1)
	go c.readLoop()
	return c
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

func (c *conn) readLoop() {
	defer c.wg.Done()
	defer close(c.lines)
	rd := wire.NewReader(c.nc, 0)
	for {
		text, err := rd.Next()
		if len(text) > 0 || err == nil {
			l := line{
				raw:  bytes.Clone(rd.Raw()),
				text: bytes.Clone(text),
				cmd:  wire.CommandOf(text),
				at:   time.Now(),
			}
			if err == nil {
				l.msg, l.err = wire.Parse(text)
			} else {
				l.err = errors.New("no line ending before the connection closed")
			}
			select {
			case c.lines <- l:
			case <-c.done:
				return
			}
		}
		if err != nil {
			c.endMu.Lock()
			c.end = err
			c.endMu.Unlock()
			return
		}
	}
}

// closed describes how the peer ended the stream.
func (c *conn) closed() error {
	c.endMu.Lock()
	defer c.endMu.Unlock()
	return &closedError{c.end}
}

// closedError is the peer closing (or resetting) the connection.
type closedError struct{ err error }

func (e *closedError) Error() string {
	switch {
	case e.err == nil, errors.Is(e.err, io.EOF), errors.Is(e.err, io.ErrUnexpectedEOF), errors.Is(e.err, syscall.EPIPE):
		return "the peer closed the connection"
	case errors.Is(e.err, syscall.ECONNRESET):
		return "the peer reset the connection"
	case errors.Is(e.err, wire.ErrLineTooLong):
		return "the peer sent a line longer than " + fmt.Sprint(wire.MaxLine) + " bytes"
	}
	return "connection failed: " + e.err.Error()
}

// noAnswer is a wait that ran out: the peer is still connected, but did
// not send what we waited for. other names what it sent instead.
type noAnswer struct {
	d     time.Duration
	other []line
}

func (e noAnswer) Error() string {
	if len(e.other) == 0 {
		return "the peer stopped answering (nothing within " + e.d.String() + ")"
	}
	return "the peer stopped answering (within " + e.d.String() + " it sent only " + commands(e.other) + ")"
}

// send writes b as it is, after the pacing gap.
func (c *conn) send(b []byte) error {
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
		if isClosed(err) {
			return err // says it all
		}
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// writeTimeout allows a second per 64 KiB on top of a base, so a MiB line
// to a slow but honest peer is not cut short.
func writeTimeout(n int) time.Duration {
	return 5*time.Second + time.Duration(n/(64<<10))*time.Second
}

func describeNetErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
		return &closedError{err}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errors.New("the peer stopped reading")
	}
	return err
}

// next returns the next line within d; the error is noAnswer, a
// *closedError, or the context's.
func (c *conn) next(d time.Duration) (line, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case l, ok := <-c.lines:
		if !ok {
			return line{}, c.closed()
		}
		return l, nil
	case <-t.C:
		return line{}, noAnswer{d: d}
	case <-c.ctx.Done():
		return line{}, c.ctx.Err()
	}
}

// await reads lines for up to d until one satisfies match; it returns that
// line and the ones before it.
func (c *conn) await(d time.Duration, match func(line) bool) (line, []line, error) {
	deadline := time.Now().Add(d)
	var skipped []line
	for {
		l, err := c.next(time.Until(deadline))
		if err != nil {
			if na, ok := err.(noAnswer); ok {
				na.d, na.other = d, skipped
				err = na
			}
			return line{}, skipped, err
		}
		if match(l) {
			return l, skipped, nil
		}
		skipped = append(skipped, l)
	}
}

// watch collects what arrives within d; err is set if the stream ended.
func (c *conn) watch(d time.Duration) ([]line, error) {
	_, got, err := c.await(d, func(line) bool { return false })
	if _, ok := err.(noAnswer); ok {
		err = nil
	}
	return got, err
}

// is matches lines by command.
func is(cmd string) func(line) bool {
	return func(l line) bool { return l.cmd == cmd }
}

// close ends the connection and its reader, and its turn.
func (c *conn) close() {
	close(c.done)
	c.nc.Close()
	c.wg.Wait()
	if c.release != nil {
		c.release()
	}
}

// reset aborts the connection with a TCP RST.
func (c *conn) reset() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.close()
}
