package peer

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// banLocked bans ip for BanFor unless it is on loopback (many local peers
// share it, and a classmate's buggy peer must not lock out the rest).
func (h *Host) banLocked(ip netip.Addr, now time.Time) bool {
	if !ip.IsValid() || ip.IsLoopback() {
		return false
	}
	h.bans[ip] = now.Add(h.cfg.BanFor)
	return true
}

// BannedLocked reports whether ip is banned at now.
func (h *Host) BannedLocked(ip netip.Addr, now time.Time) bool {
	until, ok := h.bans[ip]
	return ok && now.Before(until)
}

// DroppedLocked reports whether the user dropped a within DropFor.
func (h *Host) DroppedLocked(a netip.AddrPort, now time.Time) bool {
	until, ok := h.dropped[a]
	return ok && now.Before(until)
}

// DroppedUntilLocked is when a's drop ends, or the zero time when it is not dropped.
func (h *Host) DroppedUntilLocked(a netip.AddrPort, now time.Time) time.Time {
	if h.DroppedLocked(a, now) {
		return h.dropped[a]
	}
	return time.Time{}
}

// LiftDropLocked lets a (and its IP) be dialled and let in again.
func (h *Host) LiftDropLocked(a netip.AddrPort) {
	delete(h.dropped, a)
	delete(h.droppedIPs, a.Addr())
	delete(h.backoff, a)
}

// ErrDroppedByUser closes a connection the user dropped, and refuses its
// peer while the drop lasts.
var ErrDroppedByUser = errors.New("dropped by user")

// RefuseDropped is the error that closes an inbound connection whose peer
// the user dropped, once the session knows where it listens; nil if it was
// not dropped.
func (h *Host) RefuseDropped(listen netip.AddrPort) error {
	h.mu.Lock()
	until, ok := h.dropped[listen]
	h.mu.Unlock()
	if !ok || !time.Now().Before(until) {
		return nil
	}
	return fmt.Errorf("%w: refused until %s", ErrDroppedByUser, until.Format("15:04:05"))
}

// drop closes the connection to a and keeps the peer away for DropFor: it
// is not dialled, and its inbound connections are refused (by IP when it is
// not on loopback, else by the listening address its session learns).
func (h *Host) drop(a netip.AddrPort) error {
	hc, err := h.find(a)
	if err != nil {
		return err
	}
	until := time.Now().Add(h.cfg.DropFor)
	listen, ip := hc.sess.Listen(), hc.conn.Remote().Addr()
	h.mu.Lock()
	if listen.IsValid() {
		h.dropped[listen] = until
	}
	if ip.IsValid() && !ip.IsLoopback() {
		h.droppedIPs[ip] = until
	}
	h.mu.Unlock()
	hc.conn.Close(fmt.Errorf("%w; not dialled or let in until %s (:connect lifts it)", ErrDroppedByUser, until.Format("15:04:05")))
	return nil
}

// expireLoop forgets, every RetryBase, the bans, drops and backoffs that
// have run out (each is checked against the clock where used: this only
// bounds memory).
func (h *Host) expireLoop() {
	tick := time.NewTicker(h.cfg.RetryBase)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case now := <-tick.C:
			h.expire(now)
		}
	}
}

func (h *Host) expire(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ip, until := range h.bans {
		if !now.Before(until) {
			delete(h.bans, ip)
		}
	}
	for a, until := range h.dropped {
		if !now.Before(until) {
			delete(h.dropped, a)
		}
	}
	for ip, until := range h.droppedIPs {
		if !now.Before(until) {
			delete(h.droppedIPs, ip)
		}
	}
	for a, t := range h.backoff {
		if now.Sub(t.last) > h.cfg.RetryMax {
			delete(h.backoff, a)
		}
	}
}
