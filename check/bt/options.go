package bt

import (
	"fmt"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/metainfo"
)

// Options tune a run: the neutral ones, and the torrent the probes ask
// for. The zero value of a field means its default.
type Options struct {
	check.Options
	// Torrent is the torrent the peer is asked for (required).
	Torrent *metainfo.Torrent
	// FetchAll: a peer that claims at most this many pieces has every one
	// fetched, block by block, and hashed (default 16); else Sample of
	// them are, spread over the claimed ones, plus the first and the last.
	FetchAll int
	// Sample is how many pieces are fetched between the first and the
	// last when not all are (default 8).
	Sample int
}

// Defaults.
const (
	DefaultFetchAll = 16
	DefaultSample   = 8
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
	i := &o.Torrent.Info
	return fmt.Sprintf("BitTorrent, info_hash %s, %d %s of %d bytes; timeout %s",
		o.Torrent.InfoHash, i.NumPieces(), check.Plural(i.NumPieces(), "piece", "pieces"), i.PieceLength, n.Timeout)
}
