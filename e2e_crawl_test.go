package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/tmuxtest"
)

// bitclone crawl's full-screen view in a real terminal, against three
// bitclone peers on loopback and the address of a fourth that has gone
// but the others still gossip: the scoreboard, the sort, the filter, a
// report card, the graph marking the gone address, and q.
func TestCrawlViewInTmux(t *testing.T) {
	tmuxtest.Need(t)
	dir := t.TempDir()
	ports := []int{freePort(t), freePort(t), freePort(t), freePort(t)}
	seed := fmt.Sprintf("127.0.0.1:%d", ports[0])
	// The seed dials the fourth (only an address a peer reached by its
	// own dial is given out), and the others dial the seed; then the
	// fourth goes.
	gone := fmt.Sprintf("127.0.0.1:%d", ports[3])
	fourth := startPeer(t, filepath.Join(dir, "peers3"), ports[3])
	first := startPeer(t, filepath.Join(dir, "peers0"), ports[0], gone)
	first.waitFor(regexp.QuoteMeta("* " + gone + " established (out)"))
	for i := 1; i < 3; i++ {
		startPeer(t, filepath.Join(dir, fmt.Sprint("peers", i)), ports[i], seed).waitFor(regexp.QuoteMeta("* " + seed + " established (out)"))
	}
	fourth.cmd.Process.Kill()
	<-fourth.done

	status := filepath.Join(dir, "status")
	s := tmuxtest.Start(t, 120, 40, fmt.Sprintf("%q crawl --check --timeout 2s --listen 127.0.0.1:%d %s; echo $? > %q", binary, freePort(t), seed, status))
	s.WaitScreen("the scoreboard", func(scr string) bool {
		return strings.Contains(scr, "round 1 done") && strings.Count(scr, " reachable ") == 3 && strings.Count(scr, "100 (") == 3 &&
			regexp.MustCompile(regexp.QuoteMeta(gone)+` +refused`).MatchString(scr)
	})
	s.Keys(true, "4")
	s.WaitScreen("the sort by score", func(scr string) bool { return strings.Contains(scr, "sorted by score (best first)") })
	s.Keys(true, "/", fmt.Sprint(ports[1]))
	s.Keys(false, "Enter")
	s.WaitScreen("the filter", func(scr string) bool {
		return strings.Contains(scr, "1 of 4") && !strings.Contains(scr, gone+" ")
	})
	s.Keys(false, "Enter")
	s.WaitScreen("the report card", func(scr string) bool {
		return strings.Contains(scr, "Report card") && strings.Contains(scr, fmt.Sprint("peer", ports[1])) && strings.Contains(scr, "PASS  version")
	})
	// Esc is held by tmux (escape-time): wait for the screen before the next key.
	s.Keys(false, "Escape")
	s.WaitScreen("the table again", func(scr string) bool { return strings.Contains(scr, "[Table]") })
	s.Keys(true, "g")
	s.WaitScreen("the graph with the gone address marked", func(scr string) bool {
		// How many still give it out depends on whether their getaddr
		// came before or after the seed's redial of it failed (an address
		// that failed is not relayed): at least the seed does.
		return strings.Contains(scr, "Who gossips whom") && regexp.MustCompile(`✗ \d  `+regexp.QuoteMeta(gone)+` +refused, gossiped by [1-9]`).MatchString(scr) && strings.Count(scr, "✗") >= 2
	})
	s.Keys(true, "q")
	s.WaitExit("q")
	if b, err := os.ReadFile(status); err != nil || string(b) != "0\n" {
		t.Errorf("exit status %q (%v), want 0: peers answered", b, err)
	}
}
