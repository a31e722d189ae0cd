package bitclone

import (
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bitclone"
)

// hold serves a connection to our listener whose handshake is done: it
// answers ping with pong and getaddr with our address, until the caller or
// the run ends it, so nobody records our address as dead.
func hold(e *check.Env, in *conn) {
	for {
		m, err := in.Recv()
		if err != nil {
			return
		}
		var reply []byte
		switch m := m.Msg.(type) {
		case wire.Ping:
			reply = wire.Pong{Nonce: m.Nonce}.AppendWire(nil)
		case wire.GetAddr:
			reply = wire.Addr{Entries: []wire.AddrEntry{{Time: time.Now().Unix(), Addr: e.Us()}}}.AppendWire(nil)
		}
		if reply != nil && in.Send(reply) != nil {
			return
		}
	}
}
