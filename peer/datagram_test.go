package peer

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer/udp"
)

// datagramFraming is a datagram dialect's framing: a frame is a datagram,
// its command the text before the first space.
var datagramFraming = Framing{
	NewReader: func(r io.Reader) FrameReader { return udp.NewFrameReader(r, 0) },
	Command: func(frame []byte) string {
		if strings.HasPrefix(string(frame), "ping") {
			return "ping"
		}
		return "?"
	},
	Text:      func(frame []byte) []byte { return frame },
	Datagrams: true,
}

// udpPair is a virtual connection between two loopback sockets: ours, from
// a to b, and theirs, b's accepted end (once ours has sent).
func udpPair(t *testing.T) (a, b *udp.Socket, ours *udp.Conn) {
	t.Helper()
	var err error
	if a, err = udp.Listen("127.0.0.1:0", udp.Config{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = udp.Listen("127.0.0.1:0", udp.Config{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if ours, err = a.Dial(b.AddrPort()); err != nil {
		t.Fatal(err)
	}
	return a, b, ours
}

// serveConn serves c with handle until the test ends; the channel closes
// when Serve has returned.
func serveConn(t *testing.T, c *Conn, handle func([]byte, time.Time) error) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); c.Serve(handle) }()
	t.Cleanup(func() { c.Close(nil); <-done })
	return done
}

func TestConnWritesOneDatagramPerFrame(t *testing.T) {
	_, b, ours := udpPair(t)
	c := NewConn(ours, ConnConfig{ID: 1, Dir: Outbound, Framing: datagramFraming})
	// Queued before the writer runs, so that it finds all three at once.
	for _, f := range []string{"ping 1", "ping 2", "ping 3"} {
		c.Send([]byte(f), "ping")
	}
	serveConn(t, c, func([]byte, time.Time) error { return nil })
	theirs, err := b.Accept()
	if err != nil {
		t.Fatal(err)
	}
	theirs.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	for _, want := range []string{"ping 1", "ping 2", "ping 3"} {
		n, err := theirs.Read(buf)
		if err != nil {
			t.Fatalf("reading %q: %v", want, err)
		}
		if got := string(buf[:n]); got != want {
			t.Fatalf("datagram %q, want %q (frames merged into one write)", got, want)
		}
	}
}

func TestConnOverADatagramReadsFramesAndCountsThem(t *testing.T) {
	_, b, ours := udpPair(t)
	for _, f := range []string{"ping a", "ping b"} {
		if _, err := ours.Write([]byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	theirs, err := b.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(theirs, ConnConfig{ID: 1, Dir: Inbound, Framing: datagramFraming})
	got := make(chan string, 2)
	serveConn(t, c, func(frame []byte, _ time.Time) error {
		got <- string(frame)
		c.Reply([]byte("pong"), "pong")
		return nil
	})
	for _, want := range []string{"ping a", "ping b"} {
		select {
		case f := <-got:
			if f != want {
				t.Errorf("frame %q, want %q", f, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no frame %q", want)
		}
	}
	ours.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	for range 2 {
		if n, err := ours.Read(buf); err != nil || string(buf[:n]) != "pong" {
			t.Fatalf("reply %q, %v", buf[:n], err)
		}
	}
	var info ConnInfo
	c.Stats(&info)
	if info.Remote != ours.LocalAddr().String() || info.In["ping"].Msgs != 2 || info.In["ping"].Bytes != 12 {
		t.Errorf("stats: remote %s, in %+v", info.Remote, info.In)
	}
}

func TestConnOverADatagramClosesWhenIdle(t *testing.T) {
	_, _, ours := udpPair(t)
	c := NewConn(ours, ConnConfig{ID: 1, Dir: Outbound, Framing: datagramFraming, IdleTimeout: 50 * time.Millisecond})
	done := serveConn(t, c, func([]byte, time.Time) error { return nil })
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("an idle virtual connection stayed open")
	}
	if err := c.Err(); !errors.Is(err, ErrIdle) {
		t.Errorf("closed with %v, want ErrIdle", err)
	}
	<-done
	if _, err := ours.Read(nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the virtual connection is still open: %v", err)
	}
}

// startUDPEchoHost runs echoProtocol over a loopback UDP socket: its frames
// are datagrams, the socket the host's listener and dialer.
func startUDPEchoHost(t *testing.T) *echoHost {
	t.Helper()
	sock, err := udp.Listen("127.0.0.1:0", udp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	framing := echoFraming
	framing.NewReader = func(r io.Reader) FrameReader { return udp.NewFrameReader(r, 0) }
	framing.Datagrams = true
	return startEchoHostWith(t, HostConfig{Listener: sock.Listener(), Dial: sock.DialContext}, &echoProtocol{framing: &framing})
}

func TestHostRunsADatagramDialectOverUDP(t *testing.T) {
	a, b := startUDPEchoHost(t), startUDPEchoHost(t)
	if !b.Addr().IsValid() || b.Addr().Addr().String() != "127.0.0.1" {
		t.Fatalf("listening address %s", b.Addr())
	}
	if err := a.Dial(b.Addr()); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "both ends established", func() bool { return a.established() == 1 && b.established() == 1 })
	// Three sends in a row: each is a datagram of its own, so each gets
	// its own echo (merged, b would read one frame and echo it once).
	for _, p := range []string{"x", "y", "z"} {
		if err := a.Do(Command{Op: OpSend, Targets: []string{b.Addr().String()}, Line: p, Frame: echoFrame(p)}); err != nil {
			t.Fatal(err)
		}
	}
	a.waitFor(t, "three echoes counted", func() bool {
		s := a.Snapshot()
		return len(s.Conns) == 1 && s.Conns[0].In["echo"].Msgs == 3
	})
	for _, p := range []string{"echo:x", "echo:y", "echo:z"} {
		if !a.has(KindRecv, p) {
			t.Errorf("no %q received; events: %v", p, a.texts())
		}
	}
	snap := b.Snapshot()
	if len(snap.Conns) != 1 || snap.Conns[0].Dir != Inbound || snap.Conns[0].In["data"].Msgs != 3 || snap.Listen != b.Addr().String() {
		t.Errorf("b's snapshot: %+v", snap)
	}
}
