package cli

import (
	"fmt"
	"io"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
	bt "github.com/bitclone/bitclone/peer/bittorrent"
)

// dialectNames are the dialects a transcript may name, in the order help
// texts list them.
var dialectNames = []string{"bitclone", "nibble", bt.Name}

// framingOf is the framing of the dialect called name, for the tools that
// read a dialect's frames without running its node (bitclone replay).
func framingOf(name string) (peer.Framing, error) {
	switch name {
	case "bitclone":
		return bitclone.Dialect.Framing, nil
	case "nibble":
		f := nibble.Framing()
		return peer.Framing{
			NewReader: func(r io.Reader) peer.FrameReader { return f.NewReader(r) },
			Command:   f.Command,
			Text:      f.Text,
			Overhead:  f.Overhead,
		}, nil
	case bt.Name:
		return bt.Framing(), nil
	}
	return peer.Framing{}, fmt.Errorf("unknown dialect %q (want one of %v)", name, dialectNames)
}
