package cli

import (
	"fmt"

	"github.com/bitclone/bitclone/codec/pex"
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

// framingOf is the framing of the dialect called name, for the tools that
// read a dialect's frames without running its node (bitclone replay).
func framingOf(name string) (peer.Framing, error) {
	switch name {
	case "bitclone":
		return bitclone.Dialect.Framing, nil
	case "nibble":
		return nibblepeer.Framing(), nil
	case bt.Name:
		return bt.Framing(), nil
	case pexpeer.Name:
		return pexpeer.Framing(pex.Options{}), nil // the course's wire
	case toypeer.Name:
		return toypeer.Framing(), nil
	}
	return peer.Framing{}, fmt.Errorf("unknown dialect %q (want one of %v)", name, dialectNames)
}
