package bittorrent

import "io"

// FramingFuncs is what a peer.Conn needs to know of BitTorrent frames, in
// the shape of peer.Framing, as plain funcs (codec imports no peer).
type FramingFuncs struct {
	NewReader func(r io.Reader) *Reader // a *Reader is a peer.RawFrameReader and BufferedFrameReader
	Command   func(frame []byte) string // CommandName
	Text      func(frame []byte) []byte // the frame in words, without context
	Overhead  int                       // 0: a frame comes with its length prefix
}

// Framing returns the BitTorrent framing: the handshake, then messages.
func Framing() FramingFuncs {
	return FramingFuncs{NewReader: NewReader, Command: CommandName, Text: Text}
}
