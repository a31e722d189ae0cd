// Package crawlview is the full-screen front end of bitclone crawl: a
// bubbletea program over the rounds of a crawl, with a sortable and
// filterable table of peers, each peer's report card, the graph of who
// gossips whom as an adjacency matrix, and what changed since the last
// round.
//
// It knows only the neutral crawl results (package crawl): a RoundFunc
// runs one round, whatever the dialect. A driver goroutine runs the
// rounds, one after another, and sends them to the model through one
// re-armed command, with the progress a round reports on the way (Feed).
// Everything a peer chose is escaped before it is measured or drawn.
package crawlview

import (
	"context"
	"io"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/crawl"
)

// RoundFunc runs one round of the crawl; when ctx ends it returns the
// round so far with ctx's error.
type RoundFunc func(ctx context.Context) (*crawl.Result, error)

// Options configure the view. Round is required.
type Options struct {
	Round RoundFunc
	// Feed, if set, brings the peers a round meets as it goes (give
	// Feed.Progress to the crawler).
	Feed *Feed
	// Every is the time between rounds (0: one round); Rounds stops after
	// so many (0: until the user quits).
	Every  time.Duration
	Rounds int
	// Us is the crawl's address, for the status bar.
	Us string
	// Input and Output replace the terminal (tests).
	Input  io.Reader
	Output io.Writer
	// width and height set the window's size where Output is not a
	// terminal (tests).
	width, height int
}

// FeedSize is how many progress reports wait for the screen: two per peer
// (its visit and its score) for a round of a few hundred peers; more are
// dropped and counted, never wait.
const FeedSize = 1024

// Feed carries a round's progress from the crawler to the screen without
// ever making the crawl wait.
type Feed struct {
	c       chan crawl.Peer
	dropped atomic.Uint64
}

// NewFeed returns an empty feed.
func NewFeed() *Feed { return &Feed{c: make(chan crawl.Peer, FeedSize)} }

// Progress is for the crawler's Options.Progress: it queues p, or drops
// it when the screen is behind.
func (f *Feed) Progress(p crawl.Peer) {
	select {
	case f.c <- p:
	default:
		f.dropped.Add(1)
	}
}

// Messages from the driver.
type (
	// roundStartMsg: round n has started.
	roundStartMsg struct{ n int }
	// roundMsg: a round ended; next is when the next one starts (zero:
	// no more rounds).
	roundMsg struct {
		r    *crawl.Result
		err  error
		next time.Time
	}
	// batchMsg is what one wait brought: progress, then a driver message
	// (nil: none).
	batchMsg struct {
		progress []crawl.Peer
		msg      tea.Msg
	}
	// tickMsg is a second of the countdown of chain gen: only the
	// latest chain goes on, so short rounds do not pile chains up.
	tickMsg struct{ gen int }
)

