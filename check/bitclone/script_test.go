package bitclone

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// scriptPeer is a fake peer whose answers a test writes: on gets each line
// (without its ending) and returns the bytes to write back.
type scriptPeer struct {
	ln net.Listener
	on func(s *scriptConn, line string) string
	wg sync.WaitGroup
}

// scriptConn is one connection's handshake state.
type scriptConn struct {
	remote, local           string
	gotVersion, gotVerack   bool
	established, hasVersion bool
}

func startScriptPeer(t *testing.T, on func(s *scriptConn, line string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &scriptPeer{ln: ln, on: on}
	var mu sync.Mutex
	var conns []net.Conn
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			p.wg.Add(1)
			go p.serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		p.wg.Wait()
	})
	return ln.Addr().String()
}

func (p *scriptPeer) serve(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	s := &scriptConn{remote: c.RemoteAddr().String(), local: c.LocalAddr().String()}
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 2<<20) // the long-line check sends a MiB
	for sc.Scan() {
		switch out := p.on(s, strings.TrimSuffix(sc.Text(), "\r")); out {
		case hangUp:
			return
		case "":
		default:
			c.Write([]byte(out))
		}
	}
}

// hangUp, returned by on, closes the connection.
const hangUp = "\x00hang up"

// pipeNetwork carries a run to a scripted peer over net.Pipe, with made-up
// loopback addresses, so that the run can go in a synctest bubble: its
// clock is fake, and a 5 s timeout takes no time. Nothing touches the
// network.
type pipeNetwork struct {
	peer  *scriptPeer
	addr  netip.AddrPort // the peer's
	mu    sync.Mutex
	port  uint16 // the last local port handed out
	dials int
}

// pipePeerAddr is where a pipe network's peer is.
const pipePeerAddr = "127.0.0.1:8333"

func newPipeNetwork(t *testing.T, on func(s *scriptConn, line string) string) *pipeNetwork {
	n := &pipeNetwork{peer: &scriptPeer{on: on}, addr: netip.MustParseAddrPort(pipePeerAddr), port: 40000}
	t.Cleanup(n.peer.wg.Wait) // each serve ends when the run closes its end
	return n
}

func (n *pipeNetwork) nextAddr() netip.AddrPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.port++
	return netip.AddrPortFrom(n.addr.Addr(), n.port)
}

func (n *pipeNetwork) Dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	if addr != n.addr.String() {
		return nil, fmt.Errorf("dial %s: no such peer", addr)
	}
	ours, theirs := net.Pipe()
	local := n.nextAddr()
	n.mu.Lock()
	n.dials++
	n.mu.Unlock()
	n.peer.wg.Add(1)
	go n.peer.serve(addrConn{theirs, n.addr, local})
	return addrConn{ours, local, n.addr}, nil
}

func (n *pipeNetwork) Listen(string) (net.Listener, error) {
	return &pipeListener{addr: n.nextAddr(), closed: make(chan struct{})}, nil
}

// addrConn gives a pipe end TCP addresses.
type addrConn struct {
	net.Conn
	local, remote netip.AddrPort
}

