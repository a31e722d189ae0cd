package toy

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
)

func TestNodesFindEachOtherThroughPeerLists(t *testing.T) {
	a := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.Seeds = []netip.AddrPort{a.listen}
	b := startNode(t, cfg)
	b.waitPong(a.listen)
	cfg = testConfig(t)
	cfg.Seeds = []netip.AddrPort{b.listen}
	c := startNode(t, cfg)
	// C knows only B; B's peerlist names A, whom C then greets.
	c.waitPong(a.listen)

	// A peerlist never names the asker.
	asker := newFake(t)
	asker.send(b.listen, toy.Map{{Key: "msgtype", Value: "getpeerlist"}, {Key: "msgid", Value: int64(5)}})
	m, _ := asker.await("a peerlist", replyTo(toy.CmdPeerList, 5))
	names := map[string]bool{}
	for _, p := range m.Peers {
		names[p.String()] = true
	}
	if names[toyAddr(asker.addr()).String()] || !names[toyAddr(a.listen).String()] || !names[toyAddr(c.listen).String()] {
		t.Errorf("B's peerlist for %s: %v, want A and C and not the asker", asker.addr(), m.Peers)
	}
	if snap := c.Snapshot(); len(snap.Conns) != 2 || snap.Conns[0].PingLast == 0 && snap.Conns[1].PingLast == 0 {
		t.Errorf("C's connections: %+v (no ping round trip measured)", snap.Conns)
	}
}

func TestSilentPeersArePingedThenForgotten(t *testing.T) {
	cfg := testConfig(t)
	cfg.PingInterval, cfg.ForgetAfter = 20*time.Millisecond, 200*time.Millisecond
	n := startNode(t, cfg)
	gone := newFake(t)
	gone.send(n.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(1)}})
	gone.await("a pong", replyTo(toy.CmdPong, 1))
	gone.await("a ping of ours, as we fell silent", func(m toy.Message, _ netip.AddrPort) bool { return m.Type == toy.CmdPing })
	n.r.WaitText(peer.KindInfo, "forgot 1 peer silent for 200ms: "+gone.addr().String())
	if snap := n.Snapshot(); len(snap.Addrs) != 0 {
		t.Errorf("still known: %+v", snap.Addrs)
	}
}

func TestRepliesToNothingAskedAreIgnored(t *testing.T) {
	n := startNode(t, testConfig(t))
	liar := newFake(t)
	// A peerlist nobody asked for must not fill our peers with its names.
	liar.send(n.listen, toy.Map{{Key: "msgtype", Value: "peerlist"}, {Key: "msgid", Value: int64(1)}, {Key: "replyto", Value: int64(99)},
		{Key: "peers", Value: []any{[]any{"127.0.0.1", int64(1)}}}})
	liar.send(n.listen, toy.Map{{Key: "msgtype", Value: "searchresult"}, {Key: "msgid", Value: int64(2)}, {Key: "replyto", Value: int64(98)},
		{Key: "filename", Value: "x"}, {Key: "atpeer", Value: []any{"127.0.0.1", int64(2)}}})
	liar.send(n.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(3)}})
	liar.await("a pong", replyTo(toy.CmdPong, 3))
	n.r.WaitText(peer.KindWarn, "searchresult for no search we passed on")
	if st := n.Stats(); st.Unsolicited != 2 {
		t.Errorf("%d unsolicited, want 2", st.Unsolicited)
	}
	for _, a := range n.Snapshot().Addrs {
		if a.Addr == "127.0.0.1:1" {
			t.Error("an unsolicited peerlist added a peer")
		}
	}
}

// A getpeerlist typed for every peer goes out with one msgid; each peer's
// answer counts.
func TestATypedRequestToEveryPeerTakesEveryAnswer(t *testing.T) {
	n := startNode(t, testConfig(t))
	f1, f2 := newFake(t), newFake(t)
	for i, f := range []*fakeNode{f1, f2} {
		f.send(n.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(i + 1)}})
		f.await("a pong", replyTo(toy.CmdPong, int64(i+1)))
	}
	frame, err := n.Dialect().Encode("{msgtype: getpeerlist, msgid: 77}")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Do(peer.Command{Op: peer.OpSend, Line: "getpeerlist", Frame: frame}); err != nil {
		t.Fatal(err)
	}
	for i, f := range []*fakeNode{f1, f2} {
		f.await("the typed getpeerlist", func(m toy.Message, _ netip.AddrPort) bool { return m.Type == toy.CmdGetPeerList && m.ID == 77 })
		f.send(n.listen, toy.Map{{Key: "msgtype", Value: "peerlist"}, {Key: "msgid", Value: int64(10 + i)}, {Key: "replyto", Value: int64(77)},
			{Key: "peers", Value: []any{[]any{"127.0.0.1", int64(5000 + i)}}}})
	}
	n.r.WaitEvent("a ping to both peers learnt", func(e peer.Event) bool {
		return e.Kind == peer.KindConnected && e.Peer == "127.0.0.1:5001"
	})
	n.r.WaitEvent("the first learnt", func(e peer.Event) bool {
		return e.Kind == peer.KindConnected && e.Peer == "127.0.0.1:5000"
	})
	if st := n.Stats(); st.Unsolicited != 0 {
		t.Errorf("%d answers taken as unsolicited:\n%s", st.Unsolicited, n.r.Log())
	}
}

