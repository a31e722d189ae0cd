package crawlview

import (
	"context"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/crawl"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

const (
	alice = "127.0.0.1:18101"
	bob   = "127.0.0.1:18102"
	carol = "127.0.0.1:18103"
	gone  = "127.0.0.1:18109" // refused, still gossiped by alice
	zed   = "127.0.0.1:18104" // no pong, not checked
)

// report is a small report card: passes, and one failure if fail.
func report(target string, fail bool) *check.Report {
	r := &check.Report{Target: target, Duration: time.Second}
	r.Outcomes = append(r.Outcomes,
		check.Outcome{Name: "version", Group: "handshake", Result: check.Result{Verdict: check.Pass, Detail: "9 fields"}},
		check.Outcome{Name: "ping", Group: "messages", Result: check.Result{Verdict: check.Pass, Detail: "pong in 1ms"}})
	if fail {
		r.Outcomes = append(r.Outcomes, check.Outcome{Name: "getaddr", Group: "messages", Spec: "§4", Expect: "an addr",
			Result: check.Result{Verdict: check.Fail, Sent: "getaddr", Got: "nothing", Detail: "no addr in 5s"}})
	}
	return r
}

func score(rep *check.Report) *crawl.Score {
	n := rep.Counts()
	s := &crawl.Score{Pass: n.Pass, Warn: n.Warn, Fail: n.Fail, Report: rep}
	for _, o := range rep.Outcomes {
		if o.Verdict == check.Fail {
			s.Failed = append(s.Failed, o.Name)
		}
	}
	return s
}

// sample is one round: alice (score 100, 3 ms), bob (score 66, 1 ms),
// carol (not checked, 2 ms), zed (no pong) and an address alice gives
// out that refused us.
func sample(round int) *crawl.Result {
	r := &crawl.Result{Round: round, Us: ap("127.0.0.1:19100"), Started: t0, Duration: time.Second}
	r.Peers = []crawl.Peer{
		{Addr: ap(alice), Status: crawl.Reachable, Agent: "alice", Version: 3, Handshake: time.Millisecond, RTT: 3 * time.Millisecond,
			Knows: []netip.AddrPort{ap(bob), ap(gone)}, KnownBy: []netip.AddrPort{ap(bob)}, Score: score(report(alice, false))},
		{Addr: ap(bob), Status: crawl.Reachable, Agent: "Bob", Version: 3, Handshake: time.Millisecond, RTT: time.Millisecond,
			Knows: []netip.AddrPort{ap(alice), ap(carol)}, KnownBy: []netip.AddrPort{ap(alice)}, Score: score(report(bob, true))},
		{Addr: ap(carol), Status: crawl.Reachable, Agent: "carol", Version: 3, RTT: 2 * time.Millisecond, KnownBy: []netip.AddrPort{ap(bob)}},
		{Addr: ap(zed), Status: crawl.Reachable, Agent: "zed", Version: 3, PingErr: "no pong"},
		{Addr: ap(gone), Status: crawl.Refused, Reason: "connection refused", KnownBy: []netip.AddrPort{ap(alice)}},
	}
	return r
}

// testModel is a model w×h wide that has been told the rounds rs.
func testModel(t *testing.T, w, h int, o Options, rs ...*crawl.Result) *Model {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := newModel(ctx, cancel, o, nil)
	m.now = func() time.Time { return t0.Add(time.Minute) }
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	for i, r := range rs {
		m.Update(batchMsg{msg: roundStartMsg{i + 1}})
		m.Update(batchMsg{msg: roundMsg{r: r}})
	}
	return m
}

// screen is the window as text, and checks it fits.
func screen(t *testing.T, m *Model) string {
	t.Helper()
	out := m.render()
	lines := strings.Split(out, "\n")
	if len(lines) != m.height {
		t.Errorf("%d lines in a window %d high", len(lines), m.height)
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("line %d wide in a window %d wide: %q", w, m.width, ansi.Strip(l))
		}
	}
	return ansi.Strip(out)
}

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		case "backspace":
			msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
		default:
			msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		_, cmd = m.Update(msg)
	}
	return cmd
}

