package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
)

// Run shows node in the terminal until the user quits (q, Ctrl-C, :quit),
// the node's events end, or ctx ends. The caller then stops the node,
// which saves its peers file.
func Run(ctx context.Context, node peer.Node, opts Options) error {
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	_, err := tea.NewProgram(New(node, opts), popts...).Run()
	switch {
	case err == nil, errors.Is(err, tea.ErrInterrupted):
		return nil
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return nil // ctx ended: a normal way to stop
	}
	return err
}
