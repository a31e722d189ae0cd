package bitclone

import (
	"bytes"
	"testing"
	"testing/synctest"

	"github.com/bitclone/bitclone/peer"
)

func TestValidateGradesBySpec(t *testing.T) {
	for _, tc := range []struct {
		line  string
		level peer.Level
		text  string
	}{
		{"message|100|a|b", peer.Valid, ""},
		{"message|100|a", peer.Lenient, "detail: missing: the spec wants a code, a summary and a detail (message|100|SUMMARY|DETAIL)"},
		{"reject|400|", peer.Lenient, "reason: empty: the spec wants a reason for the rejection; detail: missing: the spec wants a code, a reason and a detail (reject|400|REASON|DETAIL)"},
		{"addr|1|1|1.2.3.4,5", peer.Lenient, "entry 1 address: ip,port: the spec writes ip-address:port"},
		{"message|200|a|b", peer.Invalid, "message: code: out of range 100-199"},
		{"ping|42 ", peer.Invalid, "ping: nonce: not a number"},
	} {
		v := (&Node{}).Validate(tc.line)
		if v.Level != tc.level || v.Text != tc.text {
			t.Errorf("Validate(%q) = %+v, want level %d %q", tc.line, v, tc.level, tc.text)
		}
	}
}

// A line's event carries its exact bytes: a bare LF and a CRLF line differ
// in their last bytes only, though their text is the same.
func TestReceivedEventsKeepTheLineEnding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{})
		r := pn.handshakeIn("127.0.0.2:9001")
		for _, line := range []string{"ping|41\n", "ping|41\r\n"} {
			if _, err := r.conn.Write([]byte(line)); err != nil {
				t.Fatal(err)
			}
			r.expect("pong|41")
		}
		synctest.Wait()
		pn.mu.Lock()
		defer pn.mu.Unlock()
		var raws [][]byte
		for _, e := range pn.events {
			if e.Kind == peer.KindRecv && e.Text == "ping|41" {
				raws = append(raws, e.Raw)
				if e.Size != len(e.Raw) || e.Truncated() {
					t.Errorf("event size %d for raw %q", e.Size, e.Raw)
				}
			}
		}
		if len(raws) != 2 || !bytes.Equal(raws[0], []byte("ping|41\n")) || !bytes.Equal(raws[1], []byte("ping|41\r\n")) {
			t.Fatalf("raw bytes of the two pings: %q, want \"ping|41\\n\" then \"ping|41\\r\\n\"", raws)
		}
	})
}
