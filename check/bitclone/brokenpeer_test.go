package bitclone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// brokenPeer is a BitClone peer with two classic faults: when a TCP read
// starts with a ping it handles only that ping, losing the rest of the read
// as a peer that reads one message per recv does (only there: the other
// probes' lines may also share a read on a loaded machine, and losing
// them would make the test a race), and
// it exits — listener and every connection closed — on getaddr. Otherwise
// it follows the spec: handshake, pong, rejects.
type brokenPeer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	dead  bool
	wg    sync.WaitGroup
}

func startBrokenPeer(t *testing.T) *brokenPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &brokenPeer{ln: ln, conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(func() { b.die(); b.wg.Wait() })
	return b
}

func (b *brokenPeer) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		if b.dead {
			b.mu.Unlock()
			c.Close()
			return
		}
		b.conns[c] = true
		b.wg.Add(1)
		b.mu.Unlock()
		go b.handle(c)
	}
}

// die is the crash: everything closes.
func (b *brokenPeer) die() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dead = true
	b.ln.Close()
	for c := range b.conns {
		c.Close()
	}
}

func (b *brokenPeer) handle(c net.Conn) {
	defer b.wg.Done()
	defer c.Close()
	var gotVersion, gotVerack bool
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		for line := range bytes.Lines(buf[:n]) {
			if !b.answer(c, line, &gotVersion, &gotVerack) {
				return
			}
			if bytes.HasPrefix(line, []byte(wire.CmdPing+"|")) {
				break // the fault: the rest of the read is lost
			}
		}
	}
}

// answer handles one line; false once the peer died.
func (b *brokenPeer) answer(c net.Conn, line []byte, gotVersion, gotVerack *bool) bool {
	m, err := wire.Parse(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")))
	var reply wire.Message
	switch m := m.(type) {
	case nil:
		if !errors.Is(err, wire.ErrEmptyLine) {
			reply = wire.Reject{Code: 400, Reason: "bad message", Detail: "unparseable"}
		}
	case wire.Version:
		if *gotVersion {
			reply = wire.Reject{Code: 400, Reason: "duplicate version"}
			break
		}
		*gotVersion = true
		local := addrPortOf(c.LocalAddr())
		fmt.Fprintf(c, "verack|%d\r\n", m.Nonce)
		reply = wire.Version{Version: 3, Services: 1, Time: time.Now().Unix(), Recipient: addrPortOf(c.RemoteAddr()),
			Sender: local, Nonce: 77, UserAgent: "broken"}
	case wire.Verack:
		*gotVerack = true
	default:
		switch {
		case !*gotVersion || !*gotVerack:
			reply = wire.Reject{Code: 400, Reason: "handshake first"}
		case m.Command() == wire.CmdPing:
			reply = wire.Pong{Nonce: m.(wire.Ping).Nonce}
		case m.Command() == wire.CmdGetAddr:
			b.die() // the other fault
			return false
		}
	}
	if reply != nil {
		c.Write(reply.AppendWire(nil))
	}
	return true
}

// The suite finds exactly the two faults, and says the peer died on getaddr.
func TestBrokenPeer(t *testing.T) {
	b := startBrokenPeer(t)
	o := fastOptions()
	o.Timeout = time.Second
	o.Pace = 50 * time.Millisecond // the peer loses what follows a ping in one read: keep ours apart
	r, err := Run(context.Background(), b.ln.Addr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	writeText(r, &text, o, check.TextOptions{})
	t.Logf("\n%s", text.String())

	// Every check, as "verdict" or "skip:down" / "skip:not run".
	want := map[string]string{}
	for _, name := range Names() {
		want[name] = "pass"
	}
	want["batch"], want["getaddr"] = "fail", "fail"
	for _, name := range []string{"garbage", "reset", "long-line"} {
		want[name] = "skip:down"
	}
	for _, name := range []string{"outbound", "ping-interval", "idle-expiry", "advertise"} {
		want[name] = "skip:not run"
	}
	for _, oc := range r.Outcomes {
		got := oc.Verdict.String()
		if oc.Verdict == check.Skip && oc.DownSince != "" {
			got += ":down"
		} else if oc.Verdict == check.Skip {
			got += ":not run"
		}
		if got != want[oc.Name] {
			t.Errorf("%s: %s (%s), want %s", oc.Name, got, oc.Detail, want[oc.Name])
		}
	}
	if len(r.Outcomes) != len(want) {
		t.Errorf("%d outcomes, want %d", len(r.Outcomes), len(want))
	}
	if r.DiedIn != "getaddr" || r.Down != "a new connection fails: connect: connection refused" {
		t.Errorf("died in %q (%s), want getaddr (connection refused)", r.DiedIn, r.Down)
	}
	for _, name := range []string{"garbage", "reset", "long-line"} {
		if oc, _ := r.Outcome(name); oc.DownSince != "getaddr" || oc.Detail != "skipped: the peer is down since getaddr" {
			t.Errorf("%s: down since %q: %s", name, oc.DownSince, oc.Detail)
		}
	}
	batch, _ := r.Outcome("batch")
	if !bytes.Contains([]byte(batch.Detail), []byte("answered 1 of 3, not the 2nd and 3rd: the peer stopped answering (nothing within 1s)")) {
		t.Errorf("batch detail: %s", batch.Detail)
	}
	if r.OK() {
		t.Error("report OK; a run with failures must not be")
	}
	if !bytes.Contains(text.Bytes(), []byte("the peer died during getaddr")) {
		t.Errorf("the text report does not say when the peer died")
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
