package peer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// FrameReader splits a byte stream into frames (lines, for a text dialect).
// The returned slice is valid only until the next call.
type FrameReader interface {
	Next() ([]byte, error)
}

// Framing is what a dialect tells a Conn about its wire format.
type Framing struct {
	// NewReader wraps the connection's byte stream (unbuffered: the frame
	// reader does its own buffering).
	NewReader func(r io.Reader) FrameReader
	// Command names a frame's command for the statistics. It must return one
	// of a small fixed set of strings (not peer-chosen text), so a peer cannot
	// grow the per-command tables.
	Command func(frame []byte) string
	// Text is the frame as a log line (for a text dialect, the line without
	// its ending): a part of frame, which the Conn copies.
	Text func(frame []byte) []byte
	// Overhead is what a received frame carried on the wire beyond the bytes
	// the reader returns (2 for a CRLF line), for the byte counters.
	Overhead int
	// Unfinished says what a peer that hung up mid-frame left out, for the
	// close reason: "had no line ending" for a text dialect; empty means
	// "were not a whole frame".
	Unfinished string
	// Datagrams writes every frame with a write of its own: over a datagram
	// transport (peer/udp) a write is a datagram, and frames merged into one
	// would reach the peer as one message. Without it, frames queued
	// together go out in one write.
	Datagrams bool
}

// Connection defaults.
const (
	DefaultSendBuffer   = 256 << 10        // bytes waiting to be written before the peer counts as stuck
	DefaultWriteTimeout = 30 * time.Second // one write may take this long
	keepBuffer          = 16 << 10         // a bigger send buffer is let go once written
	// replyBatch is how many bytes of replies wait for the end of a socket
	// read before they are queued anyway (a burst of requests with big
	// answers must not grow memory without bound).
	replyBatch = 16 << 10
	// replyEarly is how many bytes of replies to a socket read are
	// written at once, before the rest of its frames are handled: a
	// pipelining peer gets its first answers to work on while we answer
	// the rest with one more write at the end of the read. Measured on the
	// pipelined benchmark (docs/PERFORMANCE.md): once per read beat every
	// replyEarly bytes (a loopback write costs some 3 µs here); 512 bytes
	// was best while each ping went through the handler, 2 KiB once runs
	// of pings were answered quickly (half the benchmark's 4 KiB read).
	replyEarly = 2048
)

// ConnConfig tunes one connection.
type ConnConfig struct {
	ID           uint64
	Dir          Direction
	Framing      Framing
	Bus          *Bus
	IdleTimeout  time.Duration // close after this long with nothing received (0: never)
	WriteTimeout time.Duration // default DefaultWriteTimeout
	Pace         time.Duration // minimum gap between writes (0: write as fast as possible)
	SendBuffer   int           // bytes; default DefaultSendBuffer
	Recorder     Recorder      // told every frame with its exact bytes (nil: none)
}

// ErrSendQueueFull closes a connection whose peer does not read what we send.
var ErrSendQueueFull = errors.New("send queue full: peer is not reading")

// Conn is one TCP connection: a reader loop run by Serve, a writer goroutine
// with a bounded queue and write deadlines, and statistics. It knows nothing
// of any address book or protocol policy; the handler passed to Serve does.
type Conn struct {
	cfg     ConnConfig
	nc      net.Conn
	remote  netip.AddrPort
	peer    string // remote as text, for events
	local   netip.AddrPort
	started time.Time

	out  *outbox
	done chan struct{}

	closeOnce sync.Once
	closeErr  error       // set once, before done closes
	closing   atomic.Bool // set with closeErr: Reply asks it for every frame, cheaper than done

	in, sent traffic

	// Reader goroutine only: what one socket read brought, shown, counted
	// and answered at once when its last frame is handled.
	inEvents   eventBatch
	inTally    tally
	replies    []byte
	replyEnds  []queued
	holdUntil  time.Time // read nothing more from the socket before this
	wroteEarly bool      // this read's first replies are written
	quick      QuickAnswer
	quickCmd   string // the command of the frames quick answers
	quickReply string // and of its answers

	// Under wmu, held by whoever writes (the writer goroutine, or the read
	// loop writing its own replies): the same for one write, and the
	// buffers the outbox is swapped with.
	wmu       sync.Mutex
	outEvents eventBatch
	holdSent  bool // keep outEvents unpublished (writeEarly moves them)
	outTally  tally
	wbuf      []byte
	wframes   []queued
}

