package nibble

import (
	"bytes"
	"fmt"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// splitPause is the least gap between the two halves of a split frame:
// long enough that they cross loopback, and most networks, as two
// segments read apart.
const splitPause = 100 * time.Millisecond

// sendSplit writes b as its header, a pause, then the rest.
func sendSplit(c *conn, b []byte) error {
	if err := c.Send(b[:wire.HeaderSize]); err != nil {
		return err
	}
	return c.Send(b[wire.HeaderSize:]) // the connection's pace is the pause
}

func probeSplit(e *env) check.Result {
	pause := max(e.o.Pace, splitPause)
	c, err := e.DialPaced(pause)
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	hi := wire.HelloRequest(e.t.ID)
	r := check.Result{Sent: shown(hi) + fmt.Sprintf(", split after the header, %s apart", check.Dur(pause))}
	err = sendSplit(c, hi)
	var f frame
	if err == nil {
		f, err = c.Next(e.o.Timeout)
	}
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "the split hello: "+err.Error()
		return r
	}
	r.Got = shownFrames(f)
	if e.notHelloResponse(f) != nil {
		r.Verdict, r.Detail = check.Fail, "the split hello got "+word(f.Raw)+", not a hello-response: it read the header alone as a frame, as a peer that reads a frame with one recv() does"
		return r
	}
	e.Greeted()
	h := &hello{}
	e.read(h, f)
	p, why := e.probePiece(h)
	if why != "" {
		r.Verdict, r.Detail = check.Pass, "the split hello was answered (no piece to ask for)"
		return r
	}
	req := wire.PieceRequest(uint32(p))
	r.Sent += " · " + shown(req) + ", split the same way"
	err = sendSplit(c, req)
	if err == nil {
		f, err = c.Next(e.o.Timeout)
	}
	if err != nil {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("the split request for piece %d: %v", p, err)
		return r
	}
	r.Got += " · " + shownFrames(f)
	if wrong := e.wrongPiece(f, p); wrong != "" {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("the split request for piece %d: %s", p, wrong)
		return r
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("a split hello and a split request for piece %d were both answered", p)
	return r
}

// batchRequests is how many piece requests follow the hello in one segment.
const batchRequests = 3

func probeBatch(e *env) check.Result {
	// What to ask for is learnt on a connection of its own: the batch's
	// hello goes in the same segment as the requests.
	c, h, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	c.Close()
	claimed, why := e.claimed(h)
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	asked := make([]int, batchRequests)
	frames := [][]byte{wire.HelloRequest(e.t.ID)}
	for k := range asked {
		asked[k] = claimed[k%len(claimed)]
		frames = append(frames, wire.PieceRequest(uint32(asked[k])))
	}
	segment := bytes.Join(frames, nil)
	if c, err = e.Dial(); err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	r := check.Result{Sent: shown(frames...) + ", in one write"}
	if err := c.Send(segment); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	var got []frame
	deadline := time.Now().Add(e.o.Timeout)
	for len(got) < 1+batchRequests {
		f, err := c.Next(time.Until(deadline))
		if err != nil {
			err = e.whole(err)
			r.Got = shownFrames(got...)
			r.Verdict = check.Fail
			r.Detail = fmt.Sprintf("answered %d of %d, then: %v; the rest of the segment was lost, as with a peer that reads one frame per recv()",
				len(got), 1+batchRequests, err)
			return r
		}
		got = append(got, f)
	}
	r.Got = shownFrames(got...)
	if why := e.notHelloResponse(got[0]); why != nil {
		r.Verdict, r.Detail = check.Fail, "the first answer: "+why.Error()
		return r
	}
	for k, i := range asked {
		if wrong := e.wrongPiece(got[1+k], i); wrong != "" {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("answer %d, for piece %d: %s", 2+k, i, wrong)
			return r
		}
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("a hello-response and pieces %s, in order", check.Ints(asked))
	return r
}

// whole is err with a NoAnswer's wait said as the whole timeout: waits
// that share one deadline each ran out of a part of it.
func (e *env) whole(err error) error {
	if na, ok := err.(check.NoAnswer); ok {
		na.D = e.o.Timeout
		return na
	}
	return err
}

// parallel is how many connections the spec asks a peer to serve at once.
const parallel = 5

func probeFive(e *env) check.Result {
	r := check.Result{Sent: fmt.Sprintf("%d connections, all open: a hello on each, then a piece request on each", parallel)}
	conns := make([]*conn, 0, parallel)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for k := range parallel {
		c, err := e.DialPaced(0)
		if err != nil {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("connection %d of %d: %v", k+1, parallel, err)
			return r
		}
		conns = append(conns, c)
	}
	hi := wire.HelloRequest(e.t.ID)
	for k, c := range conns {
		if err := c.Send(hi); err != nil {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("connection %d of %d: our hello: %v", k+1, parallel, err)
			return r
		}
	}
	hellos := make([]*hello, parallel)
	deadline := time.Now().Add(e.o.Timeout)
	for k, c := range conns {
		f, err := c.Next(time.Until(deadline))
		if err == nil {
			err = e.notHelloResponse(f)
		}
		err = e.whole(err)
		if err != nil {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("connection %d of %d: no hello-response: %v", k+1, parallel, err)
			return r
		}
		hellos[k] = &hello{}
		e.read(hellos[k], f)
	}
	claimed, why := e.claimed(hellos[0])
	if why != "" {
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("%d hello-responses (no piece to ask for)", parallel)
		return r
	}
	asked := make([]int, parallel)
	for k, c := range conns {
		asked[k] = claimed[k%len(claimed)]
		if err := c.Send(wire.PieceRequest(uint32(asked[k]))); err != nil {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("connection %d of %d: our request: %v", k+1, parallel, err)
			return r
		}
	}
	deadline = time.Now().Add(e.o.Timeout)
	for k, c := range conns {
		f, err := c.Next(time.Until(deadline))
		if err != nil {
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("connection %d of %d: no answer for piece %d: %v", k+1, parallel, asked[k], e.whole(err))
			return r
		}
		if wrong := e.wrongPiece(f, asked[k]); wrong != "" {
			r.Got = shownFrames(f)
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("connection %d of %d, piece %d: %s", k+1, parallel, asked[k], wrong)
			return r
		}
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("%d hello-responses, then pieces %s, one on each", parallel, check.Ints(asked))
	return r
}
