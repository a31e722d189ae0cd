// Package headless is bitclone's plain front end: the node's events as lines
// (or JSON lines) on stdout, the command language read line by line from
// stdin. Scripts, tests and CI drive the program this way.
package headless

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// Options tune the front end. The zero value prints text transcripts in
// local time; commands need a Dialect.
type Options struct {
	// Dialect is the protocol the node speaks: how typed lines become
	// frames (required when there is a stdin to read commands from), and
	// whether a frame's words are its bytes (the zero value: they are).
	Dialect peer.Dialect
	// JSON prints one JSON object per line instead of the text transcript.
	JSON bool
	// Quiet prints only connection changes, warnings and errors (and what
	// commands ask for): for a long-running node nobody watches line by
	// line. Tell the node too (bitclone.Config.NoMessageEvents), so that it
	// does not build the message events at all.
	Quiet bool
	// Stderr gets notes about the front end itself that are not part of the
	// transcript (end of input, a failed read of stdin). nil discards them.
	Stderr io.Writer
	// Quit is called when :quit is read; it should stop the node, and Run then
	// keeps printing until the node's event channel closes, so the transcript
	// ends with the last connections closing. When Quit is nil, :quit makes
	// Run return at once and the caller stops the node.
	Quit func()
	// Now is the clock for lines the front end writes itself (default time.Now).
	Now func() time.Time
	// Location is the time zone of text timestamps (default time.Local).
	// JSON times are always UTC.
	Location *time.Location
}

// Run prints node's events on stdout and executes commands read from stdin
// until the node's event channel closes. It returns early only on :quit
// without Options.Quit, or with the error of a failed write to stdout.
//
// stdin may be nil: then no commands are read. End of stdin stops nothing: the node keeps running and its events keep
// coming, so a daemon or a CI job can run with no input at all. Cancelling
// ctx stops the reading of commands; ctx should be the node's context, so that
// the node, shutting down, closes its event channel after its last events.
//
// The goroutine that reads stdin ends when Run returns, except when it is
// blocked in a Read that never completes (a terminal, or a pipe nobody
// closes): it is then abandoned, blocked, until the process exits.
func Run(ctx context.Context, node peer.Node, stdin io.Reader, stdout io.Writer, opts Options) error {
	if stdin != nil && opts.Dialect.Encode == nil {
		return errors.New("headless: commands need Options.Dialect")
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	f := &frontEnd{node: node, out: newPrinter(stdout, opts), opts: opts}

	stop := make(chan struct{})
	defer close(stop)
	var inputs <-chan input
	if stdin != nil {
		inputs = readLines(stdin, MaxCommandLine, stop)
	}

	// One goroutine writes stdout: events and command output never interleave.
	events := node.Events()
	done := ctx.Done()
	var summaryDue <-chan time.Time // armed while repeats wait for their summary
	for {
		if summaryDue == nil && f.out.rep.holding() {
			summaryDue = time.After(repeatWindow)
		}
		select {
		case <-summaryDue:
			summaryDue = nil
			f.out.summarise(false)
		case batch, ok := <-events:
			if !ok {
				f.out.summarise(true)
				return f.out.flush()
			}
			for i := range batch {
				if e := &batch[i]; !opts.Quiet || shownWhenQuiet(e.Kind) {
					f.out.event(e)
				}
			}
			if r, ok := node.(peer.EventReleaser); ok {
				r.ReleaseEvents(batch) // printed: its memory can carry the next one
			}
			if len(events) > 0 {
				continue // a burst: flush once at its end
			}
		case in, ok := <-inputs:
			if !ok {
				inputs = nil
				fmt.Fprintln(opts.Stderr, "bitclone: end of input; still running until interrupted")
				continue
			}
			if in.err != nil {
				f.out.problem(peer.KindError, in.err.Error())
			} else if f.command(in.line) {
				if opts.Quit == nil {
					return f.out.flush()
				}
				opts.Quit()
				inputs = nil
			}
		case <-done:
			done, inputs = nil, nil
			continue
		}
		if err := f.out.flush(); err != nil {
			return err
		}
	}
}

// frontEnd executes commands against the node.
type frontEnd struct {
	node peer.Node
	out  *printer
	opts Options
}

// command executes one input line and reports whether it was :quit.
func (f *frontEnd) command(line string) (quit bool) {
	d := &f.opts.Dialect
	c, err := d.Parse(line)
	if err == nil {
		err = d.Prepare(&c) // a line the dialect cannot encode
	}
	if errors.Is(err, peer.ErrEmptyCommand) {
		return false
	}
	if err != nil {
		f.out.problem(peer.KindError, err.Error())
		return false
	}
	switch c.Op {
	case peer.OpSend:
		// A debugging tool sends what it is told, broken lines included.
		for _, w := range []string{c.Warning(), f.node.Validate(c.Line).Warning()} {
			if w != "" {
				f.out.problem(peer.KindWarn, w)
			}
		}
		f.do(c, "send")
	case peer.OpConnect:
		f.do(c, ":connect")
	case peer.OpDrop:
		f.do(c, ":drop")
	case peer.OpForget:
		f.do(c, ":forget")
	case peer.OpSave:
		f.do(c, ":save")
	case peer.OpPeers:
		f.out.peers(f.node.Snapshot())
	case peer.OpAddrs:
		f.out.addrs(f.node.Snapshot())
	case peer.OpHelp:
		f.out.result(":help", d.Help())
	case peer.OpDialect:
		if out, err := d.Run(f.node, c); err != nil {
			f.out.problem(peer.KindError, c.Name+": "+err.Error())
		} else if out != "" {
			f.out.result(c.Name, out)
		}
	case peer.OpQuit:
		return true
	default:
		f.out.problem(peer.KindError, fmt.Sprintf("command not supported here: %q", line))
	}
	return false
}

func (f *frontEnd) do(c peer.Command, name string) {
	if err := f.node.Do(c); err != nil {
		f.out.problem(peer.KindError, name+": "+err.Error())
	}
}

// shownWhenQuiet reports whether --quiet prints events of kind k.
func shownWhenQuiet(k peer.Kind) bool {
	switch k {
	case peer.KindConnected, peer.KindEstablished, peer.KindClosed, peer.KindWarn, peer.KindError:
		return true
	}
	return false
}

// writeBatch is how much transcript goes to stdout with one system call: a
// whole batch of the node's events at its default backlog of short lines.
const writeBatch = 256 << 10

// appendClock appends t as TimeLayout does ("15:04:05.000"), without parsing
// the layout for every line of a busy transcript.
func appendClock(b []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond)
	return append(b,
		byte('0'+h/10), byte('0'+h%10), ':',
		byte('0'+m/10), byte('0'+m%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}