func (c addrConn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }
func (c addrConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// pipeListener is our listener on a pipe network: nobody dials it.
type pipeListener struct {
	addr      netip.AddrPort
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) { <-l.closed; return nil, net.ErrClosed }
func (l *pipeListener) Close() error              { l.closeOnce.Do(func() { close(l.closed) }); return nil }
func (l *pipeListener) Addr() net.Addr            { return net.TCPAddrFromAddrPort(l.addr) }

// conformant answers as the spec says.
func conformant(s *scriptConn, line string) string {
	m, err := wire.Parse([]byte(line))
	switch m := m.(type) {
	case nil:
		return fmt.Sprintf("reject|400|bad message|%v\r\n", err)
	case wire.Version:
		if s.gotVersion {
			return "reject|400|duplicate version|\r\n"
		}
		s.gotVersion = true
		return fmt.Sprintf("verack|%d\r\nversion|3|1|%d|%s|%s|77|script|0\r\n", m.Nonce, time.Now().Unix(), s.remote, s.local)
	case wire.Verack:
		s.gotVerack = true
		return ""
	case wire.Ping:
		if !s.gotVerack {
			return "reject|400|handshake first|\r\n"
		}
		return fmt.Sprintf("pong|%d\r\n", m.Nonce)
	case wire.GetAddr:
		return fmt.Sprintf("addr|1|%d|%s\r\n", time.Now().Unix(), s.local)
	}
	return ""
}

// withVerack answers our version with the verack given.
func withVerack(verack string) func(s *scriptConn, line string) string {
	return func(s *scriptConn, line string) string {
		out := conformant(s, line)
		if _, rest, ok := strings.Cut(out, "\r\n"); ok && strings.HasPrefix(out, "verack|") {
			out = verack + "\r\n" + rest
		}
		return out
	}
}

// runProbe runs one named check against addr.
func runProbe(t *testing.T, name, addr string) check.Result {
	t.Helper()
	o := fastOptions()
	o.Timeout = 500 * time.Millisecond
	return runProbeOn(t, name, addr, o, check.TCP{})
}

func runProbeOn(t *testing.T, name, addr string, o Options, nw check.Network) check.Result {
	t.Helper()
	e, err := newEnv(context.Background(), addr, o, nw)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, p := range probes {
		if p.Name == name {
			return p.Run(e)
		}
	}
	t.Fatalf("no check %q", name)
	return check.Result{}
}

func TestJudgements(t *testing.T) {
	ms := time.Now().UnixMilli()
	quirkyVersion := func(s *scriptConn, line string) string {
		if strings.HasPrefix(line, "version|") {
			_, port, _ := net.SplitHostPort(s.local)
			return fmt.Sprintf("verack|9000\nversion|2|0|%d|10.9.9.9:1|0.0.0.0:%s|77|script|9000\n", ms, port)
		}
		return conformant(s, line)
	}
	tests := []struct {
		check   string
		on      func(s *scriptConn, line string) string
		verdict check.Verdict
		detail  string
	}{
		{"version", conformant, check.Pass, `9 fields; version 3, services 1, nonce 77, agent "script"`},
		{"version", quirkyVersion, check.Warn, "version number 2, want 3 (project 3) or 4; services 0 lacks the peer-to-peer bit (1); the line ends with a bare LF, not CRLF"},
		{"version", func(s *scriptConn, line string) string { return "verack|1\r\nversion|3|1|5|1.2.3.4:5\r\n" }, check.Fail, "version: want 9 fields, got 5"},
		{"version-time", quirkyVersion, check.Warn, "looks like milliseconds"},
		{"version-recipient", quirkyVersion, check.Warn, "recipient 10.9.9.9:1, but we connected from 127.0.0.1:"},
		{"version-sender", quirkyVersion, check.Warn, "sender IP 0.0.0.0, but we reached it at 127.0.0.1"},
		{"verack", quirkyVersion, check.Warn, "carries 9000, the block id of its own version"},
		{"verack", withVerack("verack|12345"), check.Warn, "carries 12345, not our version's nonce"},
		{"verack", withVerack("verack"), check.Fail, "verack: want 2 fields, got 1"},
		{"quiet-handshake", func(s *scriptConn, line string) string {
			out := conformant(s, line)
			if strings.HasPrefix(line, "version|") {
				out += "getaddr\r\n"
			}
			return out
		}, check.Fail, "sent getaddr before the handshake completed"},
		{"early-ping", func(s *scriptConn, line string) string {
			s.gotVerack = true // acts as if established once it has our version
			return conformant(s, line)
		}, check.Fail, "it answered a ping sent before the handshake completed"},
		{"early-ping", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "ping|") {
				return ""
			}
			return conformant(s, line)
		}, check.Warn, "ignored it without a reject"},
		{"unknown-command", func(s *scriptConn, line string) string {
			return strings.Replace(conformant(s, line), "reject|400", "reject|500", 1)
		}, check.Warn, "code 500 is a server error"},
		{"unknown-command", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "flowers") {
				return ""
			}
			return conformant(s, line)
		}, check.Fail, "no reject: the peer stopped answering (nothing within 500ms)"},
		{"bad-nonce", func(s *scriptConn, line string) string {
			if line == "ping|abc" {
				return "reject|400|bad nonce|\r\npong|0\r\n"
			}
			return conformant(s, line)
		}, check.Fail, "it rejected it, but answered pong as well"},
		{"ping", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "ping|") {
				return "pong|1\r\n"
			}
			return conformant(s, line)
		}, check.Fail, "pong carries 1, not the ping's nonce"},
		{"getaddr", func(s *scriptConn, line string) string {
			if line == "getaddr" {
				return "addr|3|1|1.2.3.4:5|2|1.2.3.4:6\r\n"
			}
			return conformant(s, line)
		}, check.Fail, "addr: count: says 3, found 2 entries"},
		{"getaddr", conformant, check.Pass, "addr with 1 entry"},
		{"garbage", func(s *scriptConn, line string) string {
			if strings.Contains(line, "garbage") {
				return ""
			}
			return conformant(s, line)
		}, check.Pass, "ignored it, then answered a ping"},
		{"garbage", func(s *scriptConn, line string) string {
			if strings.Contains(line, "garbage") {
				return hangUp
			}
			return conformant(s, line)
		}, check.Warn, "the peer closed the connection; the notes ask for a reject"},
		{"long-line", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "message|") {
				return "reject|400|too long|\r\n"
			}
			return conformant(s, line)
		}, check.Pass, "rejected it, then answered a ping"},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			addr := startScriptPeer(t, tt.on)
			r := runProbe(t, tt.check, addr)
			if r.Verdict != tt.verdict || !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("%s: %s %q\nwant %s containing %q", tt.check, r.Verdict, r.Detail, tt.verdict, tt.detail)
			}
		})
	}
}

