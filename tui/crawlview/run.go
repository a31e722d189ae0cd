package crawlview

import (
	"context"
	"errors"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/crawl"
)

// start makes the model and starts the driver on a context of its own;
// stop ends the crawl and waits for the driver.
func start(parent context.Context, o Options) (m *Model, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	msgs := make(chan tea.Msg)
	var wg sync.WaitGroup
	wg.Go(func() { drive(ctx, o, msgs) })
	return newModel(ctx, cancel, o, msgs), func() { cancel(); wg.Wait() }
}

// Run shows the crawl in the terminal, round after round, until the user
// quits (q, Ctrl-C) or ctx ends; the crawl ends with it (the round under
// way is cut short). It returns the last round done (nil if none) and the
// error a round failed with, if any.
func Run(ctx context.Context, o Options) (*crawl.Result, error) {
	if o.Round == nil {
		panic("crawlview: Options.Round is required")
	}
	m, stop := start(ctx, o)
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if o.Input != nil {
		popts = append(popts, tea.WithInput(o.Input))
	}
	if o.Output != nil {
		popts = append(popts, tea.WithOutput(o.Output))
	}
	if o.width > 0 {
		popts = append(popts, tea.WithWindowSize(o.width, o.height))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	stop() // after Run: the model is no longer read or changed
	switch {
	case err == nil, errors.Is(err, tea.ErrInterrupted):
		err = nil
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		err = nil // ctx ended: a normal way to stop
	}
	return m.cur, errors.Join(m.err, err)
}
