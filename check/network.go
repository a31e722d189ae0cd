package check

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Network is how a run reaches the peer and listens for it. Run uses TCP;
// tests use pipes, so that a run can go in a synctest bubble.
type Network interface {
	Dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error)
	Listen(addr string) (net.Listener, error)
}

// TCP is the real network.
type TCP struct{}

func (TCP) Dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(ctx, "tcp", addr)
}

func (TCP) Listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// turns keeps our connections and the handshakes of peers that dial us
// apart in time. Every connection of ours claims the run's one address (in
// BitClone, its versions name it as the sender), and
// a peer that keeps one connection per address (bitclone does) lets the
// newer of two replace the older once the older is closed or stops
// answering pings. So a handshake on a connection a peer opened to us
// completes while none of ours is open, and our next probe connects after
// it, having hung it up (listener.yield): the probe's connection is always
// the newer one.
type turns struct {
	mu        sync.Mutex
	open      int           // our connections open
	answering bool          // answering a handshake on a connection to us
	waiting   int           // such handshakes waiting for ours to close
	changed   chan struct{} // closed and replaced on every change
}

// ours waits for a turn for one connection of ours; release ends it.
func (t *turns) ours(ctx context.Context) (release func(), err error) {
	return t.take(ctx, true)
}

// theirs waits for a turn to answer one handshake; release ends it.
func (t *turns) theirs(ctx context.Context) (release func(), err error) {
	return t.take(ctx, false)
}

func (t *turns) take(ctx context.Context, ours bool) (func(), error) {
	t.mu.Lock()
	if t.changed == nil {
		t.changed = make(chan struct{})
	}
	if !ours {
		t.waiting++ // they go first: our probes can wait, their handshake timer runs
	}
	for !t.free(ours) {
		changed := t.changed
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			t.mu.Lock()
			if !ours {
				t.waiting--
				t.signal()
			}
			t.mu.Unlock()
			return nil, ctx.Err()
		}
		t.mu.Lock()
	}
	if ours {
		t.open++
	} else {
		t.waiting--
		t.answering = true
	}
	t.mu.Unlock()
	return sync.OnceFunc(func() {
		t.mu.Lock()
		if ours {
			t.open--
		} else {
			t.answering = false
		}
		t.signal()
		t.mu.Unlock()
	}), nil
}

func (t *turns) free(ours bool) bool {
	if ours {
		return !t.answering && t.waiting == 0
	}
	return !t.answering && t.open == 0
}

// signal wakes every waiter. Called with t.mu held.
func (t *turns) signal() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// peerTurns are turns per peer, for a shared listener (see Listener): our
// connections to one peer and that peer's handshakes with us are kept
// apart, while other peers' go on. A peer is known by its listening
// address: ours by the target we dial, theirs by the address its handshake
// claims (Env.Claim). An entry lives while someone holds or waits for it.
type peerTurns struct {
	mu sync.Mutex
	m  map[netip.AddrPort]*keyedTurns
}

type keyedTurns struct {
	turns
	users int
}

func (p *peerTurns) take(ctx context.Context, peer netip.AddrPort, ours bool) (func(), error) {
	p.mu.Lock()
	if p.m == nil {
		p.m = map[netip.AddrPort]*keyedTurns{}
	}
	k := p.m[peer]
	if k == nil {
		k = &keyedTurns{}
		p.m[peer] = k
	}
	k.users++
	p.mu.Unlock()
	done := func() {
		p.mu.Lock()
		if k.users--; k.users == 0 {
			delete(p.m, peer)
		}
		p.mu.Unlock()
	}
	release, err := k.take(ctx, ours)
	if err != nil {
		done()
		return nil, err
	}
	return sync.OnceFunc(func() { release(); done() }), nil
}