// The most common student bugs: a peer that takes connections but never
// answers, one that sends its version but never a verack, and one that
// hangs up (as soon as it reads, as TCP shows it: our write goes through). The handshake fails once, that check says why, and
// the checks that need a handshake (all the rest) are not run: no string
// of failures each blaming something else, and the run waits out the
// timeout once, not once per check (the fake clock of the bubble measures
// it with the default 5 s timeout).
func TestNoHandshake(t *testing.T) {
	versionOnly := func(s *scriptConn, line string) string {
		if strings.HasPrefix(line, "version|") && !s.gotVersion {
			s.gotVersion = true
			return fmt.Sprintf("version|3|1|%d|%s|%s|77|half|0\r\n", time.Now().Unix(), s.remote, s.local)
		}
		return ""
	}
	tests := []struct {
		name    string
		on      func(s *scriptConn, line string) string
		failed  string // the check whose handshake failed
		cause   string // its detail
		passed  int    // the checks before it, which pass
		wording string // how the peer ended the handshake, and only that
	}{
		{"silent", func(*scriptConn, string) string { return "" }, "version",
			"handshake: waiting for its version: the peer stopped answering (nothing within 5s)", 0, "stopped answering"},
		{"version without verack", versionOnly, "verack",
			"handshake: waiting for its verack: the peer stopped answering (within 5s it sent only version)", 4, "stopped answering"},
		{"hangs up", func(*scriptConn, string) string { return hangUp }, "version",
			"handshake: waiting for its version: the peer closed the connection", 0, "closed the connection"},
	}
	wordings := []string{"stopped answering", "closed the connection"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				nw := newPipeNetwork(t, tt.on)
				r, err := RunOn(context.Background(), pipePeerAddr, Options{}, nw)
				if err != nil {
					t.Fatal(err)
				}
				var text bytes.Buffer
				writeText(r, &text, Options{}, check.TextOptions{})
				t.Logf("\n%s", text.String())

				if r.NoHandshake != tt.failed || r.DiedIn != "" || r.OK() {
					t.Errorf("no handshake in %q, died in %q, OK %v; want %q, alive, not OK", r.NoHandshake, r.DiedIn, r.OK(), tt.failed)
				}
				blocked, passed := 0, 0
				seen := false
				for _, o := range r.Outcomes {
					switch {
					case o.Name == tt.failed:
						seen = true
						if o.Verdict != check.Fail || o.Detail != tt.cause {
							t.Errorf("%s: %s %q\nwant fail %q", o.Name, o.Verdict, o.Detail, tt.cause)
						}
					case !seen && o.Verdict == check.Pass:
						passed++
					case seen && o.Verdict == check.Skip && o.Blocked == tt.failed:
						blocked++
						if want := "not run: no handshake (see " + tt.failed + ")"; o.Detail != want {
							t.Errorf("%s: %q, want %q", o.Name, o.Detail, want)
						}
					case o.Verdict == check.Skip && strings.HasPrefix(o.Detail, "not run: ") && o.Blocked == "":
						// not asked for: the timed and outbound checks
					default:
						t.Errorf("%s: %s %q (blocked by %q)", o.Name, o.Verdict, o.Detail, o.Blocked)
					}
				}
				if passed != tt.passed {
					t.Errorf("%d passed before the handshake failed, want %d", passed, tt.passed)
				}
				if want := len(probes) - tt.passed - 1 - 4; blocked != want {
					t.Errorf("%d checks not run for want of a handshake, want %d", blocked, want)
				}
				out := text.String()
				for _, w := range wordings {
					if n, want := strings.Count(out, w), map[bool]int{true: 1}[w == tt.wording]; n != want {
						t.Errorf("the report says %q %d times, want %d", w, n, want)
					}
				}
				if want := fmt.Sprintf("\nno handshake in %s (see there): the %d checks after it need one and were not run\n", tt.failed, blocked); !strings.Contains(out, want) {
					t.Errorf("the summary lacks %q", want)
				}
				if r.Duration >= 2*check.DefaultTimeout {
					t.Errorf("the run took %s, want one %s timeout and a little", r.Duration, check.DefaultTimeout)
				}
			})
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, err := Run(context.Background(), addr, fastOptions())
	if r != nil || err == nil || !strings.HasPrefix(err.Error(), "cannot reach "+addr+": dial tcp "+addr+": connect: ") {
		t.Errorf("report %v, err %v", r, err)
	}
}

