package peer

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The host is neutral: these tests run it with echoProtocol, a toy dialect
// of length-prefixed binary frames (2-byte big-endian length, then the
// payload), over loopback TCP. A connection is established once both ends
// have sent "hello"; any other frame is answered with "echo:" and itself.

type frameReader struct {
	r   io.Reader
	buf []byte
}

func (f *frameReader) Next() ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return nil, err
	}
	f.buf = append(f.buf[:0], hdr[:]...)
	f.buf = append(f.buf, make([]byte, binary.BigEndian.Uint16(hdr[:]))...)
	if _, err := io.ReadFull(f.r, f.buf[2:]); err != nil {
		return nil, err
	}
	return f.buf, nil
}

func echoFrame(payload string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(payload))), payload...)
}

var echoFraming = Framing{
	NewReader: func(r io.Reader) FrameReader { return &frameReader{r: r} },
	Command: func(frame []byte) string {
		switch p := string(frame[2:]); {
		case p == "hello":
			return "hello"
		case strings.HasPrefix(p, "echo:"):
			return "echo"
		}
		return "data"
	},
	Text: func(frame []byte) []byte { return frame[2:] },
}

type echoProtocol struct {
	h       *Host
	framing *Framing // nil: echoFraming
}

func (p *echoProtocol) Framing() Framing {
	if p.framing != nil {
		return *p.framing
	}
	return echoFraming
}
func (p *echoProtocol) ParseAddr(s string) (netip.AddrPort, error) { return netip.ParseAddrPort(s) }
func (p *echoProtocol) NewSessionLocked(c *Conn, dialed netip.AddrPort) Session {
	return &echoSession{p: p, c: c, dialed: dialed}
}
func (p *echoProtocol) ClosedLocked(s Session, _ netip.AddrPort, err error) (bool, []Event) {
	return errors.Is(err, errRude), nil
}
func (p *echoProtocol) DialFailedLocked(netip.AddrPort, string) []Event { return nil }
func (p *echoProtocol) ConnsChanged()                                   {}
func (p *echoProtocol) Start()                                          {}
func (p *echoProtocol) Run(ctx context.Context)                         { <-ctx.Done() }
func (p *echoProtocol) Stop()                                           {}
func (p *echoProtocol) Connect(a netip.AddrPort) error                  { return p.h.Connect(a) }
func (p *echoProtocol) Forget(netip.AddrPort) error                     { return errors.New("no address book") }
func (p *echoProtocol) Save() error                                     { return errors.New("nothing to save") }
func (p *echoProtocol) SnapshotLocked(s *Snapshot, _ time.Time) {
	s.Fields = append(s.Fields, Field{"dialect", "echo"})
}

var errRude = errors.New("rude")

type echoSession struct {
	p       *echoProtocol
	c       *Conn
	dialed  netip.AddrPort
	sent    bool // reader goroutine only
	got, up atomic.Bool
	frames  atomic.Int64
}

func (s *echoSession) Serve() error {
	if s.c.Dir() == Outbound {
		s.sent = true
		s.c.Send(echoFrame("hello"), "hello")
	}
	return s.c.Serve(func(frame []byte, _ time.Time) error {
		s.frames.Add(1)
		switch p := string(frame[2:]); {
		case p == "hello":
			s.got.Store(true)
			if !s.sent {
				s.sent = true
				s.c.Reply(echoFrame("hello"), "hello")
			}
			s.up.Store(true)
			s.p.h.Note(KindEstablished, s.c, "hello")
		case p == "rude":
			return errRude
		case !strings.HasPrefix(p, "echo:"):
			s.c.Reply(echoFrame("echo:"+p), "echo")
		}
		return nil
	})
}

func (s *echoSession) Established() bool      { return s.up.Load() }
func (s *echoSession) GotHello() bool         { return s.got.Load() }
func (s *echoSession) Listen() netip.AddrPort { return s.dialed }
func (s *echoSession) SendUser(frame []byte)  { s.c.Send(frame, "data") }
func (s *echoSession) Info(ci *ConnInfo) {
	ci.Fields = append(ci.Fields, Field{"frames", strconv.FormatInt(s.frames.Load(), 10)})
}

