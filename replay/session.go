// Package replay sends the sent side of a recorded connection (a
// transcript written by --record) to a peer again, with the original
// timing or as fast as possible, and sets what the peer answers now beside
// what was received originally: how a user reproduces a bug a classmate
// reported.
package replay

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/transcript"
)

// Session is one recorded connection, in windows: each sent frame with
// what was received after it, until the next.
type Session struct {
	Conn uint64
	Peer string // the remote address it had
	Dir  string // "in" or "out", as recorded
	// Steps[0] is the window before the first send (its Sent is nil); then
	// one step per sent frame.
	Steps []Step
	// ClosedThen is the recorded reason the connection closed ("" if the
	// transcript does not say); ClosedNow is how the replay's ended, "" if
	// it was still open when the replay stopped.
	ClosedThen, ClosedNow string
	// Stopped is set when the replay could not send everything (the
	// peer closed the connection first, or a write failed).
	Stopped string

	framing peer.Framing // the dialect's: frames the answers, names and shows them
}

// Step is a sent frame and the lines received after it.
type Step struct {
	Sent []byte        // exact bytes; nil for the window before the first send
	At   time.Duration // when it was sent, since the connection opened
	Then []Line        // received in this window originally
	Now  []Line        // received in this window in the replay
}

// Line is one received frame.
type Line struct {
	At   time.Duration // since the connection opened
	Text string        // the frame as the dialect shows it (a line without its ending), printable
	Cmd  string        // its command, as the dialect names it: windows are compared by these
}

// ConnSummary describes one connection of a transcript.
type ConnSummary struct {
	Conn        uint64
	Peer, Dir   string
	Sent, Recvd int
}

func (c ConnSummary) String() string {
	return fmt.Sprintf("conn %d (%s, %s): %d sent, %d received", c.Conn, c.Dir, codec.PrintableString(c.Peer), c.Sent, c.Recvd)
}

// Conns lists the connections of a transcript in the order they appear.
func Conns(entries []transcript.Entry) []ConnSummary {
	var out []ConnSummary
	index := map[uint64]int{}
	for _, e := range entries {
		i, ok := index[e.Conn]
		if !ok {
			i = len(out)
			index[e.Conn] = i
			out = append(out, ConnSummary{Conn: e.Conn, Peer: e.Peer, Dir: e.Dir})
		}
		switch e.Kind {
		case transcript.KindSend:
			out[i].Sent++
		case transcript.KindRecv:
			out[i].Recvd++
		}
	}
	return out
}

// Pick builds the session of connection conn; 0 picks the first
// connection that sent anything. fr is the framing of the recorded
// dialect: the replay frames the peer's answers with it, and shows and
// compares frames then and now alike.
func Pick(entries []transcript.Entry, conn uint64, fr peer.Framing) (*Session, error) {
	conns := Conns(entries)
	if conn == 0 {
		for _, c := range conns {
			if c.Sent > 0 {
				conn = c.Conn
				break
			}
		}
		if conn == 0 {
			return nil, fmt.Errorf("no connection in the transcript sent anything")
		}
	}
	var s *Session
	var start time.Time
	for _, e := range entries {
		if e.Conn != conn {
			continue
		}
		if s == nil {
			s = &Session{Conn: conn, Peer: e.Peer, Dir: e.Dir, Steps: []Step{{}}, framing: fr}
			start = e.Time // "connected", if it was recorded
		}
		at := e.Time.Sub(start)
		last := &s.Steps[len(s.Steps)-1]
		switch e.Kind {
		case transcript.KindSend:
			s.Steps = append(s.Steps, Step{Sent: e.Raw, At: at})
		case transcript.KindRecv:
			// From raw, the truth, framed and escaped as the answers of
			// now are: the file's text and reason are whatever its author
			// wrote.
			last.Then = append(last.Then, s.line(at, s.frameOf(e.Raw)))
		case transcript.KindClosed:
			s.ClosedThen = codec.PrintableString(e.Reason)
		}
	}
	if s == nil {
		list := make([]string, len(conns))
		for i, c := range conns {
			list[i] = c.String()
		}
		return nil, fmt.Errorf("no connection %d in the transcript; it has:\n  %s", conn, strings.Join(list, "\n  "))
	}
	if len(s.Steps) == 1 {
		return nil, fmt.Errorf("connection %d sent nothing: there is nothing to replay", conn)
	}
	return s, nil
}

// Sent is how many frames the session sends.
func (s *Session) Sent() int { return len(s.Steps) - 1 }

// frameOf is the frame the dialect's reader finds in raw, the exact bytes
// of one recorded frame; raw itself when it finds none (bytes the dialect
// refuses, or a frame cut short by a hang-up that the reader drops).
func (s *Session) frameOf(raw []byte) []byte {
	frame, err := s.framing.NewReader(bytes.NewReader(raw)).Next()
	if err != nil && len(frame) == 0 {
		return raw
	}
	return frame
}

// line is a received frame as the comparison shows it.
func (s *Session) line(at time.Duration, frame []byte) Line {
	return Line{At: at, Text: s.show(frame), Cmd: s.framing.Command(frame)}
}

// show is a frame as text for the terminal.
func (s *Session) show(frame []byte) string { return codec.Printable(s.framing.Text(frame)) }
