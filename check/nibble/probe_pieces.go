package nibble

import (
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// probeIndexWidth asks for the probe piece with its index in width bytes.
func probeIndexWidth(width int) func(*env) check.Result {
	return func(e *env) check.Result {
		c, h, err := e.established()
		if err != nil {
			return check.Failed(err)
		}
		defer c.Close()
		p, why := e.probePiece(h)
		if why != "" {
			return check.Result{Verdict: check.Skip, Detail: why}
		}
		return e.fetch(c, p, width)
	}
}

func probeOutOfRange(e *env) check.Result {
	c, h, err := e.established()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	past := e.t.NumPieces()
	return e.expectError(c, h, wire.PieceRequest(uint32(past)), func(f frame) string {
		if f.Cmd == wire.CmdPieceResponse {
			return fmt.Sprintf("it sent %d bytes as piece %d, but the last piece is %d", len(f.Msg.(wire.Frame).Data), past, past-1)
		}
		return ""
	})
}

// maxProblems is how many bad pieces the claimed-pieces check names.
const maxProblems = 3

func probeClaimed(e *env) check.Result {
	// We wait for each answer before the next request: no pacing needed.
	c, err := e.DialPaced(0)
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	h, err := e.greet(c)
	if err != nil {
		return check.Failed(err)
	}
	claimed, why := e.claimed(h)
	if why != "" {
		return check.Result{Verdict: check.Skip, Detail: why}
	}
	asked, all := check.Sample(claimed, e.o.FetchAll, e.o.Sample)
	which := fmt.Sprintf("all %d claimed %s", len(asked), check.Plural(len(asked), "piece", "pieces"))
	if !all {
		which = fmt.Sprintf("a sample of %d of the %d claimed pieces (%s)", len(asked), len(claimed), check.Ints(asked))
	}
	r := check.Result{Sent: fmt.Sprintf("piece requests for %s", which)}
	var problems []string
	bad, right := 0, 0
	start := time.Now()
	for _, i := range asked {
		f, err := e.ask(c, wire.PieceRequest(uint32(i)))
		if err != nil {
			// The connection is over: say so last, after what went wrong before.
			problems = append(problems, fmt.Sprintf("then piece %d: %v", i, err))
			bad++
			break
		}
		if wrong := e.wrongPiece(f, i); wrong != "" {
			if bad++; len(problems) < maxProblems {
				problems = append(problems, fmt.Sprintf("piece %d: %s", i, wrong))
				r.Got = shownFrames(f)
			}
			continue
		}
		right++
	}
	if bad > 0 {
		r.Verdict = check.Fail
		r.Detail = fmt.Sprintf("%s: %d of %d right; %s", which, right, len(asked), strings.Join(problems, "; "))
		if bad > len(problems) {
			r.Detail += fmt.Sprintf("; and %d more wrong", bad-len(problems))
		}
		return r
	}
	r.Verdict = check.Pass
	r.Detail = fmt.Sprintf("%s arrived, SHA-1 right, in %s", which, check.Dur(time.Since(start)))
	return r
}
