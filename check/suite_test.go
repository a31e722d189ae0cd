package check

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// A toy binary dialect shows how a dialect plugs its probes into the
// neutral runner: a frame is a 16-bit big-endian length and a payload whose
// first byte is its type. 'h' is our hello, 'H' the peer's answer; 'e'
// asks for an echo, 'E' is one; 'x' makes a buggy peer exit.

func toyFrame(typ byte, data string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(1+len(data)))
	return append(append(b, typ), data...)
}

type toyReader struct {
	r   io.Reader
	buf []byte
}

func (t *toyReader) Next() ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(t.r, n[:]); err != nil {
		return nil, err
	}
	t.buf = append(t.buf[:0], n[:]...)
	t.buf = append(t.buf, make([]byte, binary.BigEndian.Uint16(n[:]))...)
	if _, err := io.ReadFull(t.r, t.buf[2:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return t.buf, nil
}

var toyCommands = map[byte]string{'h': "hello", 'H': "hello-ack", 'e': "echo", 'E': "echo-reply"}

var toyFraming = Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return &toyReader{r: r} },
	Decode: func(frame []byte, partial bool) (string, any, error) {
		if partial || len(frame) < 3 {
			return "?", nil, errors.New("short frame")
		}
		cmd, ok := toyCommands[frame[2]]
		if !ok {
			return "?", nil, fmt.Errorf("unknown type %d", frame[2])
		}
		return cmd, string(frame[3:]), nil
	},
}

// toyHello opens a connection and expects the hello answered: the
// handshake every other toy probe needs. Its failure is the root cause.
func toyHello(e *Env) (*Conn, error) {
	c, err := e.Dial()
	if err != nil {
		return nil, err
	}
	if err := c.Send(toyFrame('h', "")); err != nil {
		c.Close()
		return nil, e.FailedHandshake("sending our hello", err)
	}
	if _, _, err := c.Await(e.Options().Timeout, Is("hello-ack")); err != nil {
		c.Close()
		return nil, e.FailedHandshake("waiting for its hello-ack", err)
	}
	e.Greeted()
	return c, nil
}

// toyEcho sends segments on a fresh connection and expects each payload
// echoed, in order.
func toyEcho(segments [][]byte, want ...string) func(*Env) Result {
	return func(e *Env) Result {
		c, err := toyHello(e)
		if err != nil {
			return Failed(err)
		}
		defer c.Close()
		r := Result{Sent: Clip(bytes.Join(segments, nil))}
		for _, s := range segments {
			if err := c.Send(s); err != nil {
				return Failed(err)
			}
		}
		var got []Frame
		for range want {
			f, _, err := c.Await(e.Options().Timeout, Is("echo-reply"))
			if err != nil {
				r.Verdict, r.Detail = Fail, "no echo: "+err.Error()
				return r
			}
			got = append(got, f)
		}
		r.Got = ClipFrames(got)
		for i, f := range got {
			if f.Msg != want[i] {
				r.Verdict, r.Detail = Fail, fmt.Sprintf("echo %d carries %q, want %q", i+1, f.Msg, want[i])
				return r
			}
		}
		r.Verdict, r.Detail = Pass, fmt.Sprintf("%d %s", len(got), Plural(len(got), "echo", "echoes"))
		return r
	}
}

func toySuite() *Suite {
	whole := toyFrame('e', "abc")
	return &Suite{
		Framing:   toyFraming,
		HelloName: "hello",
		Hello:     func(*Env, *Conn) []byte { return toyFrame('h', "") },
		Timed: func(*Env) map[string]Result {
			return map[string]Result{"keepalive": {Verdict: Pass, Detail: "on time"}}
		},
		Probes: []Probe{
			{Name: "hello", Group: "handshake", Expect: "hello-ack for hello", Run: func(e *Env) Result {
				c, err := toyHello(e)
				if err != nil {
					return Failed(err)
				}
				c.Close()
				return Result{Verdict: Pass, Detail: "answered"}
			}},
			{Name: "echo", Group: "frames", Expect: "an echo", Run: toyEcho([][]byte{whole}, "abc")},
			{Name: "split", Group: "frames", Expect: "a frame split across segments is read whole",
				Run: toyEcho([][]byte{whole[:3], whole[3:]}, "abc")},
			{Name: "several", Group: "frames", Expect: "two frames in one segment get two echoes",
				Run: toyEcho([][]byte{append(toyFrame('e', "1"), toyFrame('e', "2")...)}, "1", "2")},
			{Name: "dial-in", Group: "frames", Listen: true, Expect: "it dials us", Run: func(*Env) Result { return Result{Verdict: Pass} }},
			{Name: "keepalive", Group: "timed", Slow: true, Expect: "a keepalive in time"},
			{Name: "exit", Group: "robustness", Hostile: true, Expect: "an unknown type does not kill it", Run: func(e *Env) Result {
				c, err := toyHello(e)
				if err != nil {
					return Failed(err)
				}
				defer c.Close()
				c.Send(toyFrame('x', ""))
				// Wait until the peer has acted on it (it closes every
				// connection as it exits), so that the runner's liveness
				// check after the probe sees the peer gone, not a race.
				if _, err := c.Watch(e.Options().Timeout); !IsClosed(err) {
					return Result{Verdict: Fail, Detail: fmt.Sprintf("the peer did not close: %v", err)}
				}
				return Result{Verdict: Pass, Detail: "sent"}
			}},
			{Name: "after", Group: "robustness", Hostile: true, Expect: "still there", Run: toyEcho([][]byte{whole}, "abc")},
		},
	}
}

