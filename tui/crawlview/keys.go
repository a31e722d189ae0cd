package crawlview

import "charm.land/bubbles/v2/key"

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
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := func(keys ...string) []string { return keys }
	return keyMap{
		Quit:     b(k("q", "ctrl+c"), "q", "quit"),
		Help:     b(k("?"), "?", "all keys"),
		NextView: b(k("tab"), "tab", "next view"),
		PrevView: b(k("shift+tab"), "shift+tab", "previous view"),
		Graph:    b(k("g"), "g", "graph"),
		Changes:  b(k("c"), "c", "changes"),

		Up:       b(k("up", "k"), "↑/k", "up"),
		Down:     b(k("down", "j"), "↓/j", "down"),
		PageUp:   b(k("pgup", "ctrl+u"), "pgup", "page up"),
		PageDown: b(k("pgdown", "ctrl+d"), "pgdn", "page down"),
		Home:     b(k("home"), "home", "first"),
		End:      b(k("end"), "end", "last"),

		Sort:        b(k("s"), "s", "sort"),
		Reverse:     b(k("r"), "r", "reverse"),
		SortBy:      b(k("1", "2", "3", "4"), "1-4", "sort by address, agent, rtt, score"),
		Filter:      b(k("/"), "/", "filter"),
		ClearFilter: b(k("esc"), "esc", "clear filter"),

		Detail: b(k("enter"), "enter", "report card"),
		Close:  b(k("esc", "enter"), "esc", "back"),

		Apply:  b(k("enter"), "enter", "keep filter"),
		Cancel: b(k("esc"), "esc", "clear"),
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
