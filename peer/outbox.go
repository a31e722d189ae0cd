package peer

import "sync"

// outbox is a connection's send queue: frames are copied into one buffer
// that the writer takes whole and writes with one system call. Queuing a
// frame costs a copy, not a channel operation and an allocation, which is
// what keeps a connection answering a pipelining peer close to line rate.
type outbox struct {
	limit int // bytes queued before Send refuses and Reply waits

	mu     sync.Mutex
	buf    []byte
	frames []queued

	ready chan struct{} // wakes the writer (capacity 1)
	room  chan struct{} // wakes a Reply waiting for space (capacity 1)
}

// queued is one frame in the outbox: its end offset in buf and its command.
type queued struct {
	end int
	cmd string
}

func newOutbox(limit int) *outbox {
	return &outbox{limit: limit, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// put appends frame unless that would pass the limit. An empty outbox takes
// any frame, so one large frame can always be sent.
func (o *outbox) put(frame []byte, cmd string) bool {
	return o.putAll(frame, []queued{{len(frame), cmd}}, true)
}

// putAll appends frames, whose ends are offsets in buf, all or none: none
// when that would pass the limit, unless the outbox is empty. wake says
// whether to wake the writer (a caller that may write them itself does not).
func (o *outbox) putAll(buf []byte, frames []queued, wake bool) bool {
	o.mu.Lock()
	if len(o.buf) > 0 && len(o.buf)+len(buf) > o.limit {
		o.mu.Unlock()
		return false
	}
	base := len(o.buf)
	o.buf = append(o.buf, buf...)
	for _, f := range frames {
		o.frames = append(o.frames, queued{base + f.end, f.cmd})
	}
	o.mu.Unlock()
	if wake {
		signal(o.ready)
	}
	return true
}

// hand queues the frames of *buf like putAll without waking the writer,
// and without a copy when the outbox is empty: it takes *buf itself and
// gives the caller its own emptied buffers instead. Either way, once
// queued the caller's buffers are empty; it reports false (and keeps them
// as they are) when they do not fit.
func (o *outbox) hand(buf *[]byte, frames *[]queued) bool {
	o.mu.Lock()
	if len(o.frames) == 0 {
		o.buf, *buf = *buf, o.buf[:0]
		o.frames, *frames = *frames, o.frames[:0]
		o.mu.Unlock()
		return true
	}
	o.mu.Unlock()
	if !o.putAll(*buf, *frames, false) {
		return false
	}
	*buf, *frames = (*buf)[:0], (*frames)[:0]
	return true
}

// take swaps the queued frames for the (emptied) spare buffers and returns
// them. It returns empty slices when nothing is queued.
func (o *outbox) take(buf []byte, frames []queued) ([]byte, []queued) {
	o.mu.Lock()
	buf, o.buf = o.buf, buf[:0]
	frames, o.frames = o.frames, frames[:0]
	o.mu.Unlock()
	signal(o.room)
	return buf, frames
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
