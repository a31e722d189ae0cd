package crawl

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/bitclone/bitclone/codec"
)

// maxAgentLabel bounds an agent in a graph label: a line can be 128 KiB.
const maxAgentLabel = 48

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
		label := []string{p.Addr.String()}
		var attrs []string
		switch {
		case p.Status == Reachable:
			label = append(label, clipRunes(codec.PrintableString(p.Agent), maxAgentLabel))
			if p.Score != nil && p.Score.Err == "" {
				label = append(label, fmt.Sprintf("score %d", p.Score.Points()))
				if p.Score.Fail > 0 || p.Score.Crashed != "" {
					attrs = append(attrs, "color=red")
				}
			}
		case p.Gossiped():
			label = append(label, p.Status.String())
			attrs = append(attrs, "style=dashed", "color=grey", "fontcolor=grey")
		default:
			label = append(label, p.Status.String())
			attrs = append(attrs, "color=grey", "fontcolor=grey")
		}
		attrs = append([]string{"label=" + dotString(label...)}, attrs...)
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

// dotString quotes lines as one DOT string, joined by DOT's line break:
// each made printable first (peer text: no control characters, no
// terminal escapes, no line break of its own), then its quotes and
// backslashes escaped, so no DOT escape (\l, \N) survives either.
func dotString(lines ...string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		l = codec.PrintableString(l)
		l = strings.ReplaceAll(l, `\`, `\\`)
		esc[i] = strings.ReplaceAll(l, `"`, `\"`)
	}
	return `"` + strings.Join(esc, `\n`) + `"`
}
