package bitclone

import (
	"bufio"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// A fake is a peer with one fault, on a loopback port of its own.
type fake struct {
	addr netip.AddrPort
	mu   sync.Mutex // guards ln: a crash closes it, a restart replaces it
	ln   net.Listener
	srv  *nodetest.Server
	// calls counts connections to it.
	calls atomic.Int64
}

// behaviour is how a fake answers one connection: r reads its lines.
type behaviour func(f *fake, c net.Conn, r *bufio.Reader)

// startFake serves b on a fresh loopback port until the test ends.
func startFake(t *testing.T, b behaviour) *fake {
	t.Helper()
	ln := nodetest.Listen(t)
	f := &fake{addr: nodetest.AddrOf(ln)}
	f.serveOn(t, ln, b)
	return f
}

// serveOn serves b on ln until the test ends.
func (f *fake) serveOn(t *testing.T, ln net.Listener, b behaviour) {
	f.mu.Lock()
	f.ln = ln
	f.mu.Unlock()
	f.srv = &nodetest.Server{}
	f.srv.Serve(ln, func(c net.Conn) {
		f.calls.Add(1)
		b(f, c, bufio.NewReader(c))
	})
	t.Cleanup(f.srv.Close)
}

// restart listens again at the fake's address, as a peer restarted after
// a crash does.
func (f *fake) restart(t *testing.T, b behaviour) {
	t.Helper()
	ln, err := net.Listen("tcp", f.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	f.serveOn(t, ln, b)
}

// readLine reads one line of a fake's peer, without its ending; "" when
// the connection ends. The fakes' peers are the crawler and the nodes.
func readLine(r *bufio.Reader) (wire.Message, string, bool) {
	l, err := r.ReadString('\n')
	if err != nil {
		return nil, "", false
	}
	l = strings.TrimRight(l, "\r\n")
	m, _ := wire.Parse([]byte(l))
	return m, l, true
}

// versionOf is the fake's version on c.
func (f *fake) versionOf(c net.Conn, agent string) []byte {
	return wire.Version{Version: wire.ProtocolVersion, Services: wire.ServiceP2P, Time: time.Now().Unix(),
		Recipient: c.RemoteAddr().(*net.TCPAddr).AddrPort(), Sender: f.addr, Nonce: 77, UserAgent: agent}.AppendWire(nil)
}

// shake plays the listener's side of the handshake: verack and version
// once the peer's version comes, then its verack. It returns the peer's
// version, or false.
func (f *fake) shake(c net.Conn, r *bufio.Reader, agent string) (wire.Version, bool) {
	for {
		m, _, ok := readLine(r)
		if !ok {
			return wire.Version{}, false
		}
		if v, isV := m.(wire.Version); isV {
			c.Write(wire.Verack{Nonce: v.Nonce}.AppendWire(nil))
			c.Write(f.versionOf(c, agent))
			for {
				m, _, ok := readLine(r)
				if !ok {
					return v, false
				}
				if _, isVA := m.(wire.Verack); isVA {
					return v, true
				}
			}
		}
	}
}

// serve answers pings, and getaddr with addrs (the fake itself if none),
// until the connection ends; onGetAddr, if set, is asked first and may end
// the connection instead (returning false).
func (f *fake) serve(c net.Conn, r *bufio.Reader, addrs func() []netip.AddrPort, onGetAddr func() bool) {
	for {
		m, _, ok := readLine(r)
		if !ok {
			return
		}
		switch m := m.(type) {
		case nil, wire.Version:
			c.Write(wire.Reject{Code: 400, Reason: "bad message"}.AppendWire(nil))
		case wire.Ping:
			c.Write(wire.Pong{Nonce: m.Nonce}.AppendWire(nil))
		case wire.GetAddr:
			if onGetAddr != nil && !onGetAddr() {
				return
			}
			as := []netip.AddrPort{f.addr}
			if addrs != nil {
				as = addrs()
			}
			var a wire.Addr
			for _, ap := range as {
				a.Entries = append(a.Entries, wire.AddrEntry{Time: time.Now().Unix(), Addr: ap})
			}
			c.Write(a.AppendWire(nil))
		}
	}
}

// The faults.

// silent accepts and never says a word.
func silent(_ *fake, _ net.Conn, r *bufio.Reader) {
	for {
		if _, _, ok := readLine(r); !ok {
			return
		}
	}
}

// noVerack sends its version, never a verack.
func noVerack(f *fake, c net.Conn, r *bufio.Reader) {
	if _, _, ok := readLine(r); ok {
		c.Write(f.versionOf(c, "noverack"))
		silent(f, c, r)
	}
}

// hangUp closes the connection once our version comes.
func hangUp(_ *fake, _ net.Conn, r *bufio.Reader) { readLine(r) }

// httpServer is not a BitClone peer at all.
func httpServer(_ *fake, c net.Conn, r *bufio.Reader) {
	readLine(r)
	c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
}

// closeOnGetAddr shakes hands and answers pings, and hangs up on getaddr.
func closeOnGetAddr(f *fake, c net.Conn, r *bufio.Reader) {
	if _, ok := f.shake(c, r, "close-on-getaddr"); ok {
		f.serve(c, r, nil, func() bool { return false })
	}
}

// earlyPong answers a ping even before the handshake, and is otherwise
// well behaved.
func earlyPong(f *fake, c net.Conn, r *bufio.Reader) {
	for {
		m, _, ok := readLine(r)
		if !ok {
			return
		}
		switch m := m.(type) {
		case wire.Ping:
			c.Write(wire.Pong{Nonce: m.Nonce}.AppendWire(nil))
			continue
		case wire.Version:
			c.Write(wire.Verack{Nonce: m.Nonce}.AppendWire(nil))
			c.Write(f.versionOf(c, "early-pong"))
		case wire.Verack:
			f.serve(c, r, nil, nil)
			return
		}
	}
}

// gossiper is well behaved, but tells the crawler (and only the crawler,
// so the nodes' books stay clean) of the addresses in list.
func gossiper(list func() []netip.AddrPort) behaviour {
	return func(f *fake, c net.Conn, r *bufio.Reader) {
		v, ok := f.shake(c, r, "gossiper")
		if !ok {
			return
		}
		var addrs func() []netip.AddrPort
		if v.UserAgent == DefaultAgent {
			addrs = func() []netip.AddrPort { return append([]netip.AddrPort{f.addr}, list()...) }
		}
		f.serve(c, r, addrs, nil)
	}
}

// crashOnUnknown is well behaved until a line it does not know comes:
// then it stops listening, as a peer that crashes does.
func crashOnUnknown(f *fake, c net.Conn, r *bufio.Reader) {
	if _, ok := f.shake(c, r, "crasher"); !ok {
		return
	}
	for {
		m, l, ok := readLine(r)
		if !ok {
			return
		}
		switch m := m.(type) {
		case wire.Ping:
			c.Write(wire.Pong{Nonce: m.Nonce}.AppendWire(nil))
		case wire.GetAddr:
			c.Write(wire.Addr{Entries: []wire.AddrEntry{{Time: time.Now().Unix(), Addr: f.addr}}}.AppendWire(nil))
		case nil:
			if strings.HasPrefix(l, "flowers|") { // check's unknown command
				f.mu.Lock()
				f.ln.Close()
				f.mu.Unlock()
				return
			}
		}
	}
}

// closedPort is a loopback address nobody listens on.
func closedPort(t *testing.T) netip.AddrPort {
	ln := nodetest.Listen(t)
	a := nodetest.AddrOf(ln)
	ln.Close()
	return a
}
