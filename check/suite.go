package check

import (
	"errors"
	"fmt"
	"io"

	"github.com/bitclone/bitclone/peer"
)

// Probe is one check: a small function with its own connection(s).
type Probe struct {
	Name   string
	Group  string // probes of a group run together, and the report heads them with it
	Spec   string // where the rule is written
	Expect string // the rule, in a few words
	// Slow marks a timed check: run only with Options.Slow. Consecutive
	// slow probes run together, by Suite.Timed, on one connection.
	Slow bool
	// Listen marks a probe that needs the peer to dial us: run only with
	// Options.Listen.
	Listen bool
	// Hostile marks a probe that may upset the peer: dropping us and
	// banning our IP after it is allowed, and a pass says the peer still
	// accepts connections. Put them last.
	Hostile bool
	// Run runs the probe (nil for a Slow probe).
	Run func(*Env) Result
}

// Suite is what a dialect brings to a run.
type Suite struct {
	Probes  []Probe
	Framing Framing
	// Hello is the first thing we send on a fresh connection, to which the
	// peer must answer something: the liveness check after every probe.
	Hello func(e *Env, c *Conn) []byte
	// HelloName names it in the report: "version".
	HelloName string
	// Handshake names, in the report, what every check needs and a failed
	// one lacks: "not run: no hello (see hello)". Default "handshake".
	Handshake string
	// UsNote is the report's line about our address, a format with one
	// %s for it (BitClone: "our versions named %s, where we listened
	// during the run"); default "we listened at %s during the run".
	UsNote string
	// Timed runs the Slow probes on one connection and returns their
	// results by name (nil if the suite has none).
	Timed func(e *Env) map[string]Result
	// Answer plays our side of a handshake the peer opens when it dials
	// our listener, judging it if judge is set (the first connection from
	// the peer, with Options.Listen). A Fail means there is no handshake
	// to hold on to. held must be called once the handshake is done, while
	// the turn (Env.TheirTurnFor) is still ours. Nil: such connections are
	// closed at once.
	Answer func(e *Env, in *Conn, judge bool, held func()) Result
	// Answered, if set, waits for the peer's answer to Hello on c, for the
	// liveness check, in place of waiting for a frame on c: for a dialect
	// whose peer may answer elsewhere (a PEX node dials our listener back
	// instead). A *ClosedError means c was closed without an answer.
	Answered func(e *Env, c *Conn) error
	// Hold serves a connection to us whose handshake is done (a ping
	// answered, say) until it ends or the run does. Nil: it is kept
	// open and silent.
	Hold func(e *Env, in *Conn)
}

// Names lists the probes in the order they run.
func (s *Suite) Names() []string {
	names := make([]string, len(s.Probes))
	for i, p := range s.Probes {
		names[i] = p.Name
	}
	return names
}

// valid tells a suite that cannot run, naming what it lacks.
func (s *Suite) valid() error {
	switch {
	case s.Framing.NewReader == nil || s.Framing.Decode == nil:
		return errors.New("check: the suite has no framing")
	case s.Hello == nil:
		return errors.New("check: the suite has no hello for the liveness check")
	}
	for _, p := range s.Probes {
		switch {
		case p.Slow && s.Timed == nil:
			return fmt.Errorf("check: %s is a timed probe, and the suite has no Timed", p.Name)
		case !p.Slow && p.Run == nil:
			return fmt.Errorf("check: %s has no Run", p.Name)
		}
	}
	return nil
}

// Framing is how a dialect's frames are read and understood.
type Framing struct {
	// NewReader frames the peer's byte stream. If it is a
	// peer.RawFrameReader, a Frame's Raw is the exact bytes (with a line
	// ending); else it is the frame as returned.
	NewReader func(r io.Reader) peer.FrameReader
	// Decode names a frame's command and parses it: msg, or why it does
	// not parse. partial is set for what the stream held when it ended in
	// the middle of a frame.
	Decode func(frame []byte, partial bool) (cmd string, msg any, err error)
	// ReadError, if set, words a read error of the dialect's own (a line
	// over the limit), "" for others.
	ReadError func(err error) string
}