// A peer that bans us after the 1 MiB line (as bitclone does off loopback)
// passes: the report says it refuses us, not that it died.
func TestBanAfterLongLine(t *testing.T) {
	var banned atomic.Bool
	addr := startScriptPeer(t, func(s *scriptConn, line string) string {
		switch {
		case banned.Load() && !s.gotVersion:
			return hangUp // a connection from a banned IP
		case strings.HasPrefix(line, "message|100|long line|"):
			banned.Store(true)
		}
		return conformant(s, line)
	})
	r, err := Run(context.Background(), addr, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	long, _ := r.Outcome("long-line")
	if long.Verdict != check.Pass || !strings.HasSuffix(long.Detail, "; then it refused new connections from us (a ban)") {
		t.Errorf("long-line: %s %q", long.Verdict, long.Detail)
	}
	if !r.OK() || !r.Refused || r.DiedIn != "long-line" {
		t.Errorf("OK %v, refused %v, died in %q", r.OK(), r.Refused, r.DiedIn)
	}
	var text bytes.Buffer
	writeText(r, &text, fastOptions(), check.TextOptions{})
	if !strings.Contains(text.String(), "\nthe peer refused us after long-line (started at +") {
		t.Errorf("report:\n%s", text.String())
	}
}

// An unsolicited reject is not blamed on the check that happens to run: a
// reject that came before our question is passed over, and one that came
// after it is taken for the answer only if the answer does not follow.
func TestUnsolicitedReject(t *testing.T) {
	nag := "reject|400|nag|you are still here\r\n"
	tests := []struct {
		check   string
		on      func(s *scriptConn, line string) string
		verdict check.Verdict
		detail  string
	}{
		// In the middle of the probe, before the answer.
		{"ping", func(s *scriptConn, line string) string {
			out := conformant(s, line)
			if strings.HasPrefix(line, "ping|") {
				out = nag + out
			}
			return out
		}, check.Pass, "; a reject came as well, not taken for the answer"},
		{"getaddr", func(s *scriptConn, line string) string {
			out := conformant(s, line)
			if line == "getaddr" {
				out = nag + out
			}
			return out
		}, check.Pass, "addr with 1 entry; a reject came as well"},
		// Right after the handshake, before our question: it does not
		// count as the reject the question asks for.
		{"unknown-command", func(s *scriptConn, line string) string {
			switch {
			case strings.HasPrefix(line, "verack|"):
				return nag
			case strings.HasPrefix(line, "flowers"):
				return ""
			}
			return conformant(s, line)
		}, check.Fail, "no reject: the peer stopped answering (within 5s it sent only reject)"},
		// A reject of the question itself is still one.
		{"ping", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "ping|") {
				return "reject|400|no pings today|\r\n"
			}
			return conformant(s, line)
		}, check.Fail, "rejected a valid ping"},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runProbeOn(t, tt.check, pipePeerAddr, Options{}, newPipeNetwork(t, tt.on))
				if r.Verdict != tt.verdict || !strings.Contains(r.Detail, tt.detail) {
					t.Errorf("%s: %s %q\nwant %s containing %q", tt.check, r.Verdict, r.Detail, tt.verdict, tt.detail)
				}
			})
		})
	}
}

