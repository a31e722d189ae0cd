// Package tui is bitclone's terminal user interface: a bubbletea v2
// program over a peer.Node, with a connections table, the address book,
// the message log and a command line.
//
// One root Model routes keys by focus; the panes are plain structs with
// methods. Node events arrive through one re-armed command that drains a
// burst into a batch; snapshots of the node are taken on a timer and after
// connection events. Everything a peer chose is escaped before it is
// measured or drawn, and every line is cut to the window.
package tui

import (
	"io"
	"math/rand/v2"
	"time"

	"charm.land/bubbles/v2/help"

	"github.com/bitclone/bitclone/peer"
)

// Options configure the TUI. Dialect is required; the other fields' zero
// values work.
type Options struct {
	// Dialect is the protocol the node speaks: how typed lines become
	// frames, what Tab completes, how lines are coloured, its panes.
	Dialect peer.Dialect
	// LogLines is how many log lines are kept (0: DefaultLogLines).
	LogLines int
	// HistoryFile keeps the command history across runs ("" keeps none).
	HistoryFile string
	// Listen is our listening address, shown until the first snapshot.
	Listen string
	// Notes are shown in the log at start (what the command line had to say).
	Notes []string
	// Input and Output replace the terminal (tests).
	Input  io.Reader
	Output io.Writer
}

// pane is what has the keyboard.
type pane uint8

const (
	paneConns pane = iota
	paneAddrs
	paneLog
	paneCmd // the command line
)

// overlay is a screen drawn over the panes.
type overlay uint8

const (
	overlayNone   overlay = iota
	overlayHelp           // ?: every key and command
	overlayDetail         // enter on a connection: all its statistics
)

// Model is the root model. Create it with New; it is a tea.Model.
type Model struct {
	node    peer.Node
	release func([]peer.Event) // hands applied batches back to node
	opts    Options
	keys    keyMap
	st      styles
	help    help.Model

	// The clock, time zone and randomness; tests fix them.
	now func() time.Time
	loc *time.Location
	rng *rand.Rand

	width, height int
	focus         pane
	back          pane // where Esc goes from the command line
	// proposal is a command a pane's key put on the command line (d:
	// :drop ADDR), to be confirmed with Enter; Esc, if it is unchanged,
	// puts back proposalDraft, what was there before.
	proposal, proposalDraft string
	overlay                 overlay
	overlayTop              int    // scroll of the overlay
	detailID                uint64 // the connection the detail screen shows
	detail                  peer.ConnInfo
	detailGone              bool // it has closed since

	snap      peer.Snapshot
	dl        downloadCache // what the download pane drew from snap
	snapBusy  bool          // a snapshot is being taken
	snapAgain bool          // and another is wanted after it

	conns  connsPane
	addrs  addrsPane
	log    logPane
	cmd    cmdLine
	hint   hint
	footer string

	quitting bool
}

// New builds the model for node. It reads the history file; a problem
// with it is reported in the log, never fatal.
func New(node peer.Node, opts Options) *Model {
	if opts.Dialect.Encode == nil {
		panic("tui: Options.Dialect is required")
	}
	m := &Model{
		node:    node,
		release: releaser(node),
		opts:    opts,
		keys:    newKeyMap(),
		st:      newStyles(true),
		help:    help.New(),
		now:     time.Now,
		loc:     time.Local,
		rng:     rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		focus:   paneCmd,
		back:    paneConns,
		conns:   newConnsPane(),
	}
	m.log = newLogPane(opts.LogLines, &m.opts.Dialect)
	m.help.Styles = m.st.help
	m.snap.Listen = opts.Listen
	for _, n := range opts.Notes {
		m.note(peer.KindInfo, n)
	}
	hist, err := loadHistory(opts.HistoryFile)
	m.cmd.hist = hist
	m.cmd.histPos = len(hist)
	if err != nil {
		m.note(peer.KindWarn, "history "+opts.HistoryFile+": "+err.Error())
	}
	m.refreshHint()
	m.refreshFooter()
	return m
}

// note adds a line of the front end's own to the log.
func (m *Model) note(k peer.Kind, text string) {
	m.log.add(logEntry{at: m.now(), kind: k, text: text, size: len(text)})
}
