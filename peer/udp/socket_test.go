package udp

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listen binds a socket on loopback, closed when the test ends.
func listen(t *testing.T, cfg Config) *Socket {
	t.Helper()
	s, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawClient is a plain UDP socket on loopback aimed at s.
func rawClient(t *testing.T, s *Socket) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.AddrPort()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, w interface{ Write([]byte) (int, error) }, msg string) {
	t.Helper()
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// readString reads one datagram from c, failing after 10 s.
func readString(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, recvBuffer)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func accept(t *testing.T, s *Socket) *Conn {
	t.Helper()
	got := make(chan *Conn, 1)
	go func() {
		c, _ := s.Accept()
		got <- c
	}()
	select {
	case c := <-got:
		if c == nil {
			t.Fatal("Accept failed")
		}
		return c
	case <-time.After(10 * time.Second):
		s.Close() // ends the Accept above
		t.Fatal("nothing to accept")
		return nil
	}
}

func TestSocketsExchangeDatagramsThroughVirtualConnections(t *testing.T) {
	a, b := listen(t, Config{}), listen(t, Config{})
	ab, err := a.Dial(b.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Dial(b.AddrPort()); !errors.Is(err, ErrExists) {
		t.Errorf("second Dial = %v, want ErrExists", err)
	}
	send(t, ab, "one")
	send(t, ab, "two")
	ba := accept(t, b)
	if ba.Remote() != a.AddrPort() {
		t.Errorf("accepted %s, want %s", ba.Remote(), a.AddrPort())
	}
	// One datagram per Read, never two merged.
	if got := readString(t, ba); got != "one" {
		t.Errorf("first read %q", got)
	}
	if got := readString(t, ba); got != "two" {
		t.Errorf("second read %q", got)
	}
	send(t, ba, "back")
	if got := readString(t, ab); got != "back" {
		t.Errorf("reply %q", got)
	}
	// A closed connection leaves the table; the remote's next datagram
	// makes a new one.
	ba.Close()
	if _, err := ba.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close = %v, want net.ErrClosed", err)
	}
	send(t, ab, "again")
	if again := accept(t, b); again == ba || readString(t, again) != "again" {
		t.Error("no new connection after Close")
	}
}

func TestSocketCapsConnectionsAndCountsRefusals(t *testing.T) {
	s := listen(t, Config{MaxConns: 3})
	var clients []*net.UDPConn
	for i := range 5 {
		clients = append(clients, rawClient(t, s))
		send(t, clients[i], strconv.Itoa(i))
	}
	// The socket reads in order, so once the first client's second
	// datagram is read, the others' have been handled.
	send(t, clients[0], "last")
	first := accept(t, s)
	if readString(t, first) != "0" || readString(t, first) != "last" {
		t.Fatal("first client's datagrams out of order")
	}
	accept(t, s)
	accept(t, s)
	st := s.Stats()
	if st.Conns != 3 || st.Refused != 2 || st.Received != 6 {
		t.Errorf("stats %+v, want 3 conns, 2 refused of 6", st)
	}
	if _, err := s.Dial(clients[4].LocalAddr().(*net.UDPAddr).AddrPort()); err == nil {
		t.Error("Dial past the cap succeeded")
	}
}

func TestSlowReaderDropsAreCountedAndTheSocketGoesOn(t *testing.T) {
	const queued = 4
	s := listen(t, Config{MaxQueued: queued})
	slow, other := rawClient(t, s), rawClient(t, s)
	for i := range queued + 3 {
		send(t, slow, strconv.Itoa(i))
	}
	send(t, other, "through")
	// Accepting other proves the socket's reader handled its datagram,
	// and so the flood before it, without anyone reading slow's.
	var slowConn *Conn
	for heard := false; slowConn == nil || !heard; {
		if c := accept(t, s); c.Remote() != other.LocalAddr().(*net.UDPAddr).AddrPort() {
			slowConn = c
		} else if readString(t, c) != "through" {
			t.Fatal("other's datagram lost")
		} else {
			heard = true
		}
	}
	if st := s.Stats(); st.QueueFull != 3 || slowConn.Dropped() != 3 {
		t.Errorf("stats %+v, conn dropped %d; want 3 dropped", st, slowConn.Dropped())
	}
	for i := range queued {
		if got := readString(t, slowConn); got != strconv.Itoa(i) {
			t.Errorf("queued datagram %d = %q", i, got)
		}
	}
}

func TestReadDeadlineEndsABlockedRead(t *testing.T) {
	a, b := listen(t, Config{}), listen(t, Config{})
	c, err := a.Dial(b.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 8))
		errc <- err
	}()
	// Set while the Read waits: it must wake.
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read = %v, want os.ErrDeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the deadline did not end the Read")
	}
	c.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write past the deadline = %v", err)
	}
	c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte("x")); err != nil {
		t.Errorf("Write with no deadline = %v", err)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Listen("127.0.0.1:0", Config{})
	if err != nil {
		t.Fatal(err)
	}
	client := rawClient(t, s)
	send(t, client, "hi")
	c := accept(t, s)
	c.SetReadDeadline(time.Now().Add(time.Hour)) // a timer that must not outlive Close
	readString(t, c)
	ended := make(chan error, 2)
	go func() { _, err := c.Read(make([]byte, 8)); ended <- err }()
	go func() { _, err := s.Accept(); ended <- err }()
	s.CloseWith(errors.New("test over"))
	for range 2 {
		select {
		case err := <-ended:
			if !errors.Is(err, net.ErrClosed) || err.Error() != "udp socket: use of closed network connection: test over" {
				t.Errorf("after Close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close left a Read or Accept waiting")
		}
	}
	if st := s.Stats(); st.Conns != 0 {
		t.Errorf("%d connections after Close", st.Conns)
	}
	if _, err := s.Dial(client.LocalAddr().(*net.UDPAddr).AddrPort()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial after Close = %v", err)
	}
	// A goroutine that has signalled its end (the reader's WaitGroup, the
	// two above) is counted until it has really gone, which nothing can be
	// waited on for: look again, for a while, before calling it leaked.
	deadline := time.Now().Add(10 * time.Second)
	for n := runtime.NumGoroutine(); n > before; n = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 10s after Close, %d before", n, before)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFrameReaderRefusesDatagramsOverItsLimit(t *testing.T) {
	a, b := listen(t, Config{}), listen(t, Config{})
	ab, err := a.Dial(b.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	send(t, ab, "1234")
	send(t, ab, "12345")
	fr := NewFrameReader(accept(t, b), 4)
	if f, err := fr.Next(); err != nil || string(f) != "1234" {
		t.Errorf("Next = %q, %v", f, err)
	}
	if f, err := fr.Next(); !errors.Is(err, ErrTooLong) {
		t.Errorf("Next of 5 bytes = %q, %v; want ErrTooLong", f, err)
	}
}

// Listen asks the kernel for the receive buffer Config names (as much as
// net.core.rmem_max allows; Linux reports twice what it keeps).
func TestListenSetsTheReceiveBuffer(t *testing.T) {
	const want = 1 << 20
	max, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skip("no /proc/sys/net/core/rmem_max: not Linux")
	}
	limit, _ := strconv.Atoi(strings.TrimSpace(string(max)))
	if limit < want {
		t.Skipf("net.core.rmem_max is %d, below the %d asked", limit, want)
	}
	s, err := Listen("127.0.0.1:0", Config{ReceiveBuffer: want})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, err := s.pc.(*net.UDPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var serr error
	raw.Control(func(fd uintptr) { got, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) })
	if serr != nil || got < want {
		t.Errorf("SO_RCVBUF %d (%v), want at least %d", got, serr, want)
	}
}
