package toy

import (
	"fmt"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec"
	wire "github.com/bitclone/bitclone/codec/toy"
)

// Options tune a run: the neutral ones, and a file the peer shares. The
// zero value of a field means its default.
type Options struct {
	check.Options
	// File is the name of a file the peer shares: the search and getfile
	// probes for it run only when it is set.
	File string
	// MaxChunks is how many chunks of File are fetched at most (default
	// DefaultMaxChunks); a file of more has its first ones fetched, and
	// its size is not checked.
	MaxChunks int
}

// DefaultMaxChunks is 8 MiB of bitclone's 32 KiB chunks.
const DefaultMaxChunks = 256

func (o Options) withDefaults() Options {
	if o.MaxChunks <= 0 {
		o.MaxChunks = DefaultMaxChunks
	}
	return o
}

// ValidFile says what is wrong with a --file name ("" if nothing): the
// codec's limits for a filename.
func ValidFile(name string) string {
	switch {
	case name == "":
		return "empty"
	case len(name) > wire.MaxFilename:
		return fmt.Sprintf("%d bytes: at most %d", len(name), wire.MaxFilename)
	}
	return ""
}

// Settings is what the report's header shows of o.
func Settings(o Options) string {
	n := o.Options.WithDefaults()
	file := "no --file"
	if o.File != "" {
		file = "file " + codec.Quote(o.File)
	}
	return fmt.Sprintf("msgpack toy node over UDP, %s; timeout %s", file, n.Timeout)
}