// traffic is one direction's counters. Each direction has one writer (the
// reader loop or the writer goroutine), which adds a whole read's or
// write's tally at once; the mutex is for snapshots.
type traffic struct {
	mu    sync.Mutex
	last  time.Time
	msgs  uint64
	bytes uint64
	byCmd map[string]Counter
}

func (t *traffic) add(n *tally) {
	if n.msgs == 0 {
		return
	}
	t.mu.Lock()
	t.last = n.last
	t.msgs += n.msgs
	t.bytes += n.bytes
	for _, c := range n.byCmd {
		sum := t.byCmd[c.cmd]
		sum.Msgs += c.Msgs
		sum.Bytes += c.Bytes
		t.byCmd[c.cmd] = sum
	}
	t.mu.Unlock()
	*n = tally{byCmd: n.byCmd[:0]}
}

// tally counts the frames of one socket read or write without a lock or a
// map: a burst has few distinct commands, so a short list is searched,
// starting with the command counted last (a burst is mostly one command).
type tally struct {
	last        time.Time // when the read or write happened
	msgs, bytes uint64
	byCmd       []cmdCount
	hit         int // index in byCmd of the command counted last
}

type cmdCount struct {
	cmd string
	Counter
}

// count adds msgs frames of cmd, n bytes in all.
func (t *tally) count(cmd string, msgs, n uint64) {
	t.msgs += msgs
	t.bytes += n
	if t.hit >= len(t.byCmd) || !sameString(t.byCmd[t.hit].cmd, cmd) {
		t.find(cmd)
	}
	c := &t.byCmd[t.hit]
	c.Msgs += msgs
	c.Bytes += n
}

// countRuns counts queued frames, the first starting at offset begin: once
// per run of frames of one command (a burst of answers is mostly one), not
// once per frame.
func (t *tally) countRuns(frames []queued, begin int) {
	for i := 0; i < len(frames); {
		cmd, j := frames[i].cmd, i+1
		for j < len(frames) && sameString(frames[j].cmd, cmd) {
			j++
		}
		end := frames[j-1].end
		t.count(cmd, uint64(j-i), uint64(end-begin))
		i, begin = j, end
	}
}

// find points hit at cmd's entry, adding one if needed.
func (t *tally) find(cmd string) {
	i := 0
	for i < len(t.byCmd) && t.byCmd[i].cmd != cmd {
		i++
	}
	if i == len(t.byCmd) {
		t.byCmd = append(t.byCmd, cmdCount{cmd: cmd})
	}
	t.hit = i
}

// sameString says whether a and b are the same string in memory: command
// names are constants, so this finds the last command again without
// comparing bytes. Equal strings elsewhere in memory only take count the
// long way, which compares them.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// NewConn wraps nc. Nothing runs until Serve.
func NewConn(nc net.Conn, cfg ConnConfig) *Conn {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = DefaultSendBuffer
	}
	c := &Conn{
		cfg:     cfg,
		nc:      nc,
		remote:  AddrPortOf(nc.RemoteAddr()),
		local:   AddrPortOf(nc.LocalAddr()),
		started: time.Now(),
		out:     newOutbox(cfg.SendBuffer),
		done:    make(chan struct{}),
	}
	c.peer = c.remote.String()
	if !c.remote.IsValid() {
		c.peer = nc.RemoteAddr().String()
	}
	c.in.byCmd = make(map[string]Counter)
	c.sent.byCmd = make(map[string]Counter)
	return c
}

// AddrPortOf is the IP (IPv4-mapped addresses unmapped) and port of a TCP
// or UDP address, or of any address whose text parses as one; {} otherwise.
func AddrPortOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch t := a.(type) {
	case *net.TCPAddr:
		ap = t.AddrPort()
	case *net.UDPAddr:
		ap = t.AddrPort()
	}
	if ap.IsValid() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if a != nil {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return ap
		}
	}
	return netip.AddrPort{}
}

// ID identifies the connection within its node.
func (c *Conn) ID() uint64 { return c.cfg.ID }

// Dir says who dialled.
func (c *Conn) Dir() Direction { return c.cfg.Dir }

