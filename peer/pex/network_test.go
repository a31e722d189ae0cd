package pex

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// A bootstrap node and five nodes that know only it find each other and
// fetch each other's pieces, byte for byte: once over IPv6, once over IPv4.
func TestFiveNodesFindEachOtherThroughABootstrap(t *testing.T) {
	for _, v6 := range []bool{true, false} {
		name := "IPv4"
		if v6 {
			name = "IPv6"
		}
		t.Run(name, func(t *testing.T) {
			host := loopbackHost(t, v6)
			boot, bootRun := start(t, fast(Config{ListenHost: host}))
			const nodes = 5
			var shares []string
			var all [][][]byte
			var hashes [][]pex.Hash
			for i := range nodes {
				dir, data, hs := shareDir(t, 3*testPiece+testPiece/2, byte(i+1), testPiece)
				shares = append(shares, dir)
				all = append(all, piecesOf(data, testPiece))
				hashes = append(hashes, hs)
			}
			var ns []*Node
			var dests []string
			var runs []*nodetest.Running
			for i := range nodes {
				var want []pex.Hash
				for j := range nodes {
					if j != i {
						want = append(want, hashes[j]...)
					}
				}
				dest := t.TempDir()
				n, r := start(t, fast(Config{ListenHost: host, Share: shares[i], Want: want, Dest: dest,
					Bootstrap: []netip.AddrPort{boot.Addr()}}))
				ns, dests, runs = append(ns, n), append(dests, dest), append(runs, r)
			}
			for i, n := range ns {
				runs[i].Wait("every wanted piece", n.Completed())
				var want [][]byte
				for j := range nodes {
					if j != i {
						want = append(want, all[j]...)
					}
				}
				checkFetched(t, dests[i], want)
			}
			addrs := []netip.AddrPort{boot.Addr()}
			for _, n := range ns {
				addrs = append(addrs, n.Addr())
			}
			for i, n := range append([]*Node{boot}, ns...) {
				others := slices.DeleteFunc(slices.Clone(addrs), func(a netip.AddrPort) bool { return a == n.Addr() })
				r := bootRun
				if i > 0 {
					r = runs[i-1]
				}
				if !knowsAll(n, others) { // every peer learnt is an event: wait for the one that completes the book
					r.WaitEvent("knowing every node", func(peer.Event) bool { return knowsAll(n, others) })
				}
				if !knowsAll(n, others) {
					t.Errorf("node %d (%s) knows %v, not all of %v", i, n.Addr(), n.Known(), others)
				}
				if slices.Contains(n.Known(), n.Addr()) {
					t.Errorf("node %d lists itself", i)
				}
			}
			if t.Failed() {
				t.Log(bootRun.Log())
			}
		})
	}
}