// A ping typed with a msgid the node used before times its round trip
// from the typed one, not from the first.
func TestATypedPingReusingAMsgidTimesItsOwnRoundTrip(t *testing.T) {
	n := startNode(t, testConfig(t))
	f := newFake(t)
	f.send(n.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(1)}})
	f.await("a pong", replyTo(toy.CmdPong, 1))
	frame, err := n.Dialect().Encode("{msgtype: ping, msgid: 500}")
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.asked.add(500, asked{to: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:1")}, cmd: toy.CmdPing, sent: time.Now().Add(-time.Hour)}, time.Now())
	n.mu.Unlock()
	if err := n.Do(peer.Command{Op: peer.OpSend, Targets: []string{f.addr().String()}, Frame: frame}); err != nil {
		t.Fatal(err)
	}
	f.await("the typed ping", func(m toy.Message, _ netip.AddrPort) bool { return m.Type == toy.CmdPing && m.ID == 500 })
	f.send(n.listen, toy.Map{{Key: "msgtype", Value: "pong"}, {Key: "msgid", Value: int64(2)}, {Key: "replyto", Value: int64(500)}})
	n.r.WaitEvent("the pong", func(e peer.Event) bool { return e.Kind == peer.KindRecv && e.Command == toy.CmdPong })
	if ci := n.Snapshot().Conns; len(ci) != 1 || ci[0].PingLast <= 0 || ci[0].PingLast > time.Minute {
		t.Errorf("round trip %v, want the typed ping's", ci[0].PingLast)
	}
}

// A seed that misses our greeting (it started after us, or the datagram
// was lost) is greeted again soon, not only at the next ping interval.
func TestAnUnansweredGreetingIsSentAgain(t *testing.T) {
	seed := newFake(t)
	cfg := testConfig(t)
	cfg.Seeds = []netip.AddrPort{seed.addr()}
	cfg.PingInterval = time.Hour // so only the greeting's retry can ping again
	n := startNode(t, cfg)
	isPing := func(m toy.Message, _ netip.AddrPort) bool { return m.Type == toy.CmdPing }
	seed.await("the greeting's ping", isPing) // lost: not answered
	m, _ := seed.await("the greeting sent again", isPing)
	seed.send(n.listen, toy.Map{{Key: "msgtype", Value: "pong"}, {Key: "msgid", Value: int64(1)}, {Key: "replyto", Value: m.ID}})
	seed.await("its getpeerlist, sent with it", func(m toy.Message, _ netip.AddrPort) bool { return m.Type == toy.CmdGetPeerList })
	n.r.WaitEvent("the pong handled", func(e peer.Event) bool { return e.Kind == peer.KindRecv && e.Command == toy.CmdPong })
}

// @HOST:PORT reaches a node we have no connection to, as sendto does: the
// typed getfile goes out, is answered, and the file is fetched and saved.
func TestATypedRequestReachesANodeWeHaveNoConnectionTo(t *testing.T) {
	cfg := testConfig(t)
	cfg.Share = shareDir(t, map[string][]byte{"cool.txt": []byte("from afar")})
	far := startNode(t, cfg)
	n := startNode(t, testConfig(t))
	frame, err := n.Dialect().Encode("getfile cool.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Do(peer.Command{Op: peer.OpSend, Targets: []string{far.listen.String()}, Frame: frame}); err != nil {
		t.Fatal(err)
	}
	n.r.WaitText(peer.KindInfo, `fetched "cool.txt" from `+far.listen.String())
	if got, err := os.ReadFile(filepath.Join(n.cfg.Dest, "cool.txt")); err != nil || string(got) != "from afar" {
		t.Errorf("saved %q, %v", got, err)
	}
	if err := n.Do(peer.Command{Op: peer.OpSend, Targets: []string{n.listen.String()}, Frame: frame}); err == nil {
		t.Error("a frame to ourselves was taken")
	}
	// Each side's row counts the chunk: one in here, one out there.
	for _, tc := range []struct {
		node testNode
		want string
	}{{n, "1/0"}, {far, "0/1"}} {
		conns := tc.node.Snapshot().Conns
		if len(conns) != 1 || fieldOf(conns[0].Fields, "chunks i/o") != tc.want {
			t.Errorf("%s's connections: %+v, want chunks i/o %s", tc.node.listen, conns, tc.want)
		}
	}
}

func fieldOf(fs []peer.Field, label string) string {
	for _, f := range fs {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}