// Remote is the remote end's address.
func (c *Conn) Remote() netip.AddrPort { return c.remote }

// RemoteString is Remote as text, or the net.Addr's text when it is not IP.
func (c *Conn) RemoteString() string { return c.peer }

// Local is our end's address.
func (c *Conn) Local() netip.AddrPort { return c.local }

// Started is when the connection was made.
func (c *Conn) Started() time.Time { return c.started }

// Done is closed once the connection is closing.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection closed (nil while open).
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.closeErr
	default:
		return nil
	}
}

// Close ends the connection with a reason; only the first reason counts.
// It never blocks.
func (c *Conn) Close(reason error) {
	if reason == nil {
		reason = errors.New("closed")
	}
	c.closeOnce.Do(func() {
		c.closeErr = reason
		c.closing.Store(true)
		close(c.done)
		c.nc.Close()
	})
}

// Send queues a copy of frame from outside the read loop (timers, the user). A full
// queue means the peer stopped reading: the connection is closed rather than
// letting memory grow. It reports whether the frame was queued. Send never
// blocks.
func (c *Conn) Send(frame []byte, cmd string) bool {
	if c.Err() != nil {
		return false
	}
	if !c.out.put(frame, cmd) {
		c.Close(ErrSendQueueFull)
		return false
	}
	return true
}

// Reply queues a copy of frame, waiting for room if the queue is full. Only the
// handler passed to Serve may call it (or the goroutine that calls Serve,
// before it does): blocking there stops us reading from a peer that sends
// faster than it reads our answers, which is TCP's own backpressure instead
// of an ever-growing queue. Replies are handed to the writer when the frames
// of the current socket read are handled, or sooner once replyBatch bytes
// of them wait (replyEarly when no events are built), after the events of
// the frames handled so far are published: so an answer never precedes its
// question in the log, and a burst of requests is answered with few
// writes. It reports whether the frame was queued.
func (c *Conn) Reply(frame []byte, cmd string) bool {
	return c.Replied(append(c.replies, frame...), cmd)
}

// Replies is the start of an answer built in place: the replies of this
// socket read so far, for the handler to append one frame to and hand back
// to Replied. The busiest answers (a pong per ping) are then written once,
// not built and copied. Only the handler passed to Serve may call it.
func (c *Conn) Replies() []byte { return c.replies }

// Replied queues the frame that the handler appended to Replies' slice
// (buf is that slice with the frame appended), as Reply does.
func (c *Conn) Replied(buf []byte, cmd string) bool {
	c.replies = buf
	c.replyEnds = append(c.replyEnds, queued{len(buf), cmd})
	if len(buf) >= replyBatch {
		return c.flushRead(true)
	}
	if !c.wroteEarly && len(buf) >= replyEarly {
		c.wroteEarly = true
		c.writeEarly()
	}
	return !c.closing.Load()
}

// QuickAnswer answers the frame at the start of buffered (bytes read but
// not yet handled) if it is one that needs nothing but an answer: it
// returns the frame's length on the wire n, the frame as the frame reader
// would return it, and dst with the answer appended. n is 0 for any other
// frame, or one not yet complete, which then goes to the handler.
type QuickAnswer func(buffered, dst []byte) (n int, frame, out []byte)

// AnswerQuickly has answer reply, without the handler, to the frames that
// follow a handled frame in the same socket read, for as long as it
// answers them: a pipelining peer's run of pings costs one pass over the
// buffer, not the whole way through the handler for each. cmd names the
// command of the frames it answers, reply that of its answers. The frames
// and answers are counted, shown and recorded like any other. nil turns it
// off. Only the handler passed to Serve may call it: the handler's state
// decides which frames need nothing but an answer, and answer must not
// change that state.
func (c *Conn) AnswerQuickly(answer QuickAnswer, cmd, reply string) {
	c.quick, c.quickCmd, c.quickReply = answer, cmd, reply
}

// Note adds a notice about this connection (a warning, say) to the events
// of the socket read being handled, after those of the frames handled so
// far, so that the log shows it after the frame that caused it, not before
// the whole read's frames. Only the handler passed to Serve may call it;
// from elsewhere, publish on the bus.
func (c *Conn) Note(kind Kind, text string) {
	c.note(Event{At: time.Now(), Kind: kind, ConnID: c.cfg.ID, Peer: c.peer, Dir: c.cfg.Dir, Text: text})
}

