package bitclone

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// A peer's user agent is quoted in the established event with the escapes
// of the log and the transcript: BEL is \x07 (never Go's \a), and a quote
// in it cannot close the quote early.
func TestEstablishedQuotesTheAgentAsTheLogDoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		r := pn.connect("127.0.0.2:9001")
		r.send(fmt.Sprintf("version|3|1|%d|127.0.0.1:8088|127.0.0.2:9001|4242|class\amate\" x|0", time.Now().Unix()))
		r.expect("verack|4242")
		v := r.expect("version|")
		r.send("verack|" + strings.Split(v, "|")[6])
		r.expect("getaddr")
		synctest.Wait()
		if want := `agent "class\x07mate\" x" version 3`; !pn.hasEvent(peer.KindEstablished, want) {
			t.Errorf("established events %q, want one with %s", pn.eventTexts(peer.KindEstablished), want)
		}
	})
}
