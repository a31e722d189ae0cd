package peer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/bitclone/bitclone/peer/addrbook"
)

// DialBudgetLocked says how many of want dials the budget lets start now
// (MaxDialsInFlight at once, DialsPerSecond after a burst) and, when it
// holds some back, how long until it allows the next (0 when only the
// in-flight limit holds them back: the end of every dial calls
// Protocol.ConnsChanged). A protocol asks before it looks for candidates,
// so that a burst of failed dials costs no search unless a dial may follow.
func (h *Host) DialBudgetLocked(want int, now time.Time) (allowed int, wait time.Duration) {
	allowed = min(want, h.cfg.MaxDialsInFlight-len(h.dialing), h.dials.Available(now))
	if allowed < want {
		wait = h.dials.Wait(now)
	}
	return allowed, wait
}

// DialingLocked reports whether a dial of a is in flight.
func (h *Host) DialingLocked(a netip.AddrPort) bool { return h.dialing[a] }

// DialLocked dials a in the background; budgeted charges it to the dial
// budget (the user's :connect is not). The protocol has checked that a may
// be dialled (DialingLocked, ConnectedLocked, BannedLocked, DroppedLocked).
func (h *Host) DialLocked(a netip.AddrPort, budgeted bool) {
	now := time.Now()
	if budgeted {
		h.dials.Take(now)
	}
	h.dialing[a] = true
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.dialPeer(a)
	}()
}

func (h *Host) dialPeer(a netip.AddrPort) {
	nc, err := h.cfg.Dial(h.ctx, a)
	if err != nil && h.ctx.Err() != nil {
		err = ErrShutdown
	}
	var notes []Event
	h.mu.Lock()
	if err != nil { // else startConn moves a from dialing to the table
		delete(h.dialing, a)
	}
	if err != nil && err != ErrShutdown {
		h.noteDialLocked(a, false, time.Now())
		notes = h.proto.DialFailedLocked(a, DialError(err))
	}
	h.mu.Unlock()
	if err != nil {
		if err != ErrShutdown {
			h.Note(KindError, nil, fmt.Sprintf("dial %s: %s", a, DialError(err)))
			for _, e := range notes {
				h.bus.Publish(e)
			}
			h.proto.ConnsChanged()
		}
		return
	}
	h.startConn(nc, Outbound, a)
	h.proto.ConnsChanged() // a place in flight is free: dials held back may go
}

// DialError words a failed dial without repeating the address:
// "connection refused", not "dial tcp 127.0.0.1:9999: connect: connection refused".
func DialError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		err = op.Err
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) {
		err = sys.Err
	}
	return err.Error()
}

// dialTries is the backoff of one address that Dial has failed to reach.
type dialTries struct {
	failures int
	last     time.Time // when the last failed attempt started or ended
}

// maxBackoffEntries bounds the addresses whose backoff is remembered: past
// it, the oldest are forgotten (a protocol's own list bounds the rest).
const maxBackoffEntries = 1024

// noteDialLocked counts the outcome of a connection we dialled: a failure
// (the dial, or the connection ending before its handshake) grows a's
// backoff; a connection that was established resets it.
func (h *Host) noteDialLocked(a netip.AddrPort, established bool, now time.Time) {
	if established {
		delete(h.backoff, a)
		return
	}
	t := h.backoff[a]
	if t == nil {
		if len(h.backoff) >= maxBackoffEntries {
			h.forgetOldestBackoffLocked()
		}
		t = &dialTries{}
		h.backoff[a] = t
	}
	t.failures++
	t.last = now
}

func (h *Host) forgetOldestBackoffLocked() {
	var oldest netip.AddrPort
	for a, t := range h.backoff {
		if !oldest.IsValid() || t.last.Before(h.backoff[oldest].last) {
			oldest = a
		}
	}
	delete(h.backoff, oldest)
}

// ErrNotNow is the error of a Dial that the backoff or the budget holds back.
var ErrNotNow = errors.New("not now")

// Dial dials a in the background unless something says not to: the host
// stopping, an address that names no peer (Dialable), a dial of a in flight, a connection to a, a ban or a drop, a's
// backoff after failures (RetryBase doubling up to RetryMax), or the dial
// budget (then the error wraps ErrNotNow). It is the whole dialling policy
// a protocol whose peers come from elsewhere (a tracker) needs.
func (h *Host) Dial(a netip.AddrPort) error {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.stopping:
		return errors.New("the node is not running")
	case !Dialable(a):
		return fmt.Errorf("%s cannot be dialled", a)
	case h.dialing[a]:
		return fmt.Errorf("already dialling %s", a)
	case h.ConnectedLocked(a) || h.DialedLocked(a):
		return fmt.Errorf("already connected to %s", a)
	case h.BannedLocked(a.Addr(), now):
		return fmt.Errorf("%s is banned", a.Addr())
	case h.DroppedLocked(a, now):
		return fmt.Errorf("%s was dropped by the user", a)
	}
	if t := h.backoff[a]; t != nil {
		if wait := addrbook.Backoff(t.failures, h.cfg.RetryBase, h.cfg.RetryMax) - now.Sub(t.last); wait > 0 {
			return fmt.Errorf("%w: %s failed %d times, next try in %s", ErrNotNow, a, t.failures, wait.Round(time.Millisecond))
		}
	}
	if allowed, wait := h.DialBudgetLocked(1, now); allowed < 1 {
		return fmt.Errorf("%w: the dial budget allows the next dial in %s", ErrNotNow, wait.Round(time.Millisecond))
	}
	h.DialLocked(a, true)
	return nil
}