// NoteNode is Note for a notice about the whole node that a frame of this
// connection brought about (the last piece of a download, say).
func (c *Conn) NoteNode(kind Kind, text string) {
	c.note(Event{At: time.Now(), Kind: kind, Text: text})
}

func (c *Conn) note(e Event) {
	if c.cfg.Bus != nil {
		c.inEvents.events = append(c.inEvents.events, e)
	}
}

// HoldReads keeps the read loop from reading the socket again before until,
// once the frames already read are handled: TCP then holds back a peer that
// sends faster than we allow. Only the handler passed to Serve may call it.
func (c *Conn) HoldReads(until time.Time) {
	if until.After(c.holdUntil) {
		c.holdUntil = until
	}
}

// Serve runs the connection until it closes: the writer goroutine, and the
// read loop on the calling goroutine, which hands each frame to handle. A
// handler error closes the connection with that error. Serve returns the
// reason the connection closed, after both loops have ended. The handler is
// also given the time the frame was read, so that nobody reads the clock
// twice per message (it is slow on some machines).
func (c *Conn) Serve(handle func(frame []byte, at time.Time) error) error {
	if c.cfg.Recorder != nil {
		c.record(c.started, KindConnected, nil, "")
		defer func() { c.record(time.Now(), KindClosed, nil, c.closeErr.Error()) }()
	}
	c.outEvents.begin(c.cfg.Bus) // before anything is written, by either goroutine
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writeLoop()
	}()
	c.readLoop(handle)
	wg.Wait()
	return c.closeErr
}

func (c *Conn) readLoop(handle func([]byte, time.Time) error) {
	now := time.Now()
	src := io.Reader(c.nc)
	var idle *idleReader
	if c.cfg.IdleTimeout > 0 {
		idle = &idleReader{nc: c.nc, limit: c.cfg.IdleTimeout, last: now}
		c.nc.SetReadDeadline(now.Add(c.cfg.IdleTimeout))
		src = idle
	}
	fr := c.cfg.Framing.NewReader(src)
	bf, _ := fr.(BufferedFrameReader)
	raw, _ := fr.(RawFrameReader)
	pending, _ := fr.(PendingFrameReader)
	for {
		waited := bf == nil || !bf.Buffered()
		if waited {
			held, ok := c.endRead()
			if !ok {
				return
			}
			if held && idle != nil {
				idle.last = time.Now() // we kept the peer waiting, not the reverse
			}
		}
		frame, err := fr.Next()
		if waited {
			now = time.Now()
		}
		if err != nil {
			if len(frame) > 0 {
				// The peer hung up in the middle of a frame; show what it
				// sent, since a missing line ending (or a short frame) is
				// a classic bug.
				c.received(raw, frame, 0, now)
				unfinished := c.cfg.Framing.Unfinished
				if unfinished == "" {
					unfinished = "were not a whole frame"
				}
				err = fmt.Errorf("%w: %d bytes at the end %s", err, len(frame), unfinished)
			}
			c.flushRead(false)
			c.Close(c.readError(err))
			return
		}
		if idle != nil {
			idle.last = now
		}
		c.received(raw, frame, c.cfg.Framing.Overhead, now)
		if err := handle(frame, now); err != nil {
			c.flushRead(false)
			c.Close(err)
			return
		}
		if c.quick != nil && pending != nil {
			c.answerQuickly(pending, now)
		}
	}
}

// answerQuickly answers the frames at the start of what r holds with
// c.quick until it answers one no more. A frame that is neither shown nor
// recorded is only counted, once for the whole run.
func (c *Conn) answerQuickly(r PendingFrameReader, now time.Time) {
	buf := r.Pending()
	each := c.inEvents.wanted || c.cfg.Recorder != nil
	done, uncounted := 0, 0
	for done < len(buf) {
		n, frame, out := c.quick(buf[done:], c.replies)
		if n == 0 {
			break
		}
		if each {
			c.account(c.quickCmd, frame, buf[done:done+n], n, now)
		} else {
			uncounted++
		}
		done += n
		if !c.Replied(out, c.quickReply) {
			break // closing
		}
	}
	r.Skip(done)
	if uncounted > 0 {
		c.inTally.count(c.quickCmd, uint64(uncounted), uint64(done))
		c.inTally.last = now
	}
}

