package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bitclone/bitclone/check"
	checktoy "github.com/bitclone/bitclone/check/toy"
	"github.com/bitclone/bitclone/codec"
)

// toySuite checks the flags of --dialect toy (the neutral ones and
// --file) and makes its run.
func (f *checkFlags) toySuite(cmd *cobra.Command, arg string) (checkSuite, error) {
	for _, name := range bitCloneOnly {
		if cmd.Flags().Changed(name) {
			return checkSuite{}, fmt.Errorf("--%s is for --dialect bitclone", name)
		}
	}
	if f.torrent != "" {
		return checkSuite{}, errors.New("--torrent is for --dialect nibble or bt")
	}
	if cmd.Flags().Changed("file") {
		if why := checktoy.ValidFile(f.file); why != "" {
			return checkSuite{}, fmt.Errorf("--file %s: %s", codec.Quote(f.file), why)
		}
	}
	target, neutral, err := f.torrentOptions(arg) // the neutral flags, as for nibble and bt
	if err != nil {
		return checkSuite{}, err
	}
	o := checktoy.Options{Options: neutral, File: f.file}
	return checkSuite{target: target, names: checktoy.Names(), settings: checktoy.Settings(o),
		run: func(ctx context.Context, progress func(check.Outcome)) (*check.Report, error) {
			o.Progress = progress
			return checktoy.Run(ctx, target, o)
		}}, nil
}
