package bitclone

import (
	"errors"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	wire "github.com/bitclone/bitclone/codec/bitclone"
	"github.com/bitclone/bitclone/peer"
)

// The node sends a typed frame's bytes exactly as the dialect encoded them:
// it adds no line ending of its own (a bare LF stays a bare LF), and a
// command that was never encoded is refused.
func TestTypedFrameGoesOutAsEncoded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, Config{PingInterval: time.Hour, AdvertiseInterval: time.Hour, IdleTimeout: time.Hour})
		r := pn.handshakeIn("127.0.0.2:9001")
		if err := pn.Do(peer.Command{Op: peer.OpSend, Line: "ping|78"}); !errors.Is(err, peer.ErrNoFrame) {
			t.Errorf("OpSend without a frame: %v, want ErrNoFrame", err)
		}
		c := peer.Command{Op: peer.OpSend, Line: "ping|77"}
		if err := Dialect.Prepare(&c); err != nil {
			t.Fatal(err)
		}
		if string(c.Frame) != "ping|77\r\n" {
			t.Errorf("Dialect encodes %q as %q, want CRLF after it", c.Line, c.Frame)
		}
		if err := pn.Do(c); err != nil {
			t.Fatal(err)
		}
		if err := pn.Do(peer.Command{Op: peer.OpSend, Line: "ping|79", Frame: []byte("ping|79\n")}); err != nil {
			t.Fatal(err)
		}
		r.expect("ping|77")
		r.expect("ping|79")
		synctest.Wait()
		var raws []string
		pn.mu.Lock()
		for _, e := range pn.events {
			if e.Kind == peer.KindSend {
				raws = append(raws, string(e.Raw))
			}
		}
		pn.mu.Unlock()
		if len(raws) < 2 || raws[len(raws)-2] != "ping|77\r\n" || raws[len(raws)-1] != "ping|79\n" {
			t.Errorf("sent frames %q, want ping|77 CRLF then ping|79 with a bare LF", raws)
		}
	})
}

// Every template of the BitClone dialect is a valid message of its command.
func TestDialectTemplatesAreValid(t *testing.T) {
	at := peer.TemplateContext{Now: time.Unix(1_700_000_000, 0), Listen: "127.0.0.1:8081", Agent: "carol", Rand: rand.New(rand.NewPCG(1, 2))}
	for _, name := range wire.Commands {
		got := Dialect.Templates(name, at)
		if len(got) != 1 {
			t.Errorf("%s: %d templates %q, want 1", name, len(got), got)
			continue
		}
		if v := Validate(got[0]); v.Level != peer.Valid {
			t.Errorf("%s template %q: %+v", name, got[0], v)
		}
		if cls := Dialect.ClassOf(name); cls == peer.ClassUnknown {
			t.Errorf("%s has no colour class", name)
		}
	}
	if got := Dialect.Templates("ping|1", at); got != nil {
		t.Errorf("a line with fields completes to %q", got)
	}
	if Dialect.ClassOf("?") != peer.ClassUnknown {
		t.Error("an unknown command has a class")
	}
}