// endRead runs when every frame of a socket read is handled, before the
// socket is read again: it publishes the read's events, queues its replies,
// and waits out a hold (held says it did). ok is false once the connection
// is closing.
func (c *Conn) endRead() (held, ok bool) {
	if !c.flushRead(true) {
		return false, false
	}
	if !c.holdUntil.IsZero() {
		wait := time.Until(c.holdUntil)
		c.holdUntil = time.Time{}
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
				held = true
			case <-c.done:
				return false, false
			}
		}
	}
	c.inEvents.begin(c.cfg.Bus)
	c.wroteEarly = false
	return held, true
}

// flushRead publishes the events and counts of the frames handled so far,
// then hands their replies to the writer (in that order: see Reply),
// waiting for room in the send queue if wait says so; without it (the
// connection is about to close) replies that do not fit are dropped. It
// reports false once the connection is closing.
func (c *Conn) flushRead(wait bool) bool {
	c.inEvents.publish(c.cfg.Bus)
	c.in.add(&c.inTally)
	if len(c.replyEnds) == 0 {
		return c.Err() == nil
	}
	for !c.out.hand(&c.replies, &c.replyEnds) {
		if !wait {
			c.replies, c.replyEnds = c.replies[:0], c.replyEnds[:0]
			return false
		}
		select {
		case <-c.out.room:
		case <-c.done:
			return false
		}
	}
	// Write the replies from here when the writer is idle, as a one-
	// goroutine server would: no hand-over, no wake-up. A busy writer (or
	// a paced one, or a closing connection, which must not wait on a peer
	// that does not read) is told instead.
	if wait && c.cfg.Pace == 0 && c.wmu.TryLock() {
		c.writeQueued(nil)
		c.wmu.Unlock()
	} else {
		signal(c.out.ready)
	}
	if cap(c.replies) > keepBuffer {
		c.replies = nil
	}
	return c.Err() == nil
}

// writeEarly writes the replies queued so far, in the middle of a socket
// read, when the writer is idle (the replies otherwise wait for the end of
// the read). The events of the frames handled so far are not published
// yet: doing so would wake the front end once more per read. The write's
// own events join them instead, in the order things happened, so the log
// still shows every answer after its question.
func (c *Conn) writeEarly() {
	if c.cfg.Pace != 0 || !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	if !c.out.hand(&c.replies, &c.replyEnds) {
		return // the queue is full: the end of the read waits for room
	}
	c.holdSent = true
	c.writeQueued(nil)
	c.holdSent = false
	c.inEvents.take(&c.outEvents)
}

// idleReader turns the connection's read deadline into an inactivity
// limit. Moving the deadline on every frame would cost a timer update per
// message; instead the deadline stays put, and when it passes less than
// limit after the last frame it is moved and the read goes on.
type idleReader struct {
	nc    net.Conn
	limit time.Duration
	last  time.Time // when the last frame arrived; set by the read loop
}

func (r *idleReader) Read(p []byte) (int, error) {
	for {
		n, err := r.nc.Read(p)
		if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		deadline := r.last.Add(r.limit)
		if !time.Now().Before(deadline) {
			return n, err
		}
		r.nc.SetReadDeadline(deadline)
	}
}

// received accounts for, collects the event of, and records one incoming
// frame.
// rr, when not nil, gives the frame's exact wire bytes.
func (c *Conn) received(rr RawFrameReader, frame []byte, overhead int, now time.Time) {
	cmd := c.cfg.Framing.Command(frame)
	raw, size := frame, len(frame)+overhead
	if rr != nil {
		raw = rr.Raw()
		size = len(raw) // exact: a bare LF line is one byte shorter
	}
	c.account(cmd, frame, raw, size, now)
}

// account counts, collects the event of, and records one incoming frame of
// size bytes on the wire.
func (c *Conn) account(cmd string, frame, raw []byte, size int, now time.Time) {
	c.inTally.count(cmd, 1, uint64(size))
	c.inTally.last = now
	c.inEvents.add(c, KindRecv, cmd, frame, raw, now)
	if c.cfg.Recorder != nil {
		c.record(now, KindRecv, raw, "")
	}
}

