package nibble

import (
	"io"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
)

// framing tells a peer.Conn how NibbleTorrent frames look: delimited by
// their header's length, named by their type, shown in words.
var framing = peer.Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return nibble.NewReader(r) },
	Command:   nibble.CommandName,
	Text:      nibble.Text,
}

// Framing is how NibbleTorrent frames look on the wire, for the tools that
// read them without a node (bitclone replay, --record).
func Framing() peer.Framing { return framing }

// NewDialect is NibbleTorrent as the front ends see it, for torrent t (nil:
// no torrent known, so a bare "hello" needs an id): binary frames typed in
// words (hello, piece 41, error TEXT, raw 01 03 00 01 29).
func NewDialect(t *nibble.Torrent) peer.Dialect {
	var ctx nibble.Context
	if t != nil {
		ctx = nibble.Context{Torrent: t.ID, Pieces: t.NumPieces()}
	}
	return peer.Dialect{
		Name:    "nibble",
		Framing: framing,
		Binary:  true,
		Encode:  func(line string) ([]byte, error) { return nibble.Parse(line, ctx) },
		Templates: func(word string, _ peer.TemplateContext) []string {
			return nibble.Complete(word, ctx)
		},
		Class:    func(cmd string) peer.Class { return peer.Class(nibble.ClassOf(cmd)) },
		Messages: nibble.Commands,
		Hint:     nibble.Hint,
	}
}