// order is the addresses of the table's rows, top to bottom.
func order(scr string) []string {
	var out []string
	for _, l := range strings.Split(scr, "\n") {
		if a := regexp.MustCompile(`^[▸ ] +(?:\d+ )?(127\.0\.0\.1:\d+) `).FindStringSubmatch(l); a != nil {
			out = append(out, a[1])
		}
	}
	return out
}

func wantOrder(t *testing.T, scr string, want ...string) {
	t.Helper()
	if got := order(scr); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v; screen:\n%s", got, want, scr)
	}
}

// The table: every peer, in address order, numbered, with its columns.
func TestTableShowsThePeers(t *testing.T) {
	m := testModel(t, 120, 40, Options{}, sample(1))
	scr := screen(t, m)
	wantOrder(t, scr, alice, bob, carol, zed, gone)
	for _, want := range []string{"ADDRESS ▲", "sorted by address (A to Z)", "100 (2/0/0)", "66 (2/0/1)",
		"refused", "connection refused", "5 peers, 4 reachable, 1 unreachable, 4 edges", "listening 127.0.0.1:19100", "round 1 done"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
}

// s cycles the sort (agent, round trip, score), r turns it round, 1-4
// pick one; peers without the value stay last; the header says which.
func TestSort(t *testing.T) {
	m := testModel(t, 120, 40, Options{}, sample(1))
	press(m, "s")
	scr := screen(t, m)
	wantOrder(t, scr, alice, bob, carol, zed, gone) // case ignored: Bob after alice
	if !strings.Contains(scr, "sorted by agent (A to Z)") || !strings.Contains(scr, "AGENT ▲") {
		t.Errorf("header:\n%s", scr)
	}
	press(m, "s")
	wantOrder(t, screen(t, m), bob, carol, alice, zed, gone)
	press(m, "s")
	scr = screen(t, m)
	wantOrder(t, scr, alice, bob, carol, zed, gone) // no score: last, by address
	if !strings.Contains(scr, "sorted by score (best first)") || !strings.Contains(scr, "SCORE ▼") {
		t.Errorf("header:\n%s", scr)
	}
	press(m, "r")
	scr = screen(t, m)
	wantOrder(t, scr, bob, alice, carol, zed, gone)
	if !strings.Contains(scr, "sorted by score (worst first)") {
		t.Errorf("header:\n%s", scr)
	}
	press(m, "3")
	wantOrder(t, screen(t, m), bob, carol, alice, zed, gone)
	press(m, "s")
	wantOrder(t, screen(t, m), alice, bob, carol, zed, gone)
	press(m, "1")
	wantOrder(t, screen(t, m), alice, bob, carol, zed, gone)
}

// / filters on address, agent or status as it is typed; Enter keeps the
// filter, Esc clears it.
func TestFilter(t *testing.T) {
	m := testModel(t, 120, 40, Options{}, sample(1))
	press(m, "/", "b", "O")
	scr := screen(t, m)
	wantOrder(t, scr, bob)
	if !strings.Contains(scr, "/ bO") || !strings.Contains(scr, `filter "bO": 1 of 5`) {
		t.Errorf("no filter line:\n%s", scr)
	}
	press(m, "backspace", "backspace")
	press(m, "r", "e", "f", "enter")
	wantOrder(t, screen(t, m), gone)
	press(m, "s") // the filter is kept: keys are the table's again
	wantOrder(t, screen(t, m), gone)
	press(m, "/", "1", "8", "1", "0", "esc")
	wantOrder(t, screen(t, m), alice, bob, carol, zed, gone)
	press(m, "/", "z", "enter", "esc")
	wantOrder(t, screen(t, m), alice, bob, carol, zed, gone)
	sorted := m.sort
	press(m, "/", "q", "s", "g") // typed into the filter, not keys of the table
	if m.quitting || m.filter != "qsg" || m.view != viewTable || m.sort != sorted {
		t.Errorf("typing a filter set off keys: quitting %v, filter %q, view %d, sort %d", m.quitting, m.filter, m.view, m.sort)
	}
	press(m, "esc", "/", "nobody", "enter")
	if scr := screen(t, m); !strings.Contains(scr, "no peer matches the filter") {
		t.Errorf("empty filter result:\n%s", scr)
	}
}

// The cursor moves with ↓/j and stays on its peer through a sort; Enter
// opens that peer's report card, as bitclone check prints it; Esc goes
// back.
func TestDetailShowsTheReportCard(t *testing.T) {
	m := testModel(t, 120, 40, Options{}, sample(1))
	press(m, "j")
	if scr := screen(t, m); !strings.Contains(scr, "▸ 2 "+bob) {
		t.Fatalf("the cursor is not on bob:\n%s", scr)
	}
	press(m, "2") // by agent: bob stays under the cursor
	press(m, "enter")
	scr := screen(t, m)
	for _, want := range []string{bob + " · reachable", "agent          Bob", "Report card", "bitclone check " + bob,
		"PASS  version", "FAIL  getaddr", "got     nothing", "does not conform"} {
		if !strings.Contains(scr, want) {
			t.Errorf("detail lacks %q:\n%s", want, scr)
		}
	}
	press(m, "esc")
	if scr := screen(t, m); !strings.Contains(scr, "▸ 2 "+bob) || strings.Contains(scr, "Report card") {
		t.Errorf("esc did not go back to the table:\n%s", scr)
	}
	press(m, "j", "enter") // carol: never checked
	if scr := screen(t, m); !strings.Contains(scr, "no report card: it was not checked") {
		t.Errorf("carol's detail:\n%s", scr)
	}
}

// The graph: a matrix of who gives out whom, with the unreachable address
// others still gossip marked by a glyph (and a style), and a legend.
func TestGraphMarksTheUnreachable(t *testing.T) {
	m := testModel(t, 120, 40, Options{}, sample(1))
	press(m, "g")
	scr := screen(t, m)
	rows := map[string]string{}
	for _, l := range strings.Split(scr, "\n") {
		if f := regexp.MustCompile(`^(\d) (\w+) +(.*)$`).FindStringSubmatch(l); f != nil {
			rows[f[2]] = f[3]
		}
	}
	// Columns 1-5: alice, bob, carol, zed, gone (address order).
	if got := strings.Fields(rows["alice"]); len(got) < 4 || got[0] != "●" || got[1] != "·" || got[2] != "·" || got[3] != "✗" {
		t.Errorf("alice's row %q: want ● to bob, ✗ to the gone address; screen:\n%s", rows["alice"], scr)
	}
	if got := strings.Fields(rows["Bob"]); len(got) < 4 || got[0] != "●" || got[1] != "●" || got[2] != "·" || got[3] != "·" {
		t.Errorf("bob's row %q; screen:\n%s", rows["Bob"], scr)
	}
	if _, ok := rows["refused"]; ok || !strings.Contains(scr, "✗ 5  "+gone) || !strings.Contains(scr, "refused, gossiped by 1") {
		t.Errorf("the unreachable address should be a marked column, not a row:\n%s", scr)
	}
	// Its column header has the down style, not only its glyph.
	raw := m.render()
	if !strings.Contains(raw, m.st.down.Render("  ✗")) || !strings.Contains(raw, m.st.down.Render("  5")) {
		t.Errorf("the ✗ is not in the down style")
	}
	press(m, "g")
	if scr := screen(t, m); !strings.Contains(scr, "[Table]") {
		t.Errorf("g again should go back to the table:\n%s", scr)
	}
}

// With --every, the table has a banner and the changes view lists what
// changed since the last round (crawl.Diff).
func TestChangesSinceTheLastRound(t *testing.T) {
	r2 := sample(2)
	r2.Peers[1].Status, r2.Peers[1].Reason, r2.Peers[1].Score = crawl.Timeout, "no answer in 5s", nil // bob gone
	r2.Peers[0].Score = score(report(alice, true))                                                    // alice down to 66
	r2.Peers[4].Status, r2.Peers[4].Reason, r2.Peers[4].Agent = crawl.Reachable, "", "phoenix"        // back
	m := testModel(t, 120, 40, Options{Every: time.Minute}, sample(1), r2)
	scr := screen(t, m)
	for _, want := range []string{"round 2 against 1:", "+ 1 new", "− 1 gone", "▼ 1 score-down", "(c: what changed)"} {
		if !strings.Contains(scr, want) {
			t.Errorf("banner lacks %q:\n%s", want, scr)
		}
	}
	press(m, "c")
	scr = screen(t, m)
	for _, want := range []string{"Round 2 against round 1: 3 changes", "▼ score-down  " + alice, "alice  100 → 66",
		"− gone        " + bob, "timeout: no answer in 5s", "+ new         " + gone, "phoenix"} {
		if !strings.Contains(scr, want) {
			t.Errorf("changes view lacks %q:\n%s", want, scr)
		}
	}

	one := testModel(t, 120, 40, Options{}, sample(1))
	press(one, "c")
	if scr := screen(t, one); !strings.Contains(scr, "One round only") || strings.Contains(scr, "against") {
		t.Errorf("changes without --every:\n%s", scr)
	}
}

// The status bar: the round's progress while it runs (the Feed), then when
// the next round starts.
func TestStatusBarShowsProgressAndTheNextRound(t *testing.T) {
	m := testModel(t, 120, 40, Options{Every: time.Minute})
	m.Update(batchMsg{msg: roundStartMsg{1}})
	p := sample(1).Peers
	m.Update(batchMsg{progress: []crawl.Peer{p[2], p[0]}})
	m.Update(batchMsg{progress: []crawl.Peer{p[0]}}) // alice again, with her score
	scr := screen(t, m)
	if !strings.Contains(scr, "round 1 running: 2 visited, 2 checked") {
		t.Errorf("status bar:\n%s", scr)
	}
	wantOrder(t, scr, alice, carol) // what the round met so far
	m.Update(batchMsg{msg: roundMsg{r: sample(1), next: t0.Add(time.Minute + 42*time.Second)}})
	if scr := screen(t, m); !strings.Contains(scr, "round 1 done, next in 42s") {
		t.Errorf("status bar:\n%s", scr)
	}
	m.Update(batchMsg{msg: roundStartMsg{2}})
	m.Update(batchMsg{progress: []crawl.Peer{p[1]}})
	scr = screen(t, m)
	if !strings.Contains(scr, "round 2 running: 1 visited") || !strings.Contains(scr, "5 peers, 4 reachable") {
		t.Errorf("during round 2 the table stays round 1's:\n%s", scr)
	}
}

// Narrow windows drop the least needed columns first; every frame fits.
func TestFitsTheWindow(t *testing.T) {
	for _, c := range []struct {
		w, h       int
		want, lose []string
	}{
		{120, 40, []string{"HANDSHAKE", "KNOWN BY", "SCORE", "VER"}, nil},
		{80, 24, []string{"ADDRESS", "STATUS", "AGENT", "SCORE", "RTT"}, []string{"NOTE"}},
		{60, 12, []string{"ADDRESS", "STATUS", "AGENT"}, []string{"NOTE", "VER", "HANDSHAKE"}},
	} {
		m := testModel(t, c.w, c.h, Options{Every: time.Minute}, sample(1), sample(2))
		for _, v := range []string{"", "g", "c", "?"} {
			if v != "" {
				press(m, v)
			}
			scr := screen(t, m) // checks the size
			if v == "" {
				for _, w := range c.want {
					if !strings.Contains(scr, w) {
						t.Errorf("%d×%d lacks %s:\n%s", c.w, c.h, w, scr)
					}
				}
				for _, w := range c.lose {
					if strings.Contains(scr, w) {
						t.Errorf("%d×%d still shows %s:\n%s", c.w, c.h, w, scr)
					}
				}
			}
		}
	}
}

// A peer's text cannot reach the terminal raw.
func TestPeerTextIsEscaped(t *testing.T) {
	r := sample(1)
	r.Peers[0].Agent = "evil\x1b[2J\x1b]0;owned\x07"
	r.Peers[1].Score.Report.Down = "it said \x1b[2J" // a report's own text, printed as is by WriteText
	r.Peers[1].Score.Report.DiedIn = "getaddr"
	m := testModel(t, 120, 40, Options{}, r)
	for _, keys := range [][]string{nil, {"g"}, {"g", "enter"}, {"esc", "j", "enter"}} {
		press(m, keys...)
		raw := m.render()
		if strings.Contains(raw, "\x1b[2J") || strings.Contains(raw, "\x1b]0") || strings.Contains(raw, "\x07") {
			t.Errorf("after %v the agent reached the screen raw: %q", keys, raw)
		}
	}
}

// q ends the crawl's context (so the round under way stops) and quits.
func TestQuitCancels(t *testing.T) {
	m := testModel(t, 80, 24, Options{}, sample(1))
	cmd := press(m, "q")
	if m.ctx.Err() == nil || !m.quitting {
		t.Error("q did not end the context")
	}
	if cmd == nil {
		t.Fatal("no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q did not quit")
	}
}

// class is a round of n students, each giving out a few others; every
// ninth refused us.
func class(n int) *crawl.Result {
	r := &crawl.Result{Round: 1, Us: ap("127.0.0.1:19100"), Started: t0, Duration: time.Second}
	addr := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 8088)
	}
	for i := range n {
		p := crawl.Peer{Addr: addr(i), Status: crawl.Reachable, Agent: "student-" + string(rune('A'+i%26)), RTT: time.Millisecond}
		if i%9 == 8 {
			p.Status, p.Agent = crawl.Refused, ""
		}
		r.Peers = append(r.Peers, p)
	}
	for i := range r.Peers {
		for j := range r.Peers {
			if j != i && (i*7+j*3)%5 == 0 && r.Peers[i].Status == crawl.Reachable {
				r.Peers[i].Knows = append(r.Peers[i].Knows, addr(j))
				r.Peers[j].KnownBy = append(r.Peers[j].KnownBy, addr(i))
			}
		}
	}
	return r
}