// toyPeer answers hellos (unless mute) and echoes, and exits on 'x'.
func toyPeer(t *testing.T, mute bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	exit := func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				rd := &toyReader{r: c}
				for {
					f, err := rd.Next()
					if err != nil {
						return
					}
					switch f[2] {
					case 'h':
						if !mute {
							c.Write(toyFrame('H', ""))
						}
					case 'e':
						c.Write(toyFrame('E', string(f[3:])))
					case 'x':
						exit()
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() { exit(); wg.Wait() })
	return ln.Addr().String()
}

func toyOptions() Options {
	return Options{Timeout: 300 * time.Millisecond, Pace: 5 * time.Millisecond}
}

// A dialect's probes run on the neutral runner: split and batched frames
// are judged, the Listen and Slow probes are "not run", and a probe that
// kills the peer fails and skips the rest, which the report says.
func TestToySuite(t *testing.T) {
	s := toySuite()
	r, err := Run(context.Background(), toyPeer(t, false), s, toyOptions(), TCP{})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	r.WriteText(&text, s.Names(), "timeout 300ms", TextOptions{})
	t.Logf("\n%s", text.String())
	want := map[string]struct {
		v      Verdict
		detail string
	}{
		"hello":     {Pass, "answered"},
		"echo":      {Pass, "1 echo"},
		"split":     {Pass, "1 echo"},
		"several":   {Pass, "2 echoes"},
		"dial-in":   {Skip, "not run: the peer must dial us (--listen PORT)"},
		"keepalive": {Skip, "not run: a timed check (--slow)"},
		"exit":      {Fail, "sent; then the peer went down: a new connection fails: connect: connection refused"},
		"after":     {Skip, "skipped: the peer is down since exit"},
	}
	if len(r.Outcomes) != len(want) {
		t.Fatalf("%d outcomes, want %d", len(r.Outcomes), len(want))
	}
	for _, o := range r.Outcomes {
		if w := want[o.Name]; o.Verdict != w.v || o.Detail != w.detail {
			t.Errorf("%s: %s %q, want %s %q", o.Name, o.Verdict, o.Detail, w.v, w.detail)
		}
	}
	if r.DiedIn != "exit" || r.OK() {
		t.Errorf("died in %q, OK %v", r.DiedIn, r.OK())
	}
	for _, w := range []string{"the peer died during exit (started at +", "\nwe listened at " + r.Us.String() + " during the run\n"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("the summary lacks %q", w)
		}
	}

	// With Slow, the timed probe runs, by Suite.Timed.
	o := toyOptions()
	o.Slow = true
	r, err = Run(context.Background(), toyPeer(t, false), s, o, TCP{})
	if err != nil {
		t.Fatal(err)
	}
	if oc, _ := r.Outcome("keepalive"); oc.Verdict != Pass || oc.Detail != "on time" {
		t.Errorf("keepalive with Slow: %+v", oc)
	}
}