func (c *Conn) record(at time.Time, kind Kind, b []byte, text string) {
	c.cfg.Recorder.Record(Record{At: at, ConnID: c.cfg.ID, Peer: c.RemoteString(), Dir: c.cfg.Dir, Kind: kind, Bytes: b, Text: text})
}

// readError turns a read failure into a reason a person can act on.
func (c *Conn) readError(err error) error {
	if c.Err() != nil { // closed by us; keep our reason
		return c.closeErr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: nothing received for %s", ErrIdle, c.cfg.IdleTimeout)
	}
	return err
}

// ErrIdle closes a connection that stayed silent past the idle timeout.
var ErrIdle = errors.New("timeout")

func (c *Conn) writeLoop() {
	var pace *time.Timer
	if c.cfg.Pace > 0 {
		pace = time.NewTimer(0)
		defer pace.Stop()
	}
	for {
		select {
		case <-c.out.ready:
		case <-c.done:
			return
		}
		c.wmu.Lock()
		ok := c.writeQueued(pace)
		c.wmu.Unlock()
		if !ok {
			return
		}
	}
}

// writeQueued writes what the outbox holds. Called with wmu held.
func (c *Conn) writeQueued(pace *time.Timer) bool {
	c.wbuf, c.wframes = c.out.take(c.wbuf, c.wframes)
	if len(c.wframes) == 0 {
		return true
	}
	ok := c.writeBatch(c.wbuf, c.wframes, pace)
	if cap(c.wbuf) > keepBuffer { // after a burst, don't hold its memory
		c.wbuf = nil
	}
	return ok
}

// writeBatch writes queued frames: all in one system call, or one per
// call for datagrams, or one per pace interval.
func (c *Conn) writeBatch(buf []byte, frames []queued, pace *time.Timer) bool {
	if pace == nil && !c.cfg.Framing.Datagrams {
		return c.writeFrames(buf, frames, 0)
	}
	begin := 0
	for i := range frames {
		if pace != nil {
			select {
			case <-pace.C:
			case <-c.done:
				return false
			}
		}
		if !c.writeFrames(buf, frames[i:i+1], begin) {
			return false
		}
		begin = frames[i].end
		if pace != nil {
			pace.Reset(c.cfg.Pace)
		}
	}
	return true
}

// writeFrames writes frames, the first starting at buf[begin], with one
// system call. Each is accounted for, published and recorded just before the
// write, so that no answer can appear in a log or transcript before the
// message it answers.
func (c *Conn) writeFrames(buf []byte, frames []queued, begin int) bool {
	now := time.Now()
	start := begin
	switch {
	case c.outEvents.building() || c.cfg.Recorder != nil:
		for _, f := range frames {
			frame := buf[begin:f.end]
			begin = f.end
			c.outEvents.add(c, KindSend, f.cmd, frame, frame, now)
			if c.cfg.Recorder != nil {
				c.record(now, KindSend, frame, "")
			}
		}
	case c.outEvents.wanted: // no room on the bus: counted as dropped, as add would
		c.outEvents.skipped += uint64(len(frames))
	}
	c.outTally.countRuns(frames, start)
	c.outTally.last = now
	c.sent.add(&c.outTally)
	if !c.holdSent {
		c.outEvents.publish(c.cfg.Bus)
		c.outEvents.begin(c.cfg.Bus)
	}
	c.nc.SetWriteDeadline(now.Add(c.cfg.WriteTimeout))
	if _, err := c.nc.Write(buf[start:frames[len(frames)-1].end]); err != nil {
		c.Close(fmt.Errorf("write: %w", err))
		return false
	}
	return true
}

// eventBatch collects the message events of one socket read or write, for
// the bus to take with one lock and one wake. It builds no more than the
// bus has room for (none when nobody wants them), so that a flood the front
// end cannot keep up with costs no allocation.
type eventBatch struct {
	events  []Event
	room    int
	wanted  bool
	skipped uint64 // not built for lack of room: counted as dropped
	// arena holds the events' texts and wire bytes: one allocation for
	// many events. Each event's part is written once and never again, so
	// the events share it safely; a kept event keeps at most one arena
	// alive.
	arena []byte
}

