package nibble

import (
	"fmt"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// Options tune a run: the neutral ones, and the torrent the probes ask
// for. The zero value of a field means its default.
type Options struct {
	check.Options
	// Torrent is the torrent the peer is asked for (required).
	Torrent *wire.Torrent
	// FetchAll: a peer that claims at most this many pieces has every one
	// fetched and hashed (default 64); else Sample of them are, spread
	// over the claimed ones, plus the first and the last.
	FetchAll int
	// Sample is how many pieces are fetched between the first and the
	// last when not all are (default 16).
	Sample int
}

// Defaults.
const (
	DefaultFetchAll = 64
	DefaultSample   = 16
)

func (o Options) withDefaults() Options {
	if o.FetchAll <= 0 {
		o.FetchAll = DefaultFetchAll
	}
	if o.Sample <= 0 {
		o.Sample = DefaultSample
	}
	return o
}

// Settings is what the report's header shows of o.
func Settings(o Options) string {
	n := o.Options.WithDefaults()
	t := o.Torrent
	return fmt.Sprintf("NibbleTorrent, torrent %s, %d %s of %d bytes; timeout %s",
		t.ID, t.NumPieces(), check.Plural(t.NumPieces(), "piece", "pieces"), t.PieceSize, n.Timeout)
}
