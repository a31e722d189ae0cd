package tui

import (
	"charm.land/bubbles/v2/key"
)

// keyMap is every key binding. The root model matches keys against the
// bindings of the focused pane; the footer and the ? screen show the same
// bindings, so help cannot drift from behaviour.
type keyMap struct {
	// Outside the command line. Other is not a key but the rule for the
	// rest: a printable key the focused pane does not bind is typed on the
	// command line, so a line typed while a pane has focus never sets off
	// a pane's action (no protocol line begins with a pane's letter).
	Quit, Help, NextPane, PrevPane, Type, Colon, Other key.Binding
	// Moving in a pane.
	Up, Down, PageUp, PageDown, Home, End key.Binding
	// Connections.
	Toggle, Unselect, Drop, Detail, PeerLog key.Binding
	// Log.
	Filter, ClearFilter, Follow, Raw key.Binding
	// Address book.
	Connect key.Binding
	// Command line.
	Send, Complete, HistPrev, HistNext, Leave, Interrupt key.Binding
	// Detail and help screens.
	Close key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := func(keys ...string) []string { return keys }
	return keyMap{
		Quit:     b(k("q", "ctrl+c"), "q", "quit"),
		Help:     b(k("?"), "?", "all keys"),
		NextPane: b(k("tab"), "tab", "next pane"),
		PrevPane: b(k("shift+tab"), "shift+tab", "previous pane"),
		Type:     b(k("i"), "i", "command line"),
		Colon:    b(k(":"), ":", "command"),
		Other:    key.NewBinding(key.WithHelp("other keys", "typed on the command line")),

		Up:       b(k("up", "k"), "↑/k", "up"),
		Down:     b(k("down", "j"), "↓/j", "down"),
		PageUp:   b(k("pgup", "ctrl+u"), "pgup", "page up"),
		PageDown: b(k("pgdown", "ctrl+d"), "pgdn", "page down"),
		Home:     b(k("home"), "home", "oldest"),
		End:      b(k("end"), "end", "newest, follow"),

		Toggle:   b(k("space"), "space", "select & type"),
		Unselect: b(k("u"), "u", "unselect all"),
		Drop:     b(k("d"), "d", "drop (asks)"),
		Detail:   b(k("enter"), "enter", "details"),
		PeerLog:  b(k("l"), "l", "log of peer"),

		Filter:      b(k("/"), "/", "filter"),
		ClearFilter: b(k("esc"), "esc", "clear filter"),
		Follow:      b(k("f"), "f", "follow"),
		Raw:         b(k("x"), "x", "raw bytes"),

		Connect: b(k("c"), "c", "connect (asks)"),

		Send:      b(k("enter"), "enter", "send"),
		Complete:  b(k("tab"), "tab", "complete"),
		HistPrev:  b(k("up"), "↑", "history back"),
		HistNext:  b(k("down"), "↓", "history forward"),
		Leave:     b(k("esc"), "esc", "panes"),
		Interrupt: b(k("ctrl+c"), "ctrl+c", "quit"),

		Close: b(k("esc", "enter"), "esc", "back"),
	}
}

// bindings is one pane's keys, as the help component wants them.
type bindings struct {
	short []key.Binding
	full  [][]key.Binding
}

func (b bindings) ShortHelp() []key.Binding  { return b.short }
func (b bindings) FullHelp() [][]key.Binding { return b.full }

// helpGroup is a titled list of keys for the ? screen.
type helpGroup struct {
	title string
	keys  []key.Binding
}

// footer is the short help for what has focus.
func (k *keyMap) footer(f pane, o overlay, filterActive bool) bindings {
	switch o {
	case overlayHelp, overlayDetail:
		return bindings{short: []key.Binding{k.Close, k.Up, k.Down, k.Quit}}
	}
	switch f {
	case paneCmd:
		return bindings{short: []key.Binding{k.Send, k.Complete, k.HistPrev, k.Leave, k.Interrupt}}
	// The pane's own keys first, then ?, so that a narrow window cuts
	// only what ? lists anyway.
	case paneConns:
		return bindings{short: []key.Binding{k.Toggle, k.Drop, k.Help, k.Up, k.Down, k.Detail, k.PeerLog, k.Type, k.NextPane, k.Quit}}
	case paneAddrs:
		return bindings{short: []key.Binding{k.Connect, k.Help, k.Up, k.Down, k.Type, k.NextPane, k.Quit}}
	}
	short := []key.Binding{k.Filter}
	if filterActive {
		short = append(short, k.ClearFilter)
	}
	return bindings{short: append(short, k.Follow, k.Raw, k.Help, k.PageUp, k.PageDown, k.End, k.Type, k.NextPane, k.Quit)}
}

// groups is every key, for the ? screen.
func (k *keyMap) groups() []helpGroup {
	return []helpGroup{
		{"Everywhere but the command line", []key.Binding{k.Type, k.Colon, k.NextPane, k.PrevPane, k.Help, k.Quit, k.Other}},
		{"Connections", []key.Binding{k.Up, k.Down, k.Toggle, k.Unselect, k.Drop, k.Detail, k.PeerLog}},
		{"Log", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Filter, k.ClearFilter, k.Follow, k.Raw}},
		{"Address book", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Connect}},
		{"Command line", []key.Binding{k.Send, k.Complete, k.HistPrev, k.HistNext, k.Leave, k.Interrupt}},
		{"Detail and help screens", []key.Binding{k.Close, k.Up, k.Down}},
	}
}
