package crawlview

import (
	"charm.land/bubbles/v2/key"

	"github.com/bitclone/bitclone/tui"
)

// keyMap is every key; the footer and the ? screen show the same
// bindings, so help cannot drift from behaviour.
type keyMap struct {
	Quit, Help, NextView, PrevView, Graph, Changes key.Binding
	Up, Down, PageUp, PageDown, Home, End          key.Binding
	Sort, Reverse, SortBy, Filter, ClearFilter     key.Binding
	Detail, Close                                  key.Binding
	// While typing a filter.
	Apply, Cancel key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:     tui.Bind("q", "quit", "q", "ctrl+c"),
		Help:     tui.Bind("?", "all keys", "?"),
		NextView: tui.Bind("tab", "next view", "tab"),
		PrevView: tui.Bind("shift+tab", "previous view", "shift+tab"),
		Graph:    tui.Bind("g", "graph", "g"),
		Changes:  tui.Bind("c", "changes", "c"),

		Up:       tui.Bind("↑/k", "up", "up", "k"),
		Down:     tui.Bind("↓/j", "down", "down", "j"),
		PageUp:   tui.Bind("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: tui.Bind("pgdn", "page down", "pgdown", "ctrl+d"),
		Home:     tui.Bind("home", "first", "home"),
		End:      tui.Bind("end", "last", "end"),

		Sort:        tui.Bind("s", "sort", "s"),
		Reverse:     tui.Bind("r", "reverse", "r"),
		SortBy:      tui.Bind("1-4", "sort by address, agent, rtt, score", "1", "2", "3", "4"),
		Filter:      tui.Bind("/", "filter", "/"),
		ClearFilter: tui.Bind("esc", "clear filter", "esc"),

		Detail: tui.Bind("enter", "report card", "enter"),
		Close:  tui.Bind("esc", "back", "esc", "enter"),

		Apply:  tui.Bind("enter", "keep filter", "enter"),
		Cancel: tui.Bind("esc", "clear", "esc"),
	}
}

// bindings is a list of keys, as the help component wants them.
type bindings []key.Binding

func (b bindings) ShortHelp() []key.Binding  { return b }
func (b bindings) FullHelp() [][]key.Binding { return [][]key.Binding{b} }

// footerKeys are the keys the footer shows for what is on screen.
func (m *Model) footerKeys() bindings {
	k := &m.keys
	switch {
	case m.filterOn:
		return bindings{k.Apply, k.Cancel}
	case m.overlay != overlayNone:
		return bindings{k.Close, k.Up, k.Down, k.PageDown, k.Quit}
	}
	switch m.view {
	case viewGraph, viewChanges:
		return bindings{k.NextView, k.Up, k.Down, k.Help, k.Quit}
	}
	out := bindings{k.Detail, k.Sort, k.Filter}
	if m.filter != "" {
		out = append(out, k.ClearFilter)
	}
	return append(out, k.Graph, k.Changes, k.Help, k.Up, k.Down, k.PageDown, k.Reverse, k.Quit)
}

// groups is every key, for the ? screen.
func (k *keyMap) groups() []struct {
	title string
	keys  []key.Binding
} {
	return []struct {
		title string
		keys  []key.Binding
	}{
		{"Everywhere", []key.Binding{k.NextView, k.PrevView, k.Graph, k.Changes, k.Help, k.Quit}},
		{"Table", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Sort, k.Reverse, k.SortBy, k.Filter, k.ClearFilter, k.Detail}},
		{"Filter (typing)", []key.Binding{k.Apply, k.Cancel}},
		{"Report card, help, graph", []key.Binding{k.Close, k.Up, k.Down, k.PageUp, k.PageDown}},
	}
}
