package bitclone

import "github.com/bitclone/bitclone/peer"

// Framing is how BitClone frames look on the wire, for the tools that read
// them without a node (bitclone replay).
func Framing() peer.Framing { return framing }
