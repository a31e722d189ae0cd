package tui

import (
	"strings"
)

// logFilter selects log lines. Its text is space-separated terms:
//
//	peer:ADDR   lines of peers whose address (remote, or listening) contains ADDR
//	cmd:NAME    message lines with command NAME, or other lines of kind
//	            NAME (connected, established, closed, learned, warn, error, info)
//	WORD        lines containing WORD, ignoring ASCII case
//
// Several peer: terms match any of them, several cmd: terms likewise; the
// kinds of terms and every WORD must all match.
type logFilter struct {
	src   string
	peers []string
	cmds  []string
	words []string // lower case
}

func parseFilter(s string) logFilter {
	f := logFilter{src: strings.TrimSpace(s)}
	for _, t := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(t, "peer:") && len(t) > len("peer:"):
			f.peers = append(f.peers, t[len("peer:"):])
		case strings.HasPrefix(t, "cmd:") && len(t) > len("cmd:"):
			f.cmds = append(f.cmds, t[len("cmd:"):])
		default:
			f.words = append(f.words, strings.ToLower(t))
		}
	}
	return f
}

func (f *logFilter) active() bool { return f.src != "" }

// match reports whether the filter lets e through; listen is the listening
// address of e's connection, if known.
func (f *logFilter) match(e *logEntry, listen string) bool {
	if !f.active() {
		return true
	}
	if len(f.peers) > 0 && !anyOf(f.peers, func(p string) bool {
		return e.peer != "" && strings.Contains(e.peer, p) || listen != "" && strings.Contains(listen, p)
	}) {
		return false
	}
	if len(f.cmds) > 0 && !anyOf(f.cmds, func(c string) bool { return c == e.cmd || c == e.kind.String() }) {
		return false
	}
	for _, w := range f.words {
		if !containsFold(e.text, w) && !containsFold(e.peer, w) {
			return false
		}
	}
	return true
}

func anyOf(terms []string, ok func(string) bool) bool {
	for _, t := range terms {
		if ok(t) {
			return true
		}
	}
	return false
}
