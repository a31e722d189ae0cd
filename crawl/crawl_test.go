package crawl

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	a1 = netip.MustParseAddrPort("127.0.0.1:1001")
	a2 = netip.MustParseAddrPort("127.0.0.1:1002")
	a3 = netip.MustParseAddrPort("127.0.0.1:1003")
	a4 = netip.MustParseAddrPort("127.0.0.1:1004")
)

// hostileAgent is an agent that tries everything: quotes and backslashes
// to break out of a DOT string, a DOT escape, terminal escapes, a newline.
const hostileAgent = "ev\"il\\l \x1b[31mred\x1b[0m\n\"];x->y;//"

// sample is a round: a1 and a2 reachable and gossiping each other and a3,
// which refuses us; a4 met by nobody but the seeds, and unreachable.
func sample() *Result {
	r := &Result{Round: 1, Us: netip.MustParseAddrPort("127.0.0.1:9999"), Started: time.Unix(0, 0), Duration: time.Second}
	r.Peers = []Peer{
		{Addr: a1, Status: Reachable, Agent: hostileAgent, Version: 3, Knows: []netip.AddrPort{a2, a3}, KnownBy: []netip.AddrPort{a2},
			Score: &Score{Pass: 10, Warn: 2, Fail: 1, Failed: []string{"getaddr"}}},
		{Addr: a2, Status: Reachable, Agent: "node-2", Version: 3, Knows: []netip.AddrPort{a1, a3}, KnownBy: []netip.AddrPort{a1},
			Score: &Score{Pass: 18}},
		{Addr: a3, Status: Refused, Reason: "connection refused", KnownBy: []netip.AddrPort{a1, a2}, LastSeen: time.Unix(0, 0).Add(-time.Minute)},
		{Addr: a4, Status: Timeout, Reason: "no connection within the timeout"},
	}
	return r
}

// dotTokens splits DOT text into tokens: quoted strings (unescaped, with
// DOT's \n as a newline), identifiers and punctuation. It fails the test on
// a string that does not end.
func dotTokens(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t':
			i++
		case c == '"':
			var b strings.Builder
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						b.WriteByte('\n')
					default:
						b.WriteByte(s[i])
					}
					continue
				}
				if s[i] == '\n' {
					t.Fatalf("a raw newline inside a DOT string at %d", i)
				}
				b.WriteByte(s[i])
			}
			if i == len(s) {
				t.Fatalf("a DOT string does not end")
			}
			i++
			out = append(out, "\""+b.String())
		case c == '-' && i+1 < len(s) && s[i+1] == '>':
			out = append(out, "->")
			i += 2
		case strings.IndexByte("{}[];,=", c) >= 0:
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \n\t\"{}[];,=", s[j]) < 0 && !(s[j] == '-' && j+1 < len(s) && s[j+1] == '>') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// TestWriteDOT parses the graph back: every peer a node, every edge A->B
// where A gossips B and nothing else (the hostile agent adds no edge), the
// agent escaped into a label, the unreachable but gossiped address dashed.
func TestWriteDOT(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDOT(&b, sample()); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if strings.ContainsAny(text, "\x1b\r") {
		t.Errorf("raw control characters in the DOT file:\n%q", text)
	}
	toks := dotTokens(t, text)
	if toks[0] != "digraph" || toks[2] != "{" || toks[len(toks)-1] != "}" {
		t.Fatalf("not one digraph: %q", toks)
	}
	var edges [][2]string
	nodes := map[string]string{} // name -> its attribute tokens
	for i := 3; i < len(toks)-1; {
		j := i
		for j < len(toks) && toks[j] != ";" {
			j++
		}
		stmt := toks[i:j]
		i = j + 1
		switch {
		case len(stmt) == 3 && stmt[1] == "->":
			edges = append(edges, [2]string{stmt[0][1:], stmt[2][1:]})
		case len(stmt) > 1 && strings.HasPrefix(stmt[0], "\"") && stmt[1] == "[":
			nodes[stmt[0][1:]] = strings.Join(stmt[2:], " ")
		}
	}
	want := [][2]string{{a1.String(), a2.String()}, {a1.String(), a3.String()}, {a2.String(), a1.String()}, {a2.String(), a3.String()}}
	if !slices.Equal(edges, want) {
		t.Errorf("edges %v, want %v", edges, want)
	}
	if len(nodes) != 4 {
		t.Errorf("%d nodes, want 4: %v", len(nodes), nodes)
	}
	if l := nodes[a1.String()]; !strings.Contains(l, `label = "127.0.0.1:1001`+"\n"+`ev"il\l \x1b[31mred\x1b[0m\n"];x->y;//`) || !strings.Contains(l, "color = red") {
		t.Errorf("a1's attributes: %q", l)
	}
	if l := nodes[a3.String()]; !strings.Contains(l, "style = dashed") {
		t.Errorf("a3, refused and gossiped, is not dashed: %q", l)
	}
	if l := nodes[a4.String()]; strings.Contains(l, "dashed") {
		t.Errorf("a4, gossiped by nobody, is dashed: %q", l)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Log("dot is not installed: the file is not rendered")
		return
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("<svg")) {
		t.Errorf("dot -Tsvg: %v\n%s", err, out)
	}
}

