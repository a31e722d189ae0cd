package pex

import (
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/pex"
)

// Options tune a run: the neutral ones, the wire and the pieces the node
// is known to share. The zero value of a field means its default.
type Options struct {
	check.Options
	// Wire is the byte order to try first (the course's node: little) and
	// the piece size (131072). The order the node turns out to speak is
	// the one the checks use; the piece size is what a give must be.
	Wire wire.Options
	// Pieces are hashes of pieces the node shares: asked for, and the
	// give checked (none: that check is not run).
	Pieces []wire.Hash
}

// maxQuiet bounds how long we watch for an answer that should not come
// (to an ask for a piece the node lacks, to a message in the other byte
// order): the course's node takes up to a second per loop turn.
const maxQuiet = time.Second

// quiet is how long to watch for an answer that should not come: the
// timeout, at most maxQuiet.
func quiet(o check.Options) time.Duration { return min(o.Timeout, maxQuiet) }

// Settings is what the report's header shows of o.
func Settings(o Options) string {
	n := o.Options.WithDefaults()
	pieces := "no piece to ask for (--piece)"
	if len(o.Pieces) > 0 {
		pieces = fmt.Sprintf("%d %s to ask for", len(o.Pieces), check.Plural(len(o.Pieces), "piece", "pieces"))
	}
	return fmt.Sprintf("PEX, %s-endian first, %d-byte pieces, %s; timeout %s",
		o.Wire.Order, o.Wire.Piece(), pieces, n.Timeout)
}

// hashes lists hashes short: "3fa2c1d4…, 0b1c2d3e…".
func hashes(hs []wire.Hash) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.Short()
	}
	return strings.Join(s, ", ")
}
