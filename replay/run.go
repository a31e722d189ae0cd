package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// Options tune a replay.
type Options struct {
	// Fast sends every frame at once, in a burst, instead of with the
	// recorded gaps. The answers then land in the window of whatever was
	// sent last before them.
	Fast bool
	// Wait is how long to keep listening after the last send (default 2s).
	Wait time.Duration
	// Timeout bounds the connect and each write (default 5s).
	Timeout time.Duration
}

// Defaults.
const (
	DefaultWait    = 2 * time.Second
	DefaultTimeout = 5 * time.Second
	// MaxSync is how much later than its recorded gap a frame may be sent
	// while the answers that came before it originally are awaited.
	MaxSync = time.Second
	// maxLine lets long lines through, so the replay shows what came.
	maxLine = 4 << 20
)

// Run dials to, sends the session's frames and fills in each step's Now,
// and ClosedNow and Stopped. It returns an error only when the peer cannot
// be reached.
//
// Without Fast, each frame keeps its recorded gap to the one before, and is
// also held back (by at most MaxSync) until as many lines have come back
// since that one as came back originally, so that an answer is sent after
// what it answers even when the peer is slower than it was.
func Run(ctx context.Context, s *Session, to string, o Options) error {
	if o.Wait <= 0 {
		o.Wait = DefaultWait
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	d := net.Dialer{Timeout: o.Timeout}
	nc, err := d.DialContext(ctx, "tcp", to)
	if err != nil {
		return err
	}
	start := time.Now()
	in := collect(nc)

	sentAt := make([]time.Time, len(s.Steps))
	sentAt[0] = start
	var endErr error
	done := false
	for i := 1; i < len(s.Steps) && !done; i++ {
		if !o.Fast {
			due := sentAt[i-1].Add(s.Steps[i].At - s.Steps[i-1].At)
			if done, endErr = in.awaitTurn(ctx, due, sentAt[i-1], len(s.Steps[i-1].Then)); done {
				break
			}
		}
		// Stamped before writing: an answer can come back before Write returns.
		sentAt[i] = time.Now()
		nc.SetWriteDeadline(sentAt[i].Add(o.Timeout))
		if _, err := nc.Write(s.Steps[i].Sent); err != nil {
			s.Stopped = fmt.Sprintf("stopped at #%d: write: %v", i, err)
			break
		}
	}
	for deadline := time.Now().Add(o.Wait); !done && time.Now().Before(deadline); {
		done, endErr = in.wait(ctx, deadline)
	}
	nc.Close()
	if !done {
		<-in.ended // the reader ends now that the connection is closed
	} else {
		s.ClosedNow = describeEnd(endErr)
		if s.Stopped == "" && sentAt[len(sentAt)-1].IsZero() {
			s.Stopped = "stopped early: the peer closed the connection"
		}
	}
	if err := ctx.Err(); err != nil && s.Stopped == "" {
		s.Stopped = "interrupted"
	}
	in.attribute(s, sentAt, start)
	return nil
}

// collector reads the peer's lines on a goroutine of its own.
type collector struct {
	mu      sync.Mutex
	got     []received
	arrived chan struct{} // signalled (lossily) on each line
	ended   chan error    // why the stream ended, sent once
}

// received is a line read in the replay.
type received struct {
	at   time.Time
	text string
}

func collect(nc net.Conn) *collector {
	c := &collector{arrived: make(chan struct{}, 1), ended: make(chan error, 1)}
	go func() {
		rd := wire.NewReader(nc, maxLine)
		for {
			text, err := rd.Next()
			if len(text) > 0 || err == nil {
				c.mu.Lock()
				c.got = append(c.got, received{time.Now(), codec.Printable(text)})
				c.mu.Unlock()
				select {
				case c.arrived <- struct{}{}:
				default:
				}
			}
			if err != nil {
				c.ended <- err
				return
			}
		}
	}()
	return c
}

// since counts the lines received at or after t.
func (c *collector) since(t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.got {
		if !r.at.Before(t) {
			n++
		}
	}
	return n
}

// awaitTurn waits until due, and then until want lines have come since
// prev or MaxSync has passed. It reports done, and why, when the peer ends
// the stream or ctx ends first.
func (c *collector) awaitTurn(ctx context.Context, due, prev time.Time, want int) (done bool, why error) {
	latest := due.Add(MaxSync)
	for {
		now := time.Now()
		if !now.Before(due) && (c.since(prev) >= want || !now.Before(latest)) {
			return false, nil
		}
		until := due
		if !now.Before(due) {
			until = latest
		}
		if done, why := c.wait(ctx, until); done {
			return true, why
		}
	}
}

// wait waits until deadline or the next line, unless first the peer ends
// the stream or ctx ends: then it reports done, and why.
func (c *collector) wait(ctx context.Context, deadline time.Time) (done bool, why error) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.arrived:
	case err := <-c.ended:
		return true, err
	case <-ctx.Done():
		return true, ctx.Err()
	}
	return false, nil
}

// attribute puts each line in the window of the last frame sent before it.
func (c *collector) attribute(s *Session, sentAt []time.Time, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range s.Steps {
		s.Steps[i].Now = nil
	}
	for _, r := range c.got {
		i := 0
		for j := range sentAt {
			if !sentAt[j].IsZero() && !r.at.Before(sentAt[j]) {
				i = j
			}
		}
		s.Steps[i].Now = append(s.Steps[i].Now, Line{At: r.at.Sub(start), Text: r.text})
	}
}

func describeEnd(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return err.Error()
}

// sameCommands tells whether two windows hold the same commands in the
// same order: nonces and times differ from run to run, commands should not.
func sameCommands(a, b []Line) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if command(a[i].Text) != command(b[i].Text) {
			return false
		}
	}
	return true
}

func command(text string) string {
	return wire.CommandOf([]byte(text))
}
