package pex

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/pex"
)

// truncatedKeep is how many bytes of an ask the truncated check sends: the
// size prefix, the type and a third of the hash.
const truncatedKeep = wire.PrefixSize + wire.TypeSize + 10

// cutShort sends bad on a fresh connection, watches a while for what comes
// back, and hangs up. Only an answer it could not have read whole is wrong;
// whether the node survives is the liveness check's to say.
func (e *env) cutShort(bad []byte, what string) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	o := e.run.order()
	r := check.Result{Sent: shown(o, bad) + " (" + what + ")"}
	if err := c.Send(bad); err != nil {
		return check.Failed(err)
	}
	got, err := c.Watch(e.o.Settle())
	c.Close()
	e.lingerAfterHangUp()
	r.Got = shownFrames(e.o.Wire, got...)
	for _, f := range got {
		if isGive(f) {
			r.Verdict, r.Detail = check.Fail, "it answered "+word(f.Raw, e.o.Wire)+" to "+what+": it acted on a message it cannot have read"
			return r
		}
	}
	r.Verdict = check.Pass
	switch {
	case check.IsClosed(err):
		r.Detail = "it closed the connection, nothing else"
	case err != nil:
		r.Detail = err.Error()
	default:
		r.Detail = fmt.Sprintf("nothing came within %s; we hung up", check.Dur(e.o.Settle()))
	}
	return r
}

func probeTruncated(e *env) check.Result {
	o := e.run.order()
	ask := wire.AppendAsk(nil, missingHash(), o)
	return e.cutShort(ask[:truncatedKeep], fmt.Sprintf("%d of an ask's %d bytes", truncatedKeep, len(ask)))
}

// oversizeBody is how many bytes follow an oversize size prefix: a give's
// type and hash, and a little of a piece.
const oversizeBody = wire.GiveHeader + 32

func probeOversize(e *env) check.Result {
	o := e.run.order()
	n := uint32(o.MaxBody() + 1)
	b := make([]byte, 0, wire.PrefixSize+oversizeBody)
	if o.Order == wire.Big {
		b = binary.BigEndian.AppendUint32(b, n)
	} else {
		b = binary.LittleEndian.AppendUint32(b, n)
	}
	b = append(b, byte(wire.TypeGive))
	b = append(b, make([]byte, oversizeBody-1)...)
	return e.cutShort(b, fmt.Sprintf("a size prefix of %d, one more than a give can be", n))
}

// lingerAfterHangUp gives a node that answers nothing on our connections
// (the course's node, with no piece to ask it for) a loop turn to read our
// hanging up before the liveness check, whose weak test (our connection
// taken and held) would pass before a crash: else the next check is
// blamed for it. A node that answers is caught by the answer not coming.
func (e *env) lingerAfterHangUp() {
	if _, ok := e.run.livenessPiece(); ok || e.run.answered() != viaDialBack {
		return
	}
	t := time.NewTimer(quiet(e.o.Options))
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.Ctx().Done():
	}
}
