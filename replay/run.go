package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/bitclone/bitclone/peer/feed"
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
	network := "tcp"
	if s.framing.Datagrams { // the toy node: one frame a datagram
		network = "udp"
	}
	nc, err := d.DialContext(ctx, network, to)
	if err != nil {
		return err
	}
	start := time.Now()
	in := collect(s, nc)

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
	in.drain() // what came before the close still counts
	if done {
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

// collector keeps the frames the peer sent, read by a feed. Only Run's
// goroutine uses it: the feed's channel is the only thing shared.
type collector struct {
	s     *Session
	feed  *feed.Feed
	got   []received
	ended bool  // the feed's channel is closed
	why   error // why the stream ended, once ended
}

// received is a frame read in the replay.
type received struct {
	at   time.Time
	line Line // At is set by attribute
}

// backlog is how many frames the feed reads ahead of Run, which drains it
// whenever it waits.
const backlog = 4096

func collect(s *Session, nc net.Conn) *collector {
	return &collector{s: s, feed: feed.Start(nc, s.framing.NewReader(nc), backlog)}
}

// take keeps one frame from the feed; ok is false once the stream ended.
func (c *collector) take(f feed.Frame, ok bool) bool {
	if !ok {
		c.ended, c.why = true, c.feed.Err()
		return false
	}
	c.got = append(c.got, received{f.At, c.s.line(0, f.Frame)})
	return true
}

// drain keeps every frame read so far and the rest, once the connection
// is closed.
func (c *collector) drain() {
	for !c.ended {
		f, ok := <-c.feed.C
		c.take(f, ok)
	}
	c.feed.Close()
}

// since counts the frames received at or after t.
func (c *collector) since(t time.Time) int {
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
	if c.ended {
		return true, c.why
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-t.C:
	case f, ok := <-c.feed.C:
		if !c.take(f, ok) {
			return true, c.why
		}
	case <-ctx.Done():
		return true, ctx.Err()
	}
	return false, nil
}

// attribute puts each frame in the window of the last frame sent before it.
func (c *collector) attribute(s *Session, sentAt []time.Time, start time.Time) {
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
		l := r.line
		l.At = r.at.Sub(start)
		s.Steps[i].Now = append(s.Steps[i].Now, l)
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
	return slices.EqualFunc(a, b, func(x, y Line) bool { return x.Cmd == y.Cmd })
}