// drive runs the rounds, one after another, every o.Every, until ctx ends
// or o.Rounds are done, and tells out; it returns when it is done.
func drive(ctx context.Context, o Options, out chan<- tea.Msg) {
	send := func(msg tea.Msg) bool {
		select {
		case out <- msg:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for n := 1; ; n++ {
		if !send(roundStartMsg{n}) {
			return
		}
		r, err := o.Round(ctx)
		if ctx.Err() != nil {
			return // the user quit: the round so far is of no use to the screen
		}
		var next time.Time
		more := err == nil && o.Every > 0 && (o.Rounds == 0 || n < o.Rounds)
		if more {
			next = time.Now().Add(o.Every)
		}
		if !send(roundMsg{r: r, err: err, next: next}) || !more {
			return
		}
		t := time.NewTimer(o.Every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// wait is the re-armed command that brings the driver's messages and the
// feed's progress; it ends when ctx does.
func wait(ctx context.Context, msgs <-chan tea.Msg, feed *Feed) tea.Cmd {
	var progress chan crawl.Peer
	if feed != nil {
		progress = feed.c
	}
	return func() tea.Msg {
		var b batchMsg
		select {
		case <-ctx.Done():
			return nil
		case p := <-progress:
			b.progress = append(b.progress, p)
		case msg := <-msgs:
			b.msg = msg
		}
		// Whatever progress waits comes along: a round's reports all
		// come before its end, and the next round's after its start.
		for {
			select {
			case p := <-progress:
				b.progress = append(b.progress, p)
				continue
			default:
			}
			return b
		}
	}
}

// tick wakes the screen once a second while it counts down to the next
// round; it ends when ctx does.
func tick(ctx context.Context, gen int) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			return tickMsg{gen}
		}
	}
}

type view uint8

const (
	viewTable view = iota
	viewGraph
	viewChanges
	views
)

var viewNames = [views]string{"Table", "Graph", "Changes"}

type overlay uint8

const (
	overlayNone overlay = iota
	overlayDetail
	overlayHelp
)

// sortKey is what the table is sorted by.
type sortKey uint8

const (
	sortAddr sortKey = iota
	sortAgent
	sortRTT
	sortScore
	sortKeys
)

var sortNames = [sortKeys]string{"address", "agent", "round trip", "score"}

// Model is the root model; start makes one with its driver.
type Model struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc
	msgs   <-chan tea.Msg
	keys   keyMap
	st     styles
	help   help.Model
	now    func() time.Time

	width, height int

	// The crawl: the last round done and the one before, what changed
	// between them, and the round under way with what it met so far.
	cur, prev *crawl.Result
	changes   []crawl.Change
	round     int // the round under way or last started
	running   bool
	live      map[netip.AddrPort]crawl.Peer
	visited   int
	checked   int
	next      time.Time // when the next round starts (zero: none)
	ticks     int       // the countdown's chain (tickMsg)
	err       error
	finished  bool // no more rounds

	view     view
	overlay  overlay
	top      int // scroll of the overlay, the graph or the changes
	sort     sortKey
	reverse  bool
	filter   string
	filterOn bool // typing the filter
	// selected is the cursor's peer, so it stays on that peer through a
	// sort, a filter or a new round; offset is the table's scroll.
	selected netip.AddrPort
	offset   int
	detail   netip.AddrPort

	quitting bool
}

// newModel makes the model; msgs are the driver's messages; cancel ends ctx,
// which ends the crawl and every command of the model.
func newModel(ctx context.Context, cancel context.CancelFunc, o Options, msgs <-chan tea.Msg) *Model {
	m := &Model{
		o: o, ctx: ctx, cancel: cancel, msgs: msgs,
		keys: newKeyMap(), st: newStyles(true), help: help.New(), now: time.Now,
		live: map[netip.AddrPort]crawl.Peer{}, sort: sortAddr,
	}
	m.help.Styles = m.st.help
	return m
}

// Init starts listening to the driver and asks for the background colour.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(wait(m.ctx, m.msgs, m.o.Feed), tea.RequestBackgroundColor)
}

// Update applies one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case batchMsg:
		// The progress with a round's end is that round's; with a
		// round's start, the new round's (wait drains it after).
		var cmd tea.Cmd
		switch d := msg.msg.(type) {
		case roundStartMsg:
			m.startRound(d.n)
			m.addProgress(msg.progress)
		case roundMsg:
			m.addProgress(msg.progress)
			cmd = m.endRound(d)
		default:
			m.addProgress(msg.progress)
		}
		return m, tea.Batch(cmd, wait(m.ctx, m.msgs, m.o.Feed))
	case tickMsg:
		if msg.gen == m.ticks && !m.next.IsZero() && !m.running {
			return m, tick(m.ctx, m.ticks)
		}
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.st = newStyles(msg.IsDark())
		m.help.Styles = m.st.help
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) startRound(n int) {
	m.round, m.running, m.next = n, true, time.Time{}
	m.visited, m.checked = 0, 0
	clear(m.live)
}

// addProgress takes a round's reports: a visit, or a score.
func (m *Model) addProgress(ps []crawl.Peer) {
	if !m.running {
		return
	}
	for _, p := range ps {
		if _, seen := m.live[p.Addr]; !seen {
			m.visited++
		}
		if p.Score != nil {
			m.checked++
		}
		m.live[p.Addr] = p
	}
}

func (m *Model) endRound(d roundMsg) tea.Cmd {
	m.running = false
	m.err = d.err
	if d.r != nil {
		if m.cur != nil {
			m.prev = m.cur
		}
		m.cur = d.r
		if m.prev != nil {
			m.changes = crawl.Diff(m.prev, m.cur)
		}
	}
	m.next = d.next
	if d.next.IsZero() {
		m.finished = true
		return nil
	}
	m.ticks++
	return tick(m.ctx, m.ticks)
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel() // the crawl and every command end
	return tea.Quit
}

// key routes a key: the filter being typed first, then the overlay, then
// the view's keys.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if k.Keystroke() == "ctrl+c" {
		return m.quit()
	}
	if m.filterOn {
		m.filterKey(k)
		return nil
	}
	if m.overlay != overlayNone {
		switch {
		case key.Matches(k, m.keys.Close):
			m.overlay, m.top = overlayNone, 0
		case key.Matches(k, m.keys.Quit):
			return m.quit()
		default:
			m.scroll(k, len(m.overlayLines(m.width)), m.bodyRows())
		}
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Help):
		m.overlay, m.top = overlayHelp, 0
	case key.Matches(k, m.keys.NextView):
		m.setView((m.view + 1) % views)
	case key.Matches(k, m.keys.PrevView):
		m.setView((m.view + views - 1) % views)
	case key.Matches(k, m.keys.Graph):
		m.setView(viewGraph)
	case key.Matches(k, m.keys.Changes):
		m.setView(viewChanges)
	case m.view == viewGraph:
		head, body := m.graphLines(m.width)
		m.scroll(k, len(body), m.bodyRows()-len(head))
	case m.view == viewChanges:
		m.scroll(k, len(m.changeLines(m.width)), m.bodyRows())
	default:
		m.tableKey(k)
	}
	return nil
}

