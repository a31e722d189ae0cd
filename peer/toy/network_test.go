package toy

import (
	"slices"
	"testing"

	"github.com/bitclone/bitclone/peer/nodetest"
)

const networkSize = 10

// network starts networkSize nodes; node i has the seeds links(i) and
// shares far.txt if i is one of sharers. Peer exchange is off so that the
// shape stays what links says. It returns once every link has carried a
// ping and its pong, so that both ends know each other.
func network(t *testing.T, links func(i int) []int, sharers []int) []testNode {
	t.Helper()
	built := make([]*Node, networkSize)
	for i := range built {
		cfg := testConfig(t)
		cfg.NoPeerExchange = true
		if slices.Contains(sharers, i) {
			cfg.Share = shareDir(t, map[string][]byte{"far.txt": []byte("far away")})
		}
		n, err := New(cfg) // binds: every port is known before any seed is named
		if err != nil {
			t.Fatal(err)
		}
		built[i] = n
	}
	nodes := make([]testNode, networkSize)
	for i, n := range built {
		for _, j := range links(i) {
			n.cfg.Seeds = append(n.cfg.Seeds, built[j].listen)
		}
		_, r := nodetest.Start(t, n, nil)
		nodes[i] = testNode{n, r}
	}
	for i, n := range nodes {
		for _, j := range links(i) {
			n.waitPong(nodes[j].listen)
		}
	}
	return nodes
}

// searchAll searches far.txt from node 0 and checks that every node
// handled the search once, and that node 0 got each sharer's result once,
// without any sharer learning node 0's address.
func searchAll(t *testing.T, nodes []testNode, sharers []int) {
	t.Helper()
	id := nodes[0].Search("far.txt")
	for _, i := range sharers {
		nodes[0].waitFound(nodes[i].listen)
	}
	for _, n := range nodes[1:] {
		n.waitSearch(id)
	}
	// Duplicates still on their way cannot count twice: stop every node
	// before counting.
	for _, n := range nodes {
		n.r.Stop()
	}
	for i, n := range nodes[1:] {
		if st := n.Stats(); st.Searches != 1 {
			t.Errorf("node %d handled the search %d times, want once (%d repeats dropped)", i+1, st.Searches, st.RepeatSearches)
		}
	}
	st := nodes[0].Stats()
	if st.Searches != 0 || int(st.Results) != len(sharers) {
		t.Errorf("searcher: handled %d searches (its own came back), got %d results, want %d", st.Searches, st.Results, len(sharers))
	}
	got := nodes[0].Results(id)
	for _, i := range sharers {
		if !slices.Contains(got, nodes[i].listen) {
			t.Errorf("no result from node %d at %s: %v", i, nodes[i].listen, got)
		}
	}
	for _, i := range sharers {
		for _, a := range nodes[i].Snapshot().Addrs {
			if a.Addr == nodes[0].listen.String() {
				t.Errorf("sharer %d learnt the searcher's address", i)
			}
		}
	}
	var repeats uint64
	for _, n := range nodes {
		repeats += n.Stats().RepeatSearches
	}
	t.Logf("%d repeats dropped by the seen-set", repeats)
}

func TestSearchCrossesARingOnce(t *testing.T) {
	ring := func(i int) []int { return []int{(i + 1) % networkSize} }
	sharers := []int{4, 5, 6} // the far side: five hops away at most
	searchAll(t, network(t, ring, sharers), sharers)
}

func TestSearchCrossesAMeshOnce(t *testing.T) {
	// Each node links to three others: every node is reached by many
	// paths, so every node sees the search several times.
	mesh := func(i int) []int { return []int{(i + 1) % networkSize, (i + 3) % networkSize, (i + 4) % networkSize} }
	sharers := []int{2, 5, 8} // none a neighbour of node 0 (1, 3, 4, 6, 7, 9)
	searchAll(t, network(t, mesh, sharers), sharers)
}
