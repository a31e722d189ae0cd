package bitclone

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

const convergeTimeout = 30 * time.Second

// startRing starts n nodes on loopback, node i seeded only with node i+1.
func startRing(t *testing.T, w *network, count int) []*testNode {
	t.Helper()
	// Pick every port first so each node can be given its seed.
	addrs := make([]netip.AddrPort, count)
	for i := range addrs {
		addrs[i] = freeLoopbackPort(t)
	}
	var out []*testNode
	for i := range addrs {
		cfg := fastConfig(t)
		cfg.PeersFile = peersFileIn(t, fmt.Sprintf("peers-%d.txt", i))
		cfg.Port = int(addrs[i].Port())
		cfg.Seeds = []netip.AddrPort{addrs[(i+1)%count]}
		out = append(out, w.start(cfg))
	}
	return out
}

// converged reports whether every node has min(target, others) connections
// and knows every other node's address.
func converged(nodes []*testNode, want int) error {
	for _, n := range nodes {
		if got := n.established(); got < want {
			return fmt.Errorf("%s has %d connections, want %d", describe(n), got, want)
		}
		known := map[string]bool{}
		for _, a := range n.Snapshot().Addrs {
			known[a.Addr] = true
		}
		for _, o := range nodes {
			if o != n && !known[o.Addr().String()] {
				return fmt.Errorf("%s does not know %s", describe(n), o.Addr())
			}
		}
	}
	return nil
}

func TestEightNodesConvergeExpireAndRefill(t *testing.T) {
	w := newNetwork(t)
	nodes := startRing(t, w, 8)
	want := min(DefaultTarget, len(nodes)-1)
	w.waitUntil(convergeTimeout, "converged", func() error { return converged(nodes, want) })

	// Kill one: the rest notice, expire its address and refill to the target.
	dead := nodes[3]
	dead.stop()
	rest := append(append([]*testNode{}, nodes[:3]...), nodes[4:]...)
	w.waitUntil(convergeTimeout, "refilled without the dead node", func() error {
		for _, n := range rest {
			s := n.Snapshot()
			if got := s.Inbound + s.Outbound; got < want {
				return fmt.Errorf("%s has %d connections, want %d", describe(n), got, want)
			}
			for _, a := range s.Addrs {
				if a.Addr == dead.Addr().String() && (a.Live || a.Connected) {
					return fmt.Errorf("%s still has %s live=%v connected=%v", describe(n), a.Addr, a.Live, a.Connected)
				}
			}
		}
		return nil
	})

	// By now (an idle timeout later) every node has seen the whole exchange:
	// handshake, gossip, pings and pongs.
	for _, n := range rest {
		for _, cmd := range []string{"version", "verack", "getaddr", "addr", "ping", "pong"} {
			if n.eventsMatchingCommand(peer.KindRecv, cmd) == 0 {
				t.Errorf("%s never received %s", n.Addr(), cmd)
			}
		}
	}
}

func TestRestartReconnectsFromPeersFile(t *testing.T) {
	w := newNetwork(t)
	nodes := startRing(t, w, 3)
	w.waitUntil(convergeTimeout, "converged", func() error { return converged(nodes, 2) })

	// Stop node 0 (which saves its peers file) and start it again on the same
	// port with the same file and no seeds.
	first := nodes[0]
	cfg := first.cfg
	first.stop()
	if len(first.eventsMatching(peer.KindClosed, "shutting down")) == 0 {
		t.Error("stopping did not report connections closed for shutdown")
	}
	cfg.Seeds = nil
	again := w.start(cfg)
	w.waitUntil(convergeTimeout, "reconnected from the peers file", func() error {
		if got := again.established(); got < 2 {
			return fmt.Errorf("%s has %d connections", describe(again), got)
		}
		if len(again.eventsMatching(peer.KindInfo, "loaded 2 addresses")) == 0 {
			return fmt.Errorf("no event says both peers were loaded: %v", again.eventsMatching(peer.KindInfo, "loaded"))
		}
		return nil
	})
}

func (tn *testNode) eventsMatchingCommand(kind peer.Kind, cmd string) int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	count := 0
	for _, e := range tn.events {
		if e.Kind == kind && e.Command == cmd {
			count++
		}
	}
	return count
}

func TestCommandLinePeerIsRetriedUntilItComesUp(t *testing.T) {
	w := newNetwork(t)
	// Find a free port, then leave it closed for a while.
	late := freeLoopbackPort(t)

	cfg := fastConfig(t)
	cfg.Seeds = []netip.AddrPort{late}
	early := w.start(cfg)
	w.waitUntil(convergeTimeout, "a failed dial", func() error {
		if len(early.eventsMatching(peer.KindError, "dial "+late.String())) < 2 {
			return fmt.Errorf("fewer than two failed dials of %s", late)
		}
		return nil
	})
	lateCfg := fastConfig(t)
	lateCfg.Port = int(late.Port())
	w.start(lateCfg)
	w.waitUntil(convergeTimeout, "connected to the late peer", func() error {
		if early.established() != 1 {
			return fmt.Errorf("%s", describe(early))
		}
		return nil
	})
}