// Every connection of one run claims one address, ours for the run: the
// peer learns no address that nobody listens on. Whoever dials it gets a
// proper handshake, and a connection that answers a ping.
func TestOneAddressPerRun(t *testing.T) {
	var mu sync.Mutex
	var senders []string
	addr := startScriptPeer(t, func(s *scriptConn, line string) string {
		if v, err := wire.Parse([]byte(line)); err == nil {
			if v, ok := v.(wire.Version); ok {
				mu.Lock()
				senders = append(senders, v.Sender.String())
				mu.Unlock()
			}
		}
		return conformant(s, line)
	})
	o := fastOptions()
	var dialled error
	o.Progress = func(oc check.Outcome) {
		if oc.Name != "version" {
			return
		}
		// Between two checks, as a peer that learned the address would.
		mu.Lock()
		us := senders[0]
		mu.Unlock()
		dialled = handshakeWith(us, true)
	}
	r, err := Run(context.Background(), addr, o)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("the report is not OK")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(senders) < len(probes) {
		t.Errorf("only %d versions", len(senders))
	}
	for i, s := range senders {
		if s != r.Us.String() {
			t.Errorf("version %d names sender %s, want %s (the run's address)", i, s, r.Us)
		}
	}
	if dialled != nil {
		t.Errorf("dialling %s: %v", r.Us, dialled)
	}
	if c, err := net.Dial("tcp", r.Us.String()); err == nil {
		c.Close()
		t.Errorf("%s still takes connections after the run", r.Us)
	}
}