// echoHost runs a host with echoProtocol on loopback, recording its events.
type echoHost struct {
	*Host
	mu      sync.Mutex
	events  []Event
	changed chan struct{}
}

func startEchoHost(t *testing.T, cfg HostConfig) *echoHost {
	t.Helper()
	return startEchoHostWith(t, cfg, &echoProtocol{})
}

// startEchoHostWith is startEchoHost with p (its framing, say).
func startEchoHostWith(t *testing.T, cfg HostConfig, p *echoProtocol) *echoHost {
	t.Helper()
	cfg.ListenHost = "127.0.0.1"
	h := &echoHost{Host: NewHost(cfg, p), changed: make(chan struct{}, 1)}
	p.h = h.Host
	if err := h.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx) }()
	go func() {
		defer close(done)
		for batch := range h.Events() {
			h.mu.Lock()
			h.events = append(h.events, batch...)
			h.mu.Unlock()
			select {
			case h.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// waitFor re-checks cond at every event (and every 50 ms, for what no
// event announces) until it holds, failing after 10 s.
func (h *echoHost) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-h.changed:
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; events: %v", what, h.texts())
		}
	}
}

func (h *echoHost) has(kind Kind, text string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.ContainsFunc(h.events, func(e Event) bool { return e.Kind == kind && strings.Contains(e.Text, text) })
}

func (h *echoHost) texts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		out = append(out, e.Kind.String()+" "+e.Text)
	}
	return out
}

func (h *echoHost) established() int {
	n := 0
	for _, c := range h.Snapshot().Conns {
		if c.State == StateEstablished {
			n++
		}
	}
	return n
}

func TestHostRunsAnotherDialect(t *testing.T) {
	a := startEchoHost(t, HostConfig{})
	b := startEchoHost(t, HostConfig{})
	if err := a.Dial(b.Addr()); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "both ends established", func() bool { return a.established() == 1 && b.established() == 1 })

	// A send is routed to the connection named by its address, and only there.
	if err := a.Do(Command{Op: OpSend, Targets: []string{b.Addr().String()}, Line: "hi", Frame: echoFrame("hi")}); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "the echo", func() bool { return a.has(KindRecv, "echo:hi") })
	if err := a.Do(Command{Op: OpSend, Targets: []string{"127.0.0.1:1"}, Line: "hi", Frame: echoFrame("hi")}); err == nil {
		t.Error("a send to no connection succeeded")
	}

	// The event is published before the read's counts are added (and the
	// session counts its frames as it handles them): wait for the counts.
	a.waitFor(t, "the echo counted", func() bool {
		s := a.Snapshot()
		return len(s.Conns) == 1 && s.Conns[0].In["echo"].Msgs > 0 && len(s.Conns[0].Fields) == 1 && s.Conns[0].Fields[0].Value == "2"
	})
	snap := a.Snapshot()
	if len(snap.Conns) != 1 {
		t.Fatalf("conns: %+v", snap.Conns)
	}
	c := snap.Conns[0]
	if c.Dir != Outbound || c.Listen != b.Addr().String() || c.Out["data"].Msgs != 1 || c.In["echo"].Msgs != 1 {
		t.Errorf("neutral core: %+v", c)
	}
	if len(c.Fields) != 1 || c.Fields[0].Label != "frames" || c.Fields[0].Value != "2" {
		t.Errorf("dialect fields of the connection: %v, want frames 2 (hello, echo)", c.Fields)
	}
	if !slices.Equal(snap.Fields, []Field{{"dialect", "echo"}}) || snap.Outbound != 1 || snap.Listen != a.Addr().String() {
		t.Errorf("snapshot: fields %v, outbound %d, listen %q", snap.Fields, snap.Outbound, snap.Listen)
	}
	if ci, ok := a.Conn(c.ID); !ok || ci.ID != c.ID {
		t.Errorf("Conn(%d) = %+v, %v", c.ID, ci, ok)
	}
}

