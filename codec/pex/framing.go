package pex

import "io"

// FramingFuncs is what a peer.Conn needs to know of PEX messages, in the
// shape of peer.Framing, as plain funcs (codec imports no peer). The byte
// order and piece size are bound in: each wire its own framing.
type FramingFuncs struct {
	NewReader func(r io.Reader) *Reader // a *Reader is a peer.RawFrameReader and BufferedFrameReader
	Command   func(frame []byte) string // CommandName
	Text      func(frame []byte) []byte // the log line: Summary
	Overhead  int                       // 0: a message comes with its size prefix
}

// Framing returns the PEX framing for the wire of o.
func Framing(o Options) FramingFuncs {
	return FramingFuncs{
		NewReader: func(r io.Reader) *Reader { return NewReader(r, o) },
		Command:   CommandName,
		Text:      func(frame []byte) []byte { return []byte(Summary(frame, o)) },
	}
}