// A peer that never answers the hello: the first probe states the cause,
// and every other probe is not run, pointing at it.
func TestToySuiteRootCause(t *testing.T) {
	r, err := Run(context.Background(), toyPeer(t, true), toySuite(), toyOptions(), TCP{})
	if err != nil {
		t.Fatal(err)
	}
	if r.NoHandshake != "hello" || r.DiedIn != "" || r.OK() {
		t.Errorf("no handshake in %q, died in %q, OK %v", r.NoHandshake, r.DiedIn, r.OK())
	}
	for _, o := range r.Outcomes {
		switch {
		case o.Name == "hello":
			if want := "handshake: waiting for its hello-ack: the peer stopped answering (nothing within 300ms)"; o.Verdict != Fail || o.Detail != want {
				t.Errorf("hello: %s %q, want fail %q", o.Verdict, o.Detail, want)
			}
		case o.Name == "dial-in" || o.Name == "keepalive":
			if o.Blocked != "" {
				t.Errorf("%s: blocked by %q; it was not asked for", o.Name, o.Blocked)
			}
		default:
			if o.Verdict != Skip || o.Blocked != "hello" || o.Detail != "not run: no handshake (see hello)" {
				t.Errorf("%s: %s %q (blocked by %q)", o.Name, o.Verdict, o.Detail, o.Blocked)
			}
		}
	}
}

func TestSuiteValid(t *testing.T) {
	s := toySuite()
	s.Timed = nil
	if _, err := Run(context.Background(), "127.0.0.1:1", s, toyOptions(), TCP{}); err == nil || err.Error() != "check: keepalive is a timed probe, and the suite has no Timed" {
		t.Errorf("err %v", err)
	}
}

// A suite names what every check needs (Suite.Handshake): the checks not
// run and the summary use its word, not "handshake".
func TestToySuiteNamesItsHandshake(t *testing.T) {
	s := toySuite()
	s.Handshake = "hello"
	r, err := Run(context.Background(), toyPeer(t, true), s, toyOptions(), TCP{})
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := r.Outcome("echo"); o.Detail != "not run: no hello (see hello)" {
		t.Errorf("echo: %q", o.Detail)
	}
	var text bytes.Buffer
	r.WriteText(&text, s.Names(), "timeout 300ms", TextOptions{})
	if want := "\nno hello in hello (see there): the 5 checks after it need one and were not run\n"; !strings.Contains(text.String(), want) {
		t.Errorf("the summary lacks %q:\n%s", want, text.String())
	}
}

// A hostile check that is not run (it skips itself) upset nobody: its
// detail does not say that the peer still accepts connections.
func TestHostileSkipSaysNothingOfThePeer(t *testing.T) {
	s := toySuite()
	s.Probes = []Probe{{Name: "bold", Group: "robustness", Hostile: true, Run: func(*Env) Result {
		return Result{Verdict: Skip, Detail: "not run: nothing to ask for"}
	}}}
	r, err := Run(context.Background(), toyPeer(t, false), s, toyOptions(), TCP{})
	if err != nil {
		t.Fatal(err)
	}
	if oc, _ := r.Outcome("bold"); oc.Detail != "not run: nothing to ask for" {
		t.Errorf("detail %q", oc.Detail)
	}
}

// Suite.Answered replaces the liveness check's wait for a frame on the
// fresh connection: a peer that answers elsewhere (a PEX node dials us
// back) is alive when Answered says so, and down with Answered's reason.
func TestAnsweredDecidesLiveness(t *testing.T) {
	greeted := Probe{Name: "greeted", Group: "g", Run: func(e *Env) Result {
		e.Greeted() // as a probe that saw an answer elsewhere does
		return Result{Verdict: Pass, Detail: "ok"}
	}}
	for _, tt := range []struct {
		name     string
		answered func(*Env, *Conn) error
		diedIn   string
		detail   string
	}{
		{"none", nil, "greeted", "ok; then the peer went down: it accepts connections, but after our hello: the peer stopped answering (nothing within 300ms)"},
		{"answered elsewhere", func(*Env, *Conn) error { return nil }, "", "ok"},
		{"gone elsewhere", func(*Env, *Conn) error { return errors.New("its connection to us is closed") }, "greeted",
			"ok; then the peer went down: it accepts connections, but after our hello: its connection to us is closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := toySuite()
			s.Probes, s.Answered = []Probe{greeted}, tt.answered
			r, err := Run(context.Background(), toyPeer(t, true), s, toyOptions(), TCP{})
			if err != nil {
				t.Fatal(err)
			}
			if oc, _ := r.Outcome("greeted"); r.DiedIn != tt.diedIn || oc.Detail != tt.detail {
				t.Errorf("died in %q, detail %q; want %q, %q", r.DiedIn, oc.Detail, tt.diedIn, tt.detail)
			}
		})
	}
}