// handshakeWith dials addr as a peer that learned it would: our version,
// then its verack (with our nonce) and version, our verack and getaddr,
// and if ping, a ping that must get its pong.
func handshakeWith(addr string, ping bool) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	rd := wire.NewReader(c, 0)
	fmt.Fprintf(c, "version|3|1|%d|%s|%s|4242|dialler|0\r\n", time.Now().Unix(), addr, c.LocalAddr())
	var theirs uint64
	for _, want := range []string{"verack", "version"} {
		text, err := rd.Next()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", want, err)
		}
		m, err := wire.Parse(text)
		switch m := m.(type) {
		case wire.Verack:
			if want != "verack" || m.Nonce != 4242 {
				return fmt.Errorf("got %q, want a verack with our nonce", text)
			}
		case wire.Version:
			if want != "version" || m.Sender.String() != addr {
				return fmt.Errorf("got %q, want a version from %s", text, addr)
			}
			theirs = m.Nonce
		default:
			return fmt.Errorf("got %q (%v), want %s", text, err, want)
		}
	}
	fmt.Fprintf(c, "verack|%d\r\ngetaddr\r\n", theirs)
	if !ping {
		return nil
	}
	fmt.Fprintf(c, "ping|99\r\n")
	for {
		text, err := rd.Next()
		switch {
		case err != nil:
			return fmt.Errorf("waiting for pong|99: %w", err)
		case string(text) == "pong|99":
			return nil
		case !bytes.HasPrefix(text, []byte("addr|")):
			return fmt.Errorf("got %q, want pong|99", text)
		}
	}
}

// A peer that learns our address only from our addr (not from our
// versions) dials it once we hang up the connection that claims it, and
// the outbound check judges that handshake.
func TestOutboundAfterAddr(t *testing.T) {
	var wg sync.WaitGroup
	dialled := make(chan error, 1)
	addr := startScriptPeer(t, func(s *scriptConn, line string) string {
		if m, err := wire.Parse([]byte(line)); err == nil {
			if a, ok := m.(wire.Addr); ok && len(a.Entries) == 1 {
				wg.Go(func() { dialled <- handshakeWith(a.Entries[0].Addr.String(), false) })
			}
		}
		return conformant(s, line)
	})
	t.Cleanup(wg.Wait)
	o := fastOptions()
	o.Timeout = 500 * time.Millisecond
	o.Listen = "0"
	res := runProbeOn(t, "outbound", addr, o, check.TCP{})
	if res.Verdict != check.Pass || !strings.Contains(res.Detail, "after our addr; version first, verack with our nonce, then getaddr") {
		t.Errorf("outbound: %s %q", res.Verdict, res.Detail)
	}
	if err := <-dialled; err != nil {
		t.Errorf("the peer's side: %v", err)
	}
}

// The timed checks share one connection (three would claim our address
// at once), and judge what it saw against the spec's intervals: here a
// peer that never pings, never advertises and never closes, watched for
// twice the 90 s inactivity limit of fake time.
func TestTimedChecksOnOneConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := newPipeNetwork(t, conformant)
		e, err := newEnv(context.Background(), pipePeerAddr, Options{Options: check.Options{Slow: true}}, nw)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		before := nw.dials
		got := timedChecks(e)
		if n := nw.dials - before; n != 1 {
			t.Errorf("the timed checks opened %d connections, want 1", n)
		}
		want := map[string]struct {
			v      check.Verdict
			detail string
		}{
			"ping-interval": {check.Fail, "no ping within 36s"},
			"advertise":     {check.Fail, "no addr within 36s"},
			"idle-expiry":   {check.Warn, "still open after 3m0s of silence from us (inactivity limit 1m30s)"},
		}
		for name, w := range want {
			if r := got[name]; r.Verdict != w.v || r.Detail != w.detail {
				t.Errorf("%s: %s %q, want %s %q", name, r.Verdict, r.Detail, w.v, w.detail)
			}
		}
	})
}

// writeText prints a whole BitClone report, as bitclone check does.
func writeText(r *check.Report, w io.Writer, o Options, to check.TextOptions) error {
	return r.WriteText(w, Names(), Settings(o), to)
}
