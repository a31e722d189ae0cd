package check

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
func runProbe(t *testing.T, name, addr string) Result {
	t.Helper()
	o := fastOptions()
	o.Timeout = 500 * time.Millisecond
	e := &env{ctx: context.Background(), target: addr, o: o.withDefaults()}
	for _, p := range probes {
		if p.name == name {
			return p.run(e)
		}
	}
	t.Fatalf("no check %q", name)
	return Result{}
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
		verdict Verdict
		detail  string
	}{
		{"version", conformant, Pass, `9 fields; version 3, services 1, nonce 77, agent "script"`},
		{"version", quirkyVersion, Warn, "version number 2, want 3 (project 3) or 4; services 0 lacks the peer-to-peer bit (1); the line ends with a bare LF, not CRLF"},
		{"version", func(s *scriptConn, line string) string { return "verack|1\r\nversion|3|1|5|1.2.3.4:5\r\n" }, Fail, "version: want 9 fields, got 5"},
		{"version-time", quirkyVersion, Warn, "looks like milliseconds"},
		{"version-recipient", quirkyVersion, Warn, "recipient 10.9.9.9:1, but we connected from 127.0.0.1:"},
		{"version-sender", quirkyVersion, Warn, "sender IP 0.0.0.0, but we reached it at 127.0.0.1"},
		{"verack", quirkyVersion, Warn, "carries 9000, the block id of its own version"},
		{"verack", withVerack("verack|12345"), Warn, "carries 12345, not our version's nonce"},
		{"verack", withVerack("verack"), Fail, "verack: want 2 fields, got 1"},
		{"quiet-handshake", func(s *scriptConn, line string) string {
			out := conformant(s, line)
			if strings.HasPrefix(line, "version|") {
				out += "getaddr\r\n"
			}
			return out
		}, Fail, "sent getaddr before the handshake completed"},
		{"early-ping", func(s *scriptConn, line string) string {
			s.gotVerack = true // acts as if established once it has our version
			return conformant(s, line)
		}, Fail, "it answered a ping sent before the handshake completed"},
		{"early-ping", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "ping|") {
				return ""
			}
			return conformant(s, line)
		}, Warn, "ignored it without a reject"},
		{"unknown-command", func(s *scriptConn, line string) string {
			return strings.Replace(conformant(s, line), "reject|400", "reject|500", 1)
		}, Warn, "code 500 is a server error"},
		{"unknown-command", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "flowers") {
				return ""
			}
			return conformant(s, line)
		}, Fail, "no reject: no answer within 500ms"},
		{"bad-nonce", func(s *scriptConn, line string) string {
			if line == "ping|abc" {
				return "reject|400|bad nonce|\r\npong|0\r\n"
			}
			return conformant(s, line)
		}, Fail, "it rejected it, but answered pong as well"},
		{"ping", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "ping|") {
				return "pong|1\r\n"
			}
			return conformant(s, line)
		}, Fail, "pong carries 1, not the ping's nonce"},
		{"getaddr", func(s *scriptConn, line string) string {
			if line == "getaddr" {
				return "addr|3|1|1.2.3.4:5|2|1.2.3.4:6\r\n"
			}
			return conformant(s, line)
		}, Fail, "addr: count: says 3, found 2 entries"},
		{"getaddr", conformant, Pass, "addr with 1 entry"},
		{"garbage", func(s *scriptConn, line string) string {
			if strings.Contains(line, "garbage") {
				return ""
			}
			return conformant(s, line)
		}, Pass, "ignored it, then answered a ping"},
		{"garbage", func(s *scriptConn, line string) string {
			if strings.Contains(line, "garbage") {
				return hangUp
			}
			return conformant(s, line)
		}, Warn, "it closed the connection"},
		{"long-line", func(s *scriptConn, line string) string {
			if strings.HasPrefix(line, "message|") {
				return "reject|400|too long|\r\n"
			}
			return conformant(s, line)
		}, Pass, "rejected it, then answered a ping"},
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

// A peer that takes connections but never answers fails the first check
// within the timeout, and is then reported down: the suite never hangs.
func TestSilentPeer(t *testing.T) {
	addr := startScriptPeer(t, func(*scriptConn, string) string { return "" })
	o := fastOptions()
	o.Timeout = 200 * time.Millisecond
	start := time.Now()
	r, err := Run(context.Background(), addr, o)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	first := r.Outcomes[0]
	if first.Verdict != Fail || first.Detail != "waiting for version and verack: no answer within 200ms; then the peer went down: it accepts connections, but after our version: no answer within 200ms" {
		t.Errorf("first: %s %q", first.Verdict, first.Detail)
	}
	if r.DiedIn != "version" || r.OK() {
		t.Errorf("died in %q, OK %v", r.DiedIn, r.OK())
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
	if long.Verdict != Pass || !strings.HasSuffix(long.Detail, "; then it refused new connections from us (a ban)") {
		t.Errorf("long-line: %s %q", long.Verdict, long.Detail)
	}
	if !r.OK() || !r.Refused || r.DiedIn != "long-line" {
		t.Errorf("OK %v, refused %v, died in %q", r.OK(), r.Refused, r.DiedIn)
	}
	var text bytes.Buffer
	r.WriteText(&text, fastOptions(), TextOptions{})
	if !strings.Contains(text.String(), "\nthe peer refused us after long-line (started at +") {
		t.Errorf("report:\n%s", text.String())
	}
}