// TestWriteJSON: one object per peer, then the summary; peer text as it
// came (JSON escapes it).
func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 4 peers and a summary:\n%s", len(lines), b.String())
	}
	var p jsonPeer
	if err := json.Unmarshal([]byte(lines[0]), &p); err != nil {
		t.Fatal(err)
	}
	if p.Agent != hostileAgent || p.Score == nil || p.Score.Points != 84 || !slices.Equal(p.Score.Failed, []string{"getaddr"}) {
		t.Errorf("first peer: %+v", p)
	}
	var s jsonSummary
	if err := json.Unmarshal([]byte(lines[4]), &s); err != nil {
		t.Fatal(err)
	}
	if got := s.Summary; got.Peers != 4 || got.Reachable != 2 || got.Unreachable != 2 || got.Edges != 4 || got.Checked != 2 {
		t.Errorf("summary: %+v", got)
	}
}

// TestWriteTable escapes the agent and says why a peer is unreachable.
func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "\x1b") || strings.Count(out, "\n") != 6 {
		t.Errorf("table not escaped, or a row broken in two:\n%s", out)
	}
	for _, want := range []string{`ev"il\l \x1b[31`, "refused", "connection refused", "84 (10/2/1)", "connection refused; gossiped as seen 1m01s before", "round 1: 4 peers, 2 reachable, 2 unreachable, 4 edges"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestDiff names the peers new, gone, and those whose score moved.
func TestDiff(t *testing.T) {
	prev, cur := sample(), sample()
	cur.Round = 2
	cur.Peers[0].Score = &Score{Pass: 13}      // a1: 84 -> 100
	cur.Peers[1].Score = &Score{Fail: 18}      // a2: 100 -> 0
	cur.Peers[2].Status = Reachable            // a3: back
	cur.Peers = slices.Delete(cur.Peers, 3, 4) // a4: not met (it was unreachable: no change)
	prev.Peers = append(prev.Peers, Peer{Addr: netip.MustParseAddrPort("127.0.0.1:1005"), Status: Reachable})
	got := Diff(prev, cur)
	var kinds []string
	for _, c := range got {
		kinds = append(kinds, c.Kind.String()+" "+c.Addr.String())
	}
	want := []string{"score-up 127.0.0.1:1001", "score-down 127.0.0.1:1002", "new 127.0.0.1:1003", "gone 127.0.0.1:1005"}
	if !slices.Equal(kinds, want) {
		t.Errorf("changes %q, want %q", kinds, want)
	}
	if got[0].From != 84 || got[0].To != 100 {
		t.Errorf("a1's score: %d -> %d", got[0].From, got[0].To)
	}
	if len(Diff(cur, cur)) != 0 {
		t.Error("a round changed from itself")
	}
}

func TestPoints(t *testing.T) {
	for _, c := range []struct {
		s    Score
		want int
	}{{Score{}, 0}, {Score{Pass: 3}, 100}, {Score{Warn: 2}, 50}, {Score{Pass: 1, Fail: 1}, 50}, {Score{Pass: 1, Down: 3}, 25}} {
		if got := c.s.Points(); got != c.want {
			t.Errorf("%+v: %d points, want %d", c.s, got, c.want)
		}
	}
}
