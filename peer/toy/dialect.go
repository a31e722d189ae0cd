package toy

import (
	"strings"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
)

// NewDialect is the toy node as the front ends see it: datagrams typed as
// relaxed maps ({msgtype: search, filename: cool.txt}) or shortcuts (ping,
// getpeerlist, search NAME, getfile NAME, raw HEX). A shortcut gets a
// fresh msgid (a search's random, as it names the search network-wide); a
// typed search travels ttl hops (0: toy.DefaultTTL).
func NewDialect(ttl int) peer.Dialect {
	return peer.Dialect{
		Name:    Name,
		Framing: framing,
		Binary:  true,
		Encode: func(line string) ([]byte, error) {
			id := newID()
			if f := strings.Fields(line); len(f) > 0 && f[0] == toy.CmdSearch {
				id = newSearchID()
			}
			return toy.Parse(line, toy.Context{ID: id, TTL: ttl})
		},
		Templates: func(word string, _ peer.TemplateContext) []string { return toy.Complete(word) },
		Class:     func(cmd string) peer.Class { return peer.Class(toy.ClassOf(cmd)) },
		Messages:  toy.Commands,
		Panes:     []peer.Pane{fieldPane("Searches", fieldSearch, "no searches yet: type search NAME"), fieldPane("Files", fieldFetch, "no fetches yet: type getfile NAME to a peer", fieldShare)},
		Hint:      toy.Hint,
	}
}

// fieldPane draws the snapshot fields with one of labels, one a row
// ("share" rows first, labelled), or empty when there are none.
func fieldPane(title, label, empty string, extra ...string) peer.Pane {
	rows := func(s peer.Snapshot) []string {
		var out []string
		for _, x := range extra {
			for _, f := range s.Fields {
				if f.Label == x {
					out = append(out, x+": "+f.Value)
				}
			}
		}
		for _, f := range s.Fields {
			if f.Label == label {
				out = append(out, f.Value)
			}
		}
		if len(out) == 0 {
			out = append(out, empty)
		}
		return out
	}
	return peer.Pane{
		Title:  title,
		Fields: append([]string{label}, extra...),
		Rows: func(s peer.Snapshot, _, h int) []string {
			r := rows(s)
			return r[:min(len(r), h)]
		},
		Want: func(s peer.Snapshot, _ int) int { return min(len(rows(s)), maxPaneRows) },
	}
}

// maxPaneRows is the most rows a pane asks for.
const maxPaneRows = 6