// arenaSize is the memory the events of a few socket reads share.
const arenaSize = 16 << 10

// begin starts a batch, asking the bus how many events it would take.
func (b *eventBatch) begin(bus *Bus) {
	if bus != nil {
		b.room, b.wanted = bus.room()
	}
}

// add builds the event of one frame, if it is wanted and fits: frame is what
// the dialect reads, raw the exact bytes on the wire (for a text dialect,
// with the line ending). Its text and capped wire bytes go in the arena.
func (b *eventBatch) add(c *Conn, kind Kind, cmd string, frame, raw []byte, at time.Time) {
	if len(b.events) < b.room {
		b.build(c, kind, cmd, frame, raw, at)
	} else if b.wanted {
		b.skipped++
	}
}

// build is add's work, apart so that add's test is inlined: with no room
// (a quiet bus, or a full one) a frame costs no call. An event keeps the
// first MaxEventRaw bytes of the frame's text as well as of its wire bytes
// (Size says how long it was): a peer's 100 kB lines cost the log little,
// and --record keeps them whole. When the text is the start of the wire
// bytes, as in a text dialect, both share one copy.
func (b *eventBatch) build(c *Conn, kind Kind, cmd string, frame, raw []byte, at time.Time) {
	text := c.cfg.Framing.Text(frame)
	text = text[:min(len(text), MaxEventRaw)]
	kept := raw[:min(len(raw), MaxEventRaw)]
	shared := bytes.HasPrefix(kept, text)
	need := len(kept)
	if !shared {
		need += len(text)
	}
	if cap(b.arena)-len(b.arena) < need {
		b.arena = make([]byte, 0, max(need, arenaSize))
	}
	start := len(b.arena)
	if !shared {
		b.arena = append(b.arena, text...)
	}
	b.arena = append(b.arena, kept...)
	buf := b.arena[start:]
	wire := buf[len(buf)-len(kept):]
	// The arena is written once and never again, so the string may share it.
	textBytes := buf[:len(text)]
	b.events = append(b.events, Event{
		At:      at,
		Kind:    kind,
		ConnID:  c.cfg.ID,
		Peer:    c.peer,
		Dir:     c.cfg.Dir,
		Text:    unsafe.String(unsafe.SliceData(textBytes), len(textBytes)),
		Command: cmd,
		Raw:     wire[:len(wire):len(wire)],
		Size:    len(raw),
	})
}

// take moves o's events to the end of b, leaving o empty with the room it
// had left.
func (b *eventBatch) take(o *eventBatch) {
	b.events = append(b.events, o.events...)
	b.skipped += o.skipped
	o.room -= len(o.events)
	clear(o.events)
	o.events, o.skipped = o.events[:0], 0
}

// building says whether the batch still builds events (the bus wants them
// and has room).
func (b *eventBatch) building() bool { return len(b.events) < b.room }

// publish hands the batch to the bus and empties it.
func (b *eventBatch) publish(bus *Bus) {
	if bus == nil {
		return
	}
	n := len(b.events)
	next := bus.publishBatch(b.events)
	if cap(next) == 0 && n > 0 {
		// The bus kept ours and had none to give: the next batch is
		// likely the size of this one (one event for a lone message, a
		// socket read's worth in a flood).
		next = make([]Event, 0, n)
	}
	if b.skipped > 0 {
		bus.countDropped(b.skipped)
	}
	b.events, b.room, b.skipped = next, max(0, b.room-n), 0
}

// Stats fills the traffic part of a ConnInfo.
func (c *Conn) Stats(info *ConnInfo) {
	info.ID = c.cfg.ID
	info.Remote = c.RemoteString()
	if c.local.IsValid() {
		info.Local = c.local.String()
	}
	info.Dir = c.cfg.Dir
	info.Connected = c.started
	info.LastRecv, info.MsgsIn, info.BytesIn, info.In = c.in.snapshot()
	info.LastSend, info.MsgsOut, info.BytesOut, info.Out = c.sent.snapshot()
}

func (t *traffic) snapshot() (last time.Time, msgs, bytes uint64, byCmd map[string]Counter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	byCmd = make(map[string]Counter, len(t.byCmd))
	for k, v := range t.byCmd {
		byCmd[k] = v
	}
	return t.last, t.msgs, t.bytes, byCmd
}
