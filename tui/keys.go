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

// bind is a binding of keys shown in help as help and desc.
func bind(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:     bind("q", "quit", "q", "ctrl+c"),
		Help:     bind("?", "all keys", "?"),
		NextPane: bind("tab", "next pane", "tab"),
		PrevPane: bind("shift+tab", "previous pane", "shift+tab"),
		Type:     bind("i", "command line", "i"),
		Colon:    bind(":", "command", ":"),
		Other:    key.NewBinding(key.WithHelp("other keys", "typed on the command line")),

		Up:       bind("↑/k", "up", "up", "k"),
		Down:     bind("↓/j", "down", "down", "j"),
		PageUp:   bind("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: bind("pgdn", "page down", "pgdown", "ctrl+d"),
		Home:     bind("home", "oldest", "home"),
		End:      bind("end", "newest, follow", "end"),

		Toggle:   bind("space", "select & type", "space"),
		Unselect: bind("u", "unselect all", "u"),
		Drop:     bind("d", "drop (asks)", "d"),
		Detail:   bind("enter", "details", "enter"),
		PeerLog:  bind("l", "log of peer", "l"),

		Filter:      bind("/", "filter", "/"),
		ClearFilter: bind("esc", "clear filter", "esc"),
		Follow:      bind("f", "follow", "f"),
		Raw:         bind("x", "raw bytes", "x"),

		Connect: bind("c", "connect (asks)", "c"),

		Send:      bind("enter", "send", "enter"),
		Complete:  bind("tab", "complete", "tab"),
		HistPrev:  bind("↑", "history back", "up"),
		HistNext:  bind("↓", "history forward", "down"),
		Leave:     bind("esc", "panes", "esc"),
		Interrupt: bind("ctrl+c", "quit", "ctrl+c"),

		Close: bind("esc", "back", "esc", "enter"),
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
