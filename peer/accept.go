package peer

import (
	"errors"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/bitclone/bitclone/peer/fdreserve"
)

func (h *Host) acceptLoop() {
	// spare is a descriptor kept back for when the table is full: see
	// acceptAtLimit.
	spare := fdreserve.New()
	defer spare.Close()
	for {
		nc, err := h.ln.Accept()
		if err != nil && fdreserve.Exhausted(err) && spare.Held() && h.ctx.Err() == nil {
			nc, err = h.acceptAtLimit(spare)
			if err == nil && nc == nil {
				continue // no room was made: the newcomer was closed
			}
		}
		if err != nil {
			if h.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			h.Note(KindError, nil, "accept: "+err.Error())
			// A persistent accept error (out of descriptors) must not spin.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-h.ctx.Done():
				return
			}
			spare.Reacquire() // if it was lost, and a descriptor is free again
			continue
		}
		h.accept(nc)
	}
}

// How long acceptAtLimit tries to take its spare back: the descriptor the
// eviction freed may be in use for a moment by another open in the process
// (a dial that fails at once).
const (
	spareTries = 100
	spareWait  = time.Millisecond
)

// acceptAtLimit is called when Accept failed for lack of descriptors, so
// that silent connections cannot lock every newcomer out until their
// handshake timeout: it releases the spare descriptor, accepts the waiting
// connection with it, and makes room by closing the inbound connection
// least worth keeping that has not sent a valid hello (see
// leastWorthLocked), or else the newcomer; then it takes the spare back. It
// returns the newcomer to admit, or nil when it was closed.
func (h *Host) acceptAtLimit(spare *fdreserve.Spare) (net.Conn, error) {
	spare.Release()
	nc, err := h.ln.Accept()
	if err != nil {
		spare.Reacquire()
		return nil, err
	}
	h.mu.Lock()
	victim, rank := h.leastWorthLocked()
	if victim != nil && rank < sentHello {
		victim.conn.Close(fmt.Errorf("evicted: out of file descriptors and this one had sent no %s", h.cfg.HelloName))
	} else {
		victim = nil
	}
	h.atLimit++
	count := h.atLimit
	h.mu.Unlock()
	newcomer := AddrPortOf(nc.RemoteAddr())
	if victim == nil {
		nc.Close()
		nc = nil
	}
	for i := 0; spare.Reacquire() != nil && i < spareTries; i++ {
		time.Sleep(spareWait)
	}
	if bits.OnesCount(uint(count)) == 1 {
		what := "closed " + newcomer.String() + ": every inbound connection has sent a " + h.cfg.HelloName
		if victim != nil {
			what = fmt.Sprintf("closed %s (%s) to let %s in", victim.conn.Remote(), h.rankText(rank), newcomer)
		}
		h.Note(KindWarn, nil, fmt.Sprintf("out of file descriptors: %s (%d at the limit so far)", what, count))
	}
	return nc, nil
}

// accept admits an inbound connection, or refuses it when a limit says so.
func (h *Host) accept(nc net.Conn) {
	remote := AddrPortOf(nc.RemoteAddr())
	now := time.Now()
	h.mu.Lock()
	reason := h.refuseReasonLocked(remote.Addr(), now)
	if reason != "" {
		h.refused++
		count := h.refused
		h.mu.Unlock()
		nc.Close()
		// One warning per power of two refusals: visible, never a flood.
		if bits.OnesCount(uint(count)) == 1 {
			h.Note(KindWarn, nil, fmt.Sprintf("refused inbound %s: %s (%d refused so far)", remote, reason, count))
		}
		return
	}
	h.mu.Unlock()
	h.startConn(nc, Inbound, netip.AddrPort{})
}

// refuseReasonLocked applies the inbound limits; "" admits.
func (h *Host) refuseReasonLocked(ip netip.Addr, now time.Time) string {
	if h.stopping {
		return "shutting down"
	}
	if until, ok := h.bans[ip]; ok && now.Before(until) {
		return "banned until " + until.Format("15:04:05")
	}
	if until, ok := h.droppedIPs[ip]; ok && now.Before(until) {
		return "dropped by the user until " + until.Format("15:04:05")
	}
	inbound, handshaking := 0, 0
	for _, hc := range h.conns {
		if hc.conn.Dir() != Inbound || hc.conn.Err() != nil {
			continue // outbound, or already closing
		}
		inbound++
		if !hc.sess.Established() && hc.conn.Remote().Addr() == ip {
			handshaking++
		}
	}
	if !ip.IsLoopback() && handshaking >= h.cfg.MaxHandshakingPerIP {
		return fmt.Sprintf("%d connections from %s still handshaking", handshaking, ip)
	}
	if inbound >= h.cfg.MaxInbound {
		victim, _ := h.leastWorthLocked()
		if victim == nil {
			return fmt.Sprintf("%d inbound connections already", inbound)
		}
		// Make room by evicting a connection still handshaking:
		// otherwise a few silent connections lock every honest newcomer
		// out until the handshake timeout. Established peers are never
		// evicted, and one that has sent a valid hello only last.
		victim.conn.Close(errEvicted)
	}
	return ""
}

var errEvicted = errors.New("evicted: inbound connections full and this one still handshaking")

// handshakeRank is how far an inbound connection still handshaking has
// come; the lowest is evicted first. It is neutral: whatever the dialect,
// a connection that has sent nothing is most likely a silent attacker, and
// one whose first message was valid most likely an honest newcomer.
type handshakeRank int

const (
	sentNothing handshakeRank = iota // not a byte
	sentBytes                        // something, but no valid hello yet
	sentHello                        // a valid hello
)

func (h *Host) rankText(r handshakeRank) string {
	switch r {
	case sentNothing:
		return "it had sent nothing"
	case sentBytes:
		return "it had sent no valid " + h.cfg.HelloName
	}
	return "it was still handshaking"
}

// leastWorthLocked returns the inbound connection still handshaking that is
// least worth keeping, with its rank: the one that has sent the least, the
// oldest among equals; nil if there is none.
func (h *Host) leastWorthLocked() (*hostConn, handshakeRank) {
	var victim *hostConn
	var least handshakeRank
	for _, hc := range h.conns {
		if hc.conn.Dir() != Inbound || hc.conn.Err() != nil || hc.sess.Established() {
			continue
		}
		r := hc.rank()
		if victim == nil || r < least || r == least && hc.conn.Started().Before(victim.conn.Started()) {
			victim, least = hc, r
		}
	}
	return victim, least
}

func (hc *hostConn) rank() handshakeRank {
	switch {
	case hc.sess.GotHello():
		return sentHello
	case hc.heard.sentAny():
		return sentBytes
	}
	return sentNothing
}

// heardConn notes whether its peer has sent a byte yet.
type heardConn struct {
	net.Conn
	heard atomic.Bool
}

func (c *heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.heard.Load() {
		c.heard.Store(true)
	}
	return n, err
}

func (c *heardConn) sentAny() bool { return c != nil && c.heard.Load() }
