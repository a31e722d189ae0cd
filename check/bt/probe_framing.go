package bt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
)

// splitPause is the least gap between the two parts of a split message:
// long enough that they cross loopback, and most networks, as two
// segments read apart.
const splitPause = 100 * time.Millisecond

// splitAt is where a request is cut: after its length prefix, id and
// index, in the middle of the payload.
const splitAt = 9

func probeSplit(e *env) check.Result {
	pause := max(e.o.Pace, splitPause)
	s, res := e.ready(pause)
	if res != nil {
		return *res
	}
	defer s.c.Close()
	claimed, why := s.claimed()
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	b := e.firstBlock(claimed[0])
	req := b.request()
	r := check.Result{Sent: fmt.Sprintf("%s, split after %d of its %d bytes, %s apart", b, splitAt, len(req), check.Dur(pause))}
	before := len(s.after)
	err := s.c.Send(req[:splitAt])
	if err == nil {
		err = s.c.Send(req[splitAt:]) // the connection's pace is the pause
	}
	if err == nil {
		_, err = e.fetchAnswer(s, b)
	}
	if err != nil {
		r.Got = shownFrames(s.after[before:]...)
		r.Verdict, r.Detail = check.Fail, "the split request: "+err.Error()
		if check.IsNoAnswer(err) {
			r.Detail += ": it read the first part alone as a message, as a peer that reads a message with one recv() does"
		}
		return r
	}
	r.Verdict, r.Detail = check.Pass, "the split request was served"
	return r
}

// fetchAnswer waits for the answer to b, sent already.
func (e *env) fetchAnswer(s *session, b block) (frame, error) {
	f, skipped, err := s.c.Await(e.o.Timeout, b.answers)
	s.observeAll(skipped)
	if err == nil {
		s.observe(f)
	}
	return f, err
}

// packed is how many requests go in one write.
const packed = 3

// someBlocks is n different blocks of the claimed pieces: the first
// blocks of the first pieces, or, with too few, shorter ones of the same.
func (e *env) someBlocks(claimed []int, n int) []block {
	var out []block
	for _, i := range claimed {
		for begin := 0; begin < e.t.Info.PieceLen(i) && len(out) < n; begin += wire.BlockSize {
			out = append(out, block{uint32(i), uint32(begin), uint32(min(wire.BlockSize, e.t.Info.PieceLen(i)-begin))})
		}
	}
	for k := 1; len(out) < n && int(out[0].length) > k; k++ {
		b := out[0]
		b.length -= uint32(k)
		out = append(out, b)
	}
	return out
}

func probePacked(e *env) check.Result {
	s, res := e.ready(e.o.Pace)
	if res != nil {
		return *res
	}
	defer s.c.Close()
	claimed, why := s.claimed()
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	blocks := e.someBlocks(claimed, packed)
	var segment []byte
	var words []string
	for _, b := range blocks {
		segment = append(segment, b.request()...)
		words = append(words, b.String())
	}
	r := check.Result{Sent: fmt.Sprintf("%s, in one write", strings.Join(words, " · "))}
	if err := s.c.Send(segment); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	var got []frame
	var order []int // which request each answer serves
	deadline := time.Now().Add(e.o.Timeout)
	for len(got) < len(blocks) {
		f, skipped, err := s.c.Await(time.Until(deadline), func(f frame) bool { return f.Cmd == wire.CmdPiece })
		s.observeAll(skipped)
		if err != nil {
			if na, ok := err.(check.NoAnswer); ok {
				na.D = e.o.Timeout
				err = na
			}
			r.Got = shownFrames(got...)
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("served %d of %d, then: %v; the rest of the write was lost, as with a peer that reads one message per recv()",
				len(got), len(blocks), err)
			return r
		}
		got = append(got, f)
		k := slices.IndexFunc(blocks, func(b block) bool { return b.answers(f) })
		if k < 0 || slices.Contains(order, k) {
			r.Got = shownFrames(got...)
			r.Verdict, r.Detail = check.Fail, fmt.Sprintf("answer %d is %s, none of the blocks asked for", len(got), word(f.Raw))
			return r
		}
		order = append(order, k)
	}
	r.Got = shownFrames(got...)
	if !slices.IsSorted(order) {
		// BEP 3 asks for no order, and real clients (anacrolix) do not keep one.
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("all %d served, in another order than asked (legal)", len(blocks))
		return r
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("all %d served, in order", len(blocks))
	return r
}
