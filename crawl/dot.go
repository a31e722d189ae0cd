package crawl

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/bitclone/bitclone/codec"
)

// WriteDOT writes the round's graph in Graphviz DOT: a node per address,
// labelled with its address and agent (escaped: agents are peer text), an
// edge A -> B when A gossips B. Unreachable addresses that others still
// gossip are dashed and grey; peers that failed a check are red.
func WriteDOT(w io.Writer, r *Result) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "digraph bitclone {\n")
	fmt.Fprintf(b, "  graph [label=%s, labelloc=t];\n", dotString(fmt.Sprintf("bitclone crawl, round %d, from %s", r.Round, r.Us)))
	fmt.Fprintf(b, "  node [shape=box, fontname=\"monospace\"];\n")
	for _, p := range r.Peers {
		label := p.Addr.String()
		var attrs []string
		switch {
		case p.Status == Reachable:
			label += "\n" + p.Agent
			if p.Score != nil && p.Score.Err == "" {
				label += fmt.Sprintf("\nscore %d", p.Score.Points())
				if p.Score.Fail > 0 || p.Score.Crashed != "" {
					attrs = append(attrs, "color=red")
				}
			}
		case p.Gossiped():
			label += "\n" + p.Status.String()
			attrs = append(attrs, "style=dashed", "color=grey", "fontcolor=grey")
		default:
			label += "\n" + p.Status.String()
			attrs = append(attrs, "color=grey", "fontcolor=grey")
		}
		attrs = append([]string{"label=" + dotString(label)}, attrs...)
		fmt.Fprintf(b, "  %s [%s];\n", dotString(p.Addr.String()), strings.Join(attrs, ", "))
	}
	for _, p := range r.Peers {
		for _, k := range p.Knows {
			fmt.Fprintf(b, "  %s -> %s;\n", dotString(p.Addr.String()), dotString(k.String()))
		}
	}
	fmt.Fprintf(b, "}\n")
	return b.Flush()
}

// dotString quotes s as a DOT string: peer text made printable first (no
// control characters or terminal escapes), then quotes and backslashes
// escaped, and line breaks as DOT's \n.
func dotString(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = codec.PrintableString(l)
		l = strings.ReplaceAll(l, `\`, `\\`)
		lines[i] = strings.ReplaceAll(l, `"`, `\"`)
	}
	return `"` + strings.Join(lines, `\n`) + `"`
}
