package toy

import (
	"bytes"
	"encoding/base64"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// fakeNode is a bare UDP socket that speaks the article's protocol,
// datagram by datagram, as the test says.
type fakeNode struct {
	t *testing.T
	c *net.UDPConn
}

func newFake(t *testing.T) *fakeNode {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fakeNode{t, c}
}

func (f *fakeNode) addr() netip.AddrPort { return f.c.LocalAddr().(*net.UDPAddr).AddrPort() }

// send writes one map to a.
func (f *fakeNode) send(a netip.AddrPort, m toy.Map) {
	f.t.Helper()
	b, err := toy.EncodeMap(m)
	if err != nil {
		f.t.Fatal(err)
	}
	f.sendRaw(a, b)
}

func (f *fakeNode) sendRaw(a netip.AddrPort, b []byte) {
	f.t.Helper()
	if _, err := f.c.WriteToUDPAddrPort(b, a); err != nil {
		f.t.Fatal(err)
	}
}

// await reads datagrams until one that ok accepts, skipping others (a
// node's pings, say).
func (f *fakeNode) await(what string, ok func(toy.Message, netip.AddrPort) bool) (toy.Message, netip.AddrPort) {
	f.t.Helper()
	buf := make([]byte, 1<<16)
	f.c.SetReadDeadline(time.Now().Add(nodetest.WaitLimit))
	for {
		n, from, err := f.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			f.t.Fatalf("no %s: %v", what, err)
		}
		if m, err := toy.Decode(buf[:n]); err == nil && ok(m, from) {
			return m, from
		}
	}
}

// replyTo accepts the reply of type typ to msgid id.
func replyTo(typ string, id int64) func(toy.Message, netip.AddrPort) bool {
	return func(m toy.Message, _ netip.AddrPort) bool { return m.Type == typ && m.HasReplyTo && m.ReplyTo == id }
}

func TestAnOldNodeIsAnsweredWithoutAStorm(t *testing.T) {
	data := nodetest.Pattern(100_000, 9)
	cfgY := testConfig(t)
	cfgY.NoPeerExchange = true
	cfgY.Share = shareDir(t, map[string][]byte{"deep.txt": []byte("deep"), "cool.txt": []byte("also here")})
	y := startNode(t, cfgY)
	cfgX := testConfig(t)
	cfgX.NoPeerExchange = true
	cfgX.Seeds = []netip.AddrPort{y.listen}
	cfgX.Share = shareDir(t, map[string][]byte{"cool.txt": data})
	x := startNode(t, cfgX)
	x.waitPong(y.listen)
	old := newFake(t)

	// The article's search: no ttl. X answers and passes it on to no one.
	old.send(x.listen, toy.Map{{Key: "msgtype", Value: "search"}, {Key: "msgid", Value: int64(1234)}, {Key: "filename", Value: "cool.txt"}})
	m, _ := old.await("a searchresult", replyTo(toy.CmdSearchResult, 1234))
	if m.AtPeer != toyAddr(x.listen) {
		t.Errorf("atpeer %v, want X at %s", m.AtPeer, x.listen)
	}
	// A search with ttl 2 behind it crosses X to Y, and Y's result comes
	// back through X: by then Y has handled all X sent it before.
	old.send(x.listen, toy.Map{{Key: "msgtype", Value: "search"}, {Key: "msgid", Value: int64(1235)}, {Key: "filename", Value: "deep.txt"}, {Key: "ttl", Value: int64(2)}})
	m, from := old.await("the routed searchresult", replyTo(toy.CmdSearchResult, 1235))
	if m.AtPeer != toyAddr(y.listen) || from != x.listen {
		t.Errorf("result at %v from %s, want Y's (%s) from X (%s)", m.AtPeer, from, y.listen, x.listen)
	}
	if st := y.Stats(); st.Searches != 1 {
		t.Errorf("Y handled %d searches: the ttl-less one was passed on", st.Searches)
	}

	// The article's getfile: no chunk. It gets chunk 0.
	old.send(x.listen, toy.Map{{Key: "msgtype", Value: "getfile"}, {Key: "msgid", Value: int64(7)}, {Key: "filename", Value: "cool.txt"}})
	m, _ = old.await("filecontents", replyTo(toy.CmdFileContents, 7))
	if !bytes.Equal(m.Contents, data[:toy.DefaultChunkSize]) || m.Chunks != toy.ChunkCount(int64(len(data)), toy.DefaultChunkSize) {
		t.Errorf("an old node's getfile got %d bytes of chunk %d of %d", len(m.Contents), m.Chunk, m.Chunks)
	}
}

