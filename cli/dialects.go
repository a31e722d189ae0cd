package cli

import (
	"fmt"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
	bt "github.com/bitclone/bitclone/peer/bittorrent"
	nibblepeer "github.com/bitclone/bitclone/peer/nibble"
	pexpeer "github.com/bitclone/bitclone/peer/pex"
	toypeer "github.com/bitclone/bitclone/peer/toy"
)

// dialectNames are the dialects a transcript may name, in the order help
// texts list them.
var dialectNames = []string{"bitclone", "nibble", bt.Name, pexpeer.Name, toypeer.Name}

// framingOf is the framing of the dialect called name with wire (its
// Wire, "" for the default), for the tools that read a dialect's frames
// without running its node (bitclone replay).
func framingOf(name, wire string) (peer.Framing, error) {
	if wire != "" && name != pexpeer.Name {
		return peer.Framing{}, fmt.Errorf("dialect %s has no wire %s", name, codec.Quote(wire))
	}
	switch name {
	case "bitclone":
		return bitclone.Dialect.Framing, nil
	case "nibble":
		return nibblepeer.Framing(), nil
	case bt.Name:
		return bt.Framing(), nil
	case pexpeer.Name:
		o, err := pexpeer.ParseWire(wire)
		if err != nil {
			return peer.Framing{}, err
		}
		return pexpeer.Framing(o), nil
	case toypeer.Name:
		return toypeer.Framing(), nil
	}
	return peer.Framing{}, fmt.Errorf("unknown dialect %q (want one of %v)", name, dialectNames)
}
