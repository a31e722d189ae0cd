package toy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

// env is what every toy probe gets: the run's check.Env, the options
// (defaults filled in) and the run's state.
type env struct {
	*check.Env
	o   Options
	run *runState
}

// runState is what the probes of one run share.
type runState struct {
	target string
	// msgid is the last msgid we used. It starts at random, so that a
	// node's seen-set from an earlier run does not swallow this run's
	// searches as repeats.
	msgid atomic.Int64
}

func newRunState(target string) *runState {
	rs := &runState{target: target}
	rs.msgid.Store(int64(rand.Int32N(1 << 30)))
	return rs
}

// id is a fresh msgid.
func (e *env) id() int64 { return e.run.msgid.Add(1) }

// wrap gives a probe of the run e its env.
func wrap(e *check.Env, o Options, rs *runState) *env {
	o = o.withDefaults()
	o.Options = e.Options()
	return &env{Env: e, o: o, run: rs}
}

// encode is one of our messages on the wire. Ours are within the codec's
// limits (Run checks --file), so an error is a bug of ours.
func encode(m wire.Message) []byte {
	b, err := wire.Encode(m)
	if err != nil {
		panic(fmt.Sprintf("check/toy: our own %s does not encode: %v", m.Type, err))
	}
	return b
}

// message is f's decoded message, and whether it decoded.
func message(f frame) (wire.Message, bool) {
	m, ok := f.Msg.(wire.Message)
	return m, ok && f.Err == nil
}

// isReply matches a datagram of msgtype cmd that answers msgid id.
func isReply(cmd string, id int64) func(frame) bool {
	return func(f frame) bool {
		m, ok := message(f)
		return ok && f.Cmd == cmd && m.HasReplyTo && m.ReplyTo == id
	}
}

// anyReplyTo matches any datagram that answers msgid id.
func anyReplyTo(id int64) func(frame) bool {
	return func(f frame) bool {
		m, ok := message(f)
		return ok && m.HasReplyTo && m.ReplyTo == id
	}
}

// notReply says why f is not a good cmd answering msgid id ("" if it is).
func notReply(f frame, cmd string, id int64) string {
	m, ok := message(f)
	switch {
	case f.Cmd != cmd:
		return "it answered " + words(f.Raw) + ", not a " + cmd
	case !ok:
		return "a " + cmd + " that does not decode: " + f.Err.Error()
	case m.ReplyTo != id:
		return fmt.Sprintf("a %s whose replyto is %d, not our msgid %d", cmd, m.ReplyTo, id)
	}
	return ""
}

// ask sends m on c and waits up to the timeout for the first datagram of
// msgtype want (what came before it is skipped, and returned).
func (e *env) ask(c *conn, m wire.Message, want string) (frame, []frame, error) {
	if err := send(c, m); err != nil {
		return frame{}, nil, err
	}
	return c.Await(e.o.Timeout, check.Is(want))
}

// exchange sends the datagram b on c and collects what comes back within
// the settle time, both shown in r; ok is false (r failed) if either did.
func (e *env) exchange(c *conn, b []byte) (r check.Result, got []frame, ok bool) {
	r.Sent = shown(b)
	if err := c.Send(b); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r, nil, false
	}
	got, err := c.Watch(e.o.Settle())
	if err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r, nil, false
	}
	r.Got = shownFrames(got...)
	return r, got, true
}

// send writes m as one datagram.
func send(c *conn, m wire.Message) error { return c.Send(encode(m)) }

// ping sends a ping on c and waits for a pong: any pong tells the node
// is up (the ping check judges its replyto). id is the ping's msgid.
func (e *env) ping(c *conn) (sent []byte, id int64, pong frame, err error) {
	p := wire.Ping(e.id())
	sent = encode(p)
	if err := c.Send(sent); err != nil {
		return sent, p.ID, frame{}, err
	}
	f, _, err := c.Await(e.o.Timeout, check.Is(wire.CmdPong))
	return sent, p.ID, f, err
}

// stillAnswers pings on c after something that may have upset the node:
// "" if a pong came, else why not.
func (e *env) stillAnswers(c *conn) string {
	if _, _, _, err := e.ping(c); err != nil {
		return "our ping after it: " + err.Error()
	}
	return ""
}

// dial opens a probe's socket; a failure is the probe's result.
func (e *env) dial() (*conn, *check.Result) {
	c, err := e.Dial()
	if err != nil {
		r := check.Failed(err)
		return nil, &r
	}
	return c, nil
}

// silent says whether err is the peer sending nothing at all: no answer
// in time, or a port closed (ICMP port unreachable).
func silent(err error) bool {
	var na check.NoAnswer
	if errors.As(err, &na) {
		return len(na.Other) == 0
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// rootCause words a first ping that got nothing back: what to look at,
// with whether a TCP listener answers at the same address (a peer of
// another dialect, or the toy node's port mistaken for a TCP one).
func (e *env) rootCause(err error) error {
	var hints []string
	if errors.Is(err, syscall.ECONNREFUSED) {
		hints = append(hints, "the node is not running, or not on this UDP port")
	} else {
		hints = append(hints, "is the node running, on this UDP port? (UDP has no connection to refuse: a wrong port or a stopped node is silence, unless the kernel reports a closed port)")
	}
	if e.tcpListens() {
		hints = append(hints, "a TCP listener answers at "+e.run.target+": the toy node speaks UDP")
	}
	return fmt.Errorf("%w; %s", err, strings.Join(hints, "; "))
}

// tcpProbeTimeout bounds the look for a TCP listener at the target.
const tcpProbeTimeout = time.Second

// tcpListens says whether a TCP connection to the target succeeds.
func (e *env) tcpListens() bool {
	d := net.Dialer{Timeout: min(e.o.Timeout, tcpProbeTimeout)}
	c, err := d.DialContext(e.Ctx(), "tcp", e.run.target)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
