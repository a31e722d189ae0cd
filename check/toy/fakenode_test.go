package toy

import (
	"net"
	"net/netip"
	"sync"
	"testing"

	wire "github.com/bitclone/bitclone/codec/toy"
)

// quirks make the fake node deviate. The article's node (specs/
// toy-msgpack-node.md) has the first four: it dispatches on
// getattr(self, 'handle_' + msgtype), unpacks with no error checking, reads
// self.file_content[name], and re-broadcasts every search.
type quirks struct {
	crashOnUnknown bool   // a msgtype it has no handler for ends its thread
	crashOnBroken  bool   // a datagram that is not one map with a msgtype ends it
	crashOnMissing bool   // a getfile for a file it lacks ends it
	rebroadcast    bool   // a search goes to every peer it knows, the asker too, as it came; never answered
	listAsker      bool   // the asker is in its own peerlist
	exitOnCrash    bool   // a crash closes the socket (the process died), so the kernel answers ICMP port unreachable
	silent         bool   // reads everything, answers nothing
	noForward      bool   // passes searches on to nobody (it knows only peers it dialled)
	pongReplyTo0   bool   // its pongs answer msgid 0
	answerUnknown  bool   // answers an unknown msgtype with an error map
	noChunks       bool   // a file goes whole in one filecontents, without chunk keys
	sizeLie        bool   // its filecontents announce one byte more than the file has
	atUnspecified  bool   // its searchresults name 0.0.0.0
	evilPeer       string // a host it lists in every peerlist
	lateChunk1     bool   // answers the first getfile for chunk 1 only once it is asked again, then both
	loseChunk1     bool   // drops the first getfile for chunk 1, as a lossy network would
	contentsTo0    bool   // its filecontents answer msgid 0
}

// The fake's chunk size: small, so a test file has several.
const fakeChunkSize = 1000

// fakeNode is a toy node on loopback for the tests: correct (ttl, a
// seen-set, results routed back, chunked getfile) unless its quirks say.
type fakeNode struct {
	pc    *net.UDPConn
	q     quirks
	files map[string][]byte
	wg    sync.WaitGroup

	// The reader's own, no lock needed.
	id     int64
	peers  []netip.AddrPort
	seen   map[int64]bool
	routes map[int64]netip.AddrPort // search msgid → who sent it to us
	held   *wire.Message            // lateChunk1's first ask; set once it came
	lost   bool                     // loseChunk1 dropped one
}

// startFake serves files with quirks q until the test ends.
func startFake(t *testing.T, q quirks, files map[string][]byte) *fakeNode {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	n := &fakeNode{pc: pc, q: q, files: files, seen: map[int64]bool{}, routes: map[int64]netip.AddrPort{}}
	n.wg.Go(n.serve)
	t.Cleanup(func() {
		n.pc.Close()
		n.wg.Wait()
	})
	return n
}

func (n *fakeNode) addr() netip.AddrPort { return n.pc.LocalAddr().(*net.UDPAddr).AddrPort() }

// serve reads datagrams until the socket closes or the node "crashes".
func (n *fakeNode) serve() {
	buf := make([]byte, wire.MaxDatagram+1)
	for {
		k, from, err := n.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n.q.silent {
			continue
		}
		if !n.handle(buf[:k], from) {
			if n.q.exitOnCrash {
				n.pc.Close()
			}
			return // the thread died; the socket stays open, silent
		}
	}
}

// handle answers one datagram; false is a crash.
func (n *fakeNode) handle(b []byte, from netip.AddrPort) bool {
	m, err := wire.Decode(b)
	if err != nil {
		return !n.q.crashOnBroken
	}
	n.learn(from)
	switch m.Type {
	case wire.CmdPing:
		replyTo := m.ID
		if n.q.pongReplyTo0 {
			replyTo = 0
		}
		n.send(from, wire.Pong(n.next(), replyTo))
	case wire.CmdGetPeerList:
		var list []wire.Addr
		for _, p := range n.peers {
			if p != from || n.q.listAsker {
				list = append(list, wire.Addr{Host: p.Addr().String(), Port: p.Port()})
			}
		}
		if n.q.evilPeer != "" {
			list = append(list, wire.Addr{Host: n.q.evilPeer, Port: 1})
		}
		n.send(from, wire.PeerList(n.next(), m.ID, list))
	case wire.CmdSearch:
		n.search(m, from)
	case wire.CmdGetFile:
		data, ok := n.files[m.Filename]
		if !ok {
			return !n.q.crashOnMissing
		}
		if m.Chunk == 1 && n.q.loseChunk1 && !n.lost {
			n.lost = true
			return true
		}
		if m.Chunk == 1 && n.q.lateChunk1 {
			if n.held == nil {
				n.held = &m
				return true
			}
			if n.held.ID != 0 {
				n.getFile(*n.held, data, from)
				n.held.ID = 0 // answered
			}
		}
		n.getFile(m, data, from)
	case wire.CmdSearchResult:
		if n.q.rebroadcast { // the article's node: no handle_searchresult
			return !n.q.crashOnUnknown
		}
		if back, ok := n.routes[m.ReplyTo]; ok {
			n.send(back, wire.SearchResult(n.next(), m.ReplyTo, m.Filename, m.AtPeer))
		}
	default:
		if n.q.answerUnknown {
			b, _ := wire.EncodeMap(wire.Map{{Key: wire.KeyMsgType, Value: "error"}, {Key: wire.KeyReplyTo, Value: m.ID}})
			n.pc.WriteToUDPAddrPort(b, from)
		}
		return !n.q.crashOnUnknown
	}
	return true
}

func (n *fakeNode) getFile(m wire.Message, data []byte, from netip.AddrPort) {
	replyTo := m.ID
	if n.q.contentsTo0 {
		replyTo = 0
	}
	fc, err := wire.FileChunk(n.next(), replyTo, data, m.Chunk, fakeChunkSize)
	switch {
	case n.q.noChunks:
		n.send(from, wire.Message{Type: wire.CmdFileContents, ID: n.next(), HasID: true, ReplyTo: replyTo, HasReplyTo: true, Contents: data})
	case err == nil:
		if n.q.sizeLie {
			fc.Size++
		}
		n.send(from, fc)
	}
}

func (n *fakeNode) search(m wire.Message, from netip.AddrPort) {
	if n.q.rebroadcast {
		for _, p := range n.peers {
			n.send(p, m)
		}
		return
	}
	if n.seen[m.ID] {
		return
	}
	n.seen[m.ID] = true
	n.routes[m.ID] = from
	if _, ok := n.files[m.Filename]; ok {
		host := "127.0.0.1"
		if n.q.atUnspecified {
			host = "0.0.0.0"
		}
		n.send(from, wire.SearchResult(n.next(), m.ID, m.Filename, wire.Addr{Host: host, Port: n.addr().Port()}))
	}
	if ttl := m.HopsLeft() - 1; ttl > 0 && !n.q.noForward {
		for _, p := range n.peers {
			if p != from {
				n.send(p, wire.Search(m.ID, m.Filename, ttl))
			}
		}
	}
}

func (n *fakeNode) learn(p netip.AddrPort) {
	for _, q := range n.peers {
		if q == p {
			return
		}
	}
	if len(n.peers) < wire.MaxPeers {
		n.peers = append(n.peers, p)
	}
}

func (n *fakeNode) next() int64 { n.id++; return n.id }

func (n *fakeNode) send(to netip.AddrPort, m wire.Message) {
	if b, err := wire.Encode(m); err == nil {
		n.pc.WriteToUDPAddrPort(b, to)
	}
}
