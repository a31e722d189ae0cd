package bt

import (
	"fmt"
	"slices"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
)

// crossing is a block that starts inside piece i and runs half a block
// past its end.
func (e *env) crossing(i int) block {
	n := e.t.Info.PieceLen(i)
	blk := min(wire.BlockSize, n)
	return block{uint32(i), uint32(n - blk/2), uint32(blk)}
}

// refused sends bad (whose wrong is what is wrong with it) on a session
// that is unchoked, and expects it not served: ignored while the
// connection goes on (follow, a valid block, is then served), or the
// connection closed. A piece at bad's index and begin gets served (with
// why that is wrong).
func (e *env) refused(s *session, bad block, wrong string, follow block, servedVerdict check.Verdict, servedWhy string) check.Result {
	r := check.Result{Sent: bad.String() + " (" + wrong + ")"}
	before := len(s.after)
	if err := s.c.Send(bad.request()); err != nil {
		if check.IsClosed(err) {
			r.Verdict, r.Detail = check.Pass, "not served: "+err.Error()+" (allowed)"
			return r
		}
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	got, err := s.c.Watch(e.o.Settle())
	s.observeAll(got)
	r.Got = shownFrames(got...)
	if k := slices.IndexFunc(got, bad.touches); k >= 0 {
		r.Verdict, r.Detail = servedVerdict, fmt.Sprintf("it served it: %d bytes", len(got[k].Msg.(wire.Message).Payload))+servedWhy
		return r
	}
	if err != nil {
		r.Verdict, r.Detail = check.Pass, "not served: "+err.Error()+" (allowed)"
		return r
	}
	r.Sent += " · " + follow.String()
	why, closed, served := e.stillServes(s, follow, bad, bad.touches)
	r.Got = shownFrames(s.after[before:]...)
	switch {
	case served:
		r.Verdict, r.Detail = servedVerdict, "it served it, late"+servedWhy
	case closed:
		r.Verdict, r.Detail = check.Pass, "not served; then it closed the connection (allowed)"
	case why != "":
		r.Verdict, r.Detail = check.Warn, "not served, but then the connection did not work: "+why
	default:
		r.Verdict, r.Detail = check.Pass, "not served; the connection goes on ("+follow.String()+" was served)"
	}
	return r
}

func probePastPiece(e *env) check.Result {
	s, res := e.ready(e.o.Pace)
	if res != nil {
		return *res
	}
	defer s.c.Close()
	claimed, why := s.claimed()
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	last := e.t.Info.NumPieces() - 1
	if claimed[0] == last {
		return check.Result{Verdict: check.Skip, Detail: "not run: it claims no piece but the last (see past-file-end)"}
	}
	p := claimed[0]
	return e.refused(s, e.crossing(p), fmt.Sprintf("piece %d is %d bytes", p, e.t.Info.PieceLen(p)), e.firstBlock(p), check.Fail, "")
}

// probePastFile asks, each on a connection of its own, for a block that
// runs past the end of the last piece, the file's end, and for one of the
// piece after the last.
func probePastFile(e *env) check.Result {
	n := e.t.Info.NumPieces()
	last := n - 1
	after := block{uint32(n), 0, uint32(min(wire.BlockSize, e.t.Info.PieceLength))}
	var out check.Result
	for k, bad := range []block{e.crossing(last), after} {
		wrong := fmt.Sprintf("the last piece, %d, is %d bytes", last, e.t.Info.PieceLen(last))
		if k == 1 {
			wrong = fmt.Sprintf("the last piece is %d", last)
		}
		s, res := e.ready(e.o.Pace)
		if res != nil {
			return *res
		}
		claimed, why := s.claimed()
		if why != "" {
			s.c.Close()
			return check.Result{Verdict: check.Skip, Detail: why}
		}
		if k == 0 && !s.claims.Has(last) {
			s.c.Close()
			return check.Result{Verdict: check.Skip, Detail: fmt.Sprintf("not run: it does not claim the last piece, %d", last)}
		}
		r := e.refused(s, bad, wrong, e.firstBlock(claimed[0]), check.Fail, "")
		s.c.Close()
		if k == 0 {
			out = r
			if r.Verdict == check.Fail {
				out.Detail = "past the end of the file: " + r.Detail
				return out
			}
			continue
		}
		out.Sent += " · " + r.Sent
		out.Got = r.Got
		out.Verdict = max(out.Verdict, r.Verdict)
		out.Detail = "past the end of the file: " + out.Detail + "; the piece after the last: " + r.Detail
	}
	return out
}

func probeOversize(e *env) check.Result {
	s, res := e.ready(e.o.Pace)
	if res != nil {
		return *res
	}
	defer s.c.Close()
	claimed, why := s.claimed()
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	p := claimed[0]
	bad := block{uint32(p), 0, oversizeLength}
	follow := e.firstBlock(p)
	follow.length = max(1, follow.length/2) // told apart from a cut answer to bad
	wrong := "more than 128 KiB"
	if n := e.t.Info.PieceLen(p); n < oversizeLength {
		wrong += fmt.Sprintf(", and past the end of piece %d, of %d bytes", p, n)
	}
	// Serving it is a warning: anacrolix does, and the requester gets what
	// it asked for; but a peer that serves any length reads a whole piece
	// for anyone who asks.
	return e.refused(s, bad, wrong, follow, check.Warn, "; the spec's clients drop a peer that asks for more than 128 KiB")
}
