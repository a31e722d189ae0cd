package bitclone

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/check"
)

// The peer's text is escaped once: in the text report, not before (an
// agent shown with %q after escaping showed \\x1b), and the JSON report
// carries it as it came.
func TestPeerTextEscapedOnce(t *testing.T) {
	evil := "evil\x1b[2J\\x"
	addr := startScriptPeer(t, func(s *scriptConn, line string) string {
		out := conformant(s, line)
		return strings.Replace(out, "|77|script|", "|77|"+evil+"|", 1)
	})
	res := runProbe(t, "version", addr)
	if want := `agent "evil\x1b[2J\\x"`; !strings.HasSuffix(res.Detail, want) {
		t.Errorf("detail %q, want it to end %q", res.Detail, want)
	}
	r := &check.Report{Target: addr, Outcomes: []check.Outcome{{Name: "version", Group: groupHandshake, Result: res}}}

	var text bytes.Buffer
	writeText(r, &text, Options{}, check.TextOptions{Verbose: true})
	for _, want := range []string{`agent "evil\x1b[2J\\x"` + "\n", "|77|evil\\x1b[2J\\x|0\\r\\n\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "\x1b") || strings.Contains(text.String(), `\\x1b`) {
		t.Errorf("text report has a raw or a twice-escaped ESC:\n%s", text.String())
	}

	var out bytes.Buffer
	if err := r.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Checks []struct{ Got string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if g := got.Checks[0].Got; !strings.Contains(g, "|77|"+evil+"|0\r\n") {
		t.Errorf("json got %q, want the raw line", g)
	}
}