func (m *Model) setView(v view) {
	if m.view == v && v != viewTable {
		v = viewTable // g or c again: back to the table
	}
	m.view, m.top = v, 0
}

// tableKey handles the table's own keys.
func (m *Model) tableKey(k tea.KeyPressMsg) {
	rows := m.rows()
	idx := m.cursor(rows)
	page := max(1, m.tableRows())
	switch {
	case key.Matches(k, m.keys.Up):
		idx--
	case key.Matches(k, m.keys.Down):
		idx++
	case key.Matches(k, m.keys.PageUp):
		idx -= page
	case key.Matches(k, m.keys.PageDown):
		idx += page
	case key.Matches(k, m.keys.Home):
		idx = 0
	case key.Matches(k, m.keys.End):
		idx = len(rows) - 1
	case key.Matches(k, m.keys.Sort):
		m.sort, m.reverse = (m.sort+1)%sortKeys, false
	case key.Matches(k, m.keys.SortBy):
		m.sort, m.reverse = sortKey(k.Text[0]-'1'), false
	case key.Matches(k, m.keys.Reverse):
		m.reverse = !m.reverse
	case key.Matches(k, m.keys.Filter):
		m.filterOn = true
	case key.Matches(k, m.keys.ClearFilter):
		m.filter = ""
	case key.Matches(k, m.keys.Detail):
		if len(rows) > 0 {
			m.detail, m.overlay, m.top = rows[idx].Addr, overlayDetail, 0
		}
		return
	default:
		return
	}
	if len(rows) > 0 {
		m.selected = rows[max(0, min(idx, len(rows)-1))].Addr
	}
}

// filterKey edits the filter as it is typed; the table follows.
func (m *Model) filterKey(k tea.KeyPressMsg) {
	switch {
	case key.Matches(k, m.keys.Apply):
		m.filterOn = false
	case key.Matches(k, m.keys.Cancel):
		m.filterOn, m.filter = false, ""
	case k.Code == tea.KeyBackspace:
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	case k.Text != "" && k.Mod&(tea.ModCtrl|tea.ModAlt) == 0 && len(m.filter) < maxFilter:
		m.filter += k.Text
	}
}

// maxFilter bounds the filter's text.
const maxFilter = 64

// scroll moves the overlay, graph or changes by a key, within n lines
// shown rows at a time.
func (m *Model) scroll(k tea.KeyPressMsg, n, rows int) {
	page := max(1, rows-1)
	switch {
	case key.Matches(k, m.keys.Up):
		m.top--
	case key.Matches(k, m.keys.Down):
		m.top++
	case key.Matches(k, m.keys.PageUp):
		m.top -= page
	case key.Matches(k, m.keys.PageDown):
		m.top += page
	case key.Matches(k, m.keys.Home):
		m.top = 0
	case key.Matches(k, m.keys.End):
		m.top = n
	}
	m.top = max(0, min(m.top, n-rows))
}

// peers are the peers to show: the last round's, or while the first runs,
// what it met so far.
func (m *Model) peers() []crawl.Peer {
	if m.cur != nil {
		return m.cur.Peers
	}
	out := make([]crawl.Peer, 0, len(m.live))
	for _, p := range m.live {
		out = append(out, p)
	}
	return out
}

// rows are the table's peers: filtered, then sorted.
func (m *Model) rows() []*crawl.Peer {
	ps := m.peers()
	f := strings.ToLower(m.filter)
	out := make([]*crawl.Peer, 0, len(ps))
	for i := range ps {
		p := &ps[i]
		if f == "" || strings.Contains(strings.ToLower(p.Addr.String()), f) ||
			strings.Contains(strings.ToLower(p.Agent), f) || strings.Contains(p.Status.String(), f) {
			out = append(out, p)
		}
	}
	sortPeers(out, m.sort, m.reverse)
	return out
}

// cursor is the index of the selected peer in rows (0 if it is not there).
func (m *Model) cursor(rows []*crawl.Peer) int {
	for i, p := range rows {
		if p.Addr == m.selected {
			return i
		}
	}
	return 0
}
