package toy

import (
	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

// unknownType is a msgtype no node knows.
const unknownType = "bitclone-check-unknown"

func probeUnknownType(e *env) check.Result {
	id := e.id()
	bad, err := wire.EncodeMap(wire.Map{{Key: wire.KeyMsgType, Value: unknownType}, {Key: wire.KeyMsgID, Value: id}})
	if err != nil {
		return check.Failed(err)
	}
	return e.shrugsOff(bad, anyReplyTo(id))
}

// The broken datagrams. None has a msgid to answer.
var (
	// notMsgpack opens with 0xc1, the one byte msgpack never uses.
	notMsgpack = []byte("\xc1 not msgpack")
	// notAMap is the array ["ping", 1].
	notAMap = []byte{0x92, 0xa4, 'p', 'i', 'n', 'g', 0x01}
	// truncated is a ping cut after its msgtype.
	truncated = encode(wire.Ping(1))[:1+1+len(wire.KeyMsgType)+1+len(wire.CmdPing)]
)

// probeBad sends bad, which nobody could answer.
func probeBad(bad []byte) func(*env) check.Result {
	return func(e *env) check.Result { return e.shrugsOff(bad, nil) }
}

// shrugsOff sends bad and watches for a Settle: an answer (one that
// matches answer, if set) is a warning, for it is to be ignored; then our
// ping must still get a pong on the same socket.
func (e *env) shrugsOff(bad []byte, answer func(frame) bool) check.Result {
	c, fail := e.dial()
	if fail != nil {
		return *fail
	}
	defer c.Close()
	r, got, ok := e.exchange(c, bad)
	if !ok {
		return r
	}
	if why := e.stillAnswers(c); why != "" {
		r.Verdict, r.Detail = check.Fail, why+": did it crash on our datagram? (the article's node does)"
		return r
	}
	for _, f := range got {
		if answer != nil && answer(f) {
			r.Verdict, r.Detail = check.Warn, "it answered it ("+f.Cmd+"), where it is to be ignored; it still answers pings"
			return r
		}
	}
	r.Verdict, r.Detail = check.Pass, "ignored; it still answers pings"
	return r
}