// Forty peers fit a 120×40 projector: the matrix's column numbers stay on
// screen while its rows scroll.
func TestGraphOfFortyScrollsUnderItsNumbers(t *testing.T) {
	m := testModel(t, 120, 40, Options{}, class(40))
	press(m, "g")
	numbers := regexp.MustCompile(`(?m)^ +1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0$`)
	scr := screen(t, m)
	if !numbers.MatchString(scr) || !strings.Contains(scr, " 1 student-A ") || !strings.Contains(scr, "more lines") {
		t.Fatalf("the matrix:\n%s", scr)
	}
	for range 30 {
		press(m, "down")
	}
	scr = screen(t, m)
	if !numbers.MatchString(scr) || strings.Contains(scr, " 1 student-A ") || !strings.Contains(scr, "40 student-N") {
		t.Errorf("scrolled down, the numbers should stay and the rows move:\n%s", scr)
	}
}

// A peer that knows many addresses: the detail wraps them all under
// their field instead of cutting them at the window's edge.
func TestDetailWrapsTheAddresses(t *testing.T) {
	r := class(40)
	m := testModel(t, 80, 40, Options{}, r)
	press(m, "enter")
	scr := screen(t, m)
	for _, a := range r.Peers[0].Knows {
		if !strings.Contains(scr, a.String()+" ") && !strings.Contains(scr, a.String()+"\n") {
			t.Errorf("%s is not shown whole:\n%s", a, scr)
		}
	}
}

// The countdown ticks once a second between rounds, one chain of ticks
// only: a tick of an earlier wait (a round that took under a second)
// ends instead of doubling the redraws.
func TestOneCountdownAtATime(t *testing.T) {
	m := testModel(t, 80, 24, Options{Every: time.Minute})
	end := func(n int) tea.Cmd {
		m.Update(batchMsg{msg: roundStartMsg{n}})
		_, cmd := m.Update(batchMsg{msg: roundMsg{r: sample(n), next: t0.Add(2 * time.Minute)}})
		return cmd
	}
	end(1)
	stale := tickMsg{m.ticks}
	end(2)
	if _, cmd := m.Update(stale); cmd != nil {
		t.Error("a tick of the first wait went on after the second round")
	}
	if _, cmd := m.Update(tickMsg{m.ticks}); cmd == nil {
		t.Error("the current countdown stopped")
	}
}