func TestHostDropSticksUntilConnect(t *testing.T) {
	a := startEchoHost(t, HostConfig{})
	b := startEchoHost(t, HostConfig{})
	if err := a.Dial(b.Addr()); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "established", func() bool { return a.established() == 1 })
	if err := a.Do(Command{Op: OpDrop, Targets: []string{b.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "the drop", func() bool { return a.has(KindClosed, "dropped by user") && len(a.Snapshot().Conns) == 0 })
	if err := a.Dial(b.Addr()); err == nil || !strings.Contains(err.Error(), "dropped") {
		t.Errorf("dial after :drop = %v, want a refusal", err)
	}
	if err := a.Do(Command{Op: OpConnect, Targets: []string{b.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "established again", func() bool { return a.established() == 1 })
}

func TestHostDialBacksOffAfterAFailure(t *testing.T) {
	a := startEchoHost(t, HostConfig{RetryBase: time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	if err := a.Dial(closed); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "the failed dial", func() bool { return a.has(KindError, "dial "+closed.String()) })
	if err := a.Dial(closed); !errors.Is(err, ErrNotNow) {
		t.Errorf("second dial = %v, want ErrNotNow (backoff)", err)
	}
	// :connect is the user's: it ignores the backoff.
	if err := a.Do(Command{Op: OpConnect, Targets: []string{closed.String()}}); err != nil {
		t.Errorf(":connect = %v", err)
	}
}

func TestHostDialBudget(t *testing.T) {
	a := startEchoHost(t, HostConfig{DialBurst: 2, DialsPerSecond: 0.001, RetryBase: time.Hour})
	var targets []*echoHost
	for range 3 {
		targets = append(targets, startEchoHost(t, HostConfig{}))
	}
	for i, b := range targets {
		err := a.Dial(b.Addr())
		if i < 2 && err != nil {
			t.Errorf("dial %d within the burst: %v", i, err)
		}
		if i == 2 && !errors.Is(err, ErrNotNow) {
			t.Errorf("dial past the burst = %v, want ErrNotNow", err)
		}
	}
}

// rawDial opens a TCP connection to h that speaks only when told.
func rawDial(t *testing.T, h *echoHost) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer reports whether the host closed c (EOF within 10 s).
func closedByPeer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	return err == nil
}

func TestHostAcceptCapEvictsSilentConnectionsFirst(t *testing.T) {
	h := startEchoHost(t, HostConfig{MaxInbound: 2})
	silent := rawDial(t, h)
	h.waitFor(t, "the silent one", func() bool { return len(h.Snapshot().Conns) == 1 })
	hello := rawDial(t, h)
	if _, err := hello.Write(echoFrame("hello")); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, "the hello", func() bool { return h.established() == 1 })
	// Full: a newcomer evicts the connection still handshaking.
	newcomer := rawDial(t, h)
	if !closedByPeer(silent) {
		t.Fatal("the silent connection was not evicted")
	}
	h.waitFor(t, "the eviction", func() bool { return h.has(KindClosed, "evicted") })
	// Full of established connections: the next newcomer is refused.
	if _, err := newcomer.Write(echoFrame("hello")); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, "two established", func() bool { return h.established() == 2 })
	refused := rawDial(t, h)
	if !closedByPeer(refused) {
		t.Fatal("a newcomer past the cap was let in")
	}
	h.waitFor(t, "the refusal", func() bool { return h.has(KindWarn, "2 inbound connections already (1 refused so far)") })
	if got := h.Snapshot().Refused; got != 1 {
		t.Errorf("snapshot: %d refused, want 1", got)
	}
}

func TestHostClosesAConnectionThatNeverShakesHands(t *testing.T) {
	h := startEchoHost(t, HostConfig{HandshakeTimeout: 100 * time.Millisecond})
	silent := rawDial(t, h)
	if !closedByPeer(silent) {
		t.Fatal("a silent connection outlived the handshake timeout")
	}
	h.waitFor(t, "the timeout", func() bool { return h.has(KindClosed, "handshake timeout: no handshake within 100ms") })
}

func TestHostDialRefusesWhatNamesNoPeer(t *testing.T) {
	h := startEchoHost(t, HostConfig{})
	for _, a := range []string{"0.0.0.0:8088", "127.0.0.1:0", "224.0.0.1:8088", "255.255.255.255:8088", "[fe80::1]:8088"} {
		if err := h.Dial(netip.MustParseAddrPort(a)); err == nil || !strings.Contains(err.Error(), "cannot be dialled") {
			t.Errorf("Dial(%s) = %v, want a refusal", a, err)
		}
	}
}