func TestFetchesWholeFromAnOldNode(t *testing.T) {
	old := newFake(t)
	client := startNode(t, testConfig(t))
	if err := client.Fetch("old.txt", old.addr()); err != nil {
		t.Fatal(err)
	}
	m, from := old.await("a getfile", func(m toy.Message, _ netip.AddrPort) bool { return m.Type == toy.CmdGetFile })
	// The article's node reads no chunk key and sends the whole file.
	old.send(from, toy.Map{{Key: "msgtype", Value: "filecontents"}, {Key: "replyto", Value: m.ID}, {Key: "filecontents", Value: base64.StdEncoding.EncodeToString([]byte("from the article"))}})
	client.r.WaitText(peer.KindInfo, "fetched \"old.txt\"")
	got, err := os.ReadFile(filepath.Join(client.cfg.Dest, "old.txt"))
	if err != nil || string(got) != "from the article" {
		t.Fatalf("saved %q, %v", got, err)
	}
}

func TestBadDatagramsAreNotedAndIgnored(t *testing.T) {
	n := startNode(t, testConfig(t))
	bad, good := newFake(t), newFake(t)
	bad.sendRaw(n.listen, []byte{0xc1, 0xff})                      // no msgpack
	bad.sendRaw(n.listen, []byte{0x92, 0x01, 0x02})                // an array, not a map
	bad.send(n.listen, toy.Map{{Key: "msgid", Value: int64(1)}})   // no msgtype
	bad.send(n.listen, toy.Map{{Key: "msgtype", Value: "search"}}) // no msgid, no filename
	bad.send(n.listen, toy.Map{{Key: "msgtype", Value: "gossip"}, {Key: "msgid", Value: int64(2)}})
	bad.send(n.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(3)}})
	bad.await("a pong after the garbage", replyTo(toy.CmdPong, 3))
	good.send(n.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(4)}})
	good.await("a pong for another peer", replyTo(toy.CmdPong, 4))
	n.r.WaitText(peer.KindWarn, "unknown msgtype \"gossip\" ignored")
	if st := n.Stats(); st.Malformed != 4 || st.UnknownTypes != 1 {
		t.Errorf("counted %d malformed and %d unknown, want 4 and 1", st.Malformed, st.UnknownTypes)
	}
	if got := n.r.Count(func(e peer.Event) bool { return e.Kind == peer.KindWarn && e.Peer == bad.addr().String() }); got != 5 {
		t.Errorf("%d warnings about the bad peer, want 5:\n%s", got, n.r.Log())
	}
}

// One peer's flood of fresh searches is answered but not all passed on.
func TestAFloodOfSearchesIsNotPassedOnWhole(t *testing.T) {
	cfgY := testConfig(t)
	cfgY.NoPeerExchange = true
	y := startNode(t, cfgY)
	cfgX := testConfig(t)
	cfgX.NoPeerExchange = true
	cfgX.Seeds = []netip.AddrPort{y.listen}
	x := startNode(t, cfgX)
	x.waitPong(y.listen)
	flood := newFake(t)
	const sent = 60
	for i := range sent {
		flood.send(x.listen, toy.Map{{Key: "msgtype", Value: "search"}, {Key: "msgid", Value: int64(1000 + i)},
			{Key: "filename", Value: "x"}, {Key: "ttl", Value: int64(3)}})
	}
	flood.send(x.listen, toy.Map{{Key: "msgtype", Value: "ping"}, {Key: "msgid", Value: int64(1)}})
	flood.await("a pong after the flood", replyTo(toy.CmdPong, 1))
	st := x.Stats()
	if st.Searches != sent || st.NotRelayed < sent-DefaultRelayBurst-DefaultRelayRate*2 || st.Forwarded+st.NotRelayed != sent {
		t.Errorf("of %d searches: handled %d, passed on %d, held back %d", sent, st.Searches, st.Forwarded, st.NotRelayed)
	}
}
