package nibble

import (
	"errors"
	"fmt"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/bitfield"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// greeted runs judge on a fresh connection once the peer has answered our
// hello with a hello response; if it has not, that is the result.
func (e *env) greeted(judge func(c *conn, h *hello) check.Result) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	h, err := e.greet(c)
	if err != nil {
		r := check.Result{Verdict: check.Fail, Sent: shown(h.sent), Detail: err.Error()}
		if h.answer.Raw != nil {
			r.Got = shownFrames(h.answer)
		}
		return r
	}
	r := judge(c, h)
	if r.Sent == "" {
		r.Sent, r.Got = shown(h.sent), shownFrames(h.answer)
	}
	return r
}

func probeHello(e *env) check.Result {
	return e.greeted(func(c *conn, h *hello) check.Result {
		n := e.t.NumPieces()
		if h.claims.Len() != n {
			return check.Result{Verdict: check.Pass, Detail: "a hello-response (its bitfield: see bitfield)"}
		}
		return check.Result{Verdict: check.Pass, Detail: fmt.Sprintf("a hello-response claiming %d of %d %s",
			h.claims.Count(), n, check.Plural(n, "piece", "pieces"))}
	})
}

func probeBitfield(e *env) check.Result {
	return e.greeted(func(c *conn, h *hello) check.Result {
		n := e.t.NumPieces()
		data := h.answer.Msg.(wire.Frame).Data
		want := bitfield.Bytes(n)
		switch {
		case errors.Is(h.strict, bitfield.ErrLength):
			detail := fmt.Sprintf("%d %s (%s) for %d pieces, want %d", len(data), check.Plural(len(data), "byte", "bytes"), hexBytes(data), n, want)
			if len(data) < want {
				detail += ": short, as from a peer that writes the bitfield through an integer and drops its leading zero bytes"
			}
			return check.Result{Verdict: check.Fail, Detail: detail}
		case errors.Is(h.strict, bitfield.ErrSpareBits):
			last := data[len(data)-1]
			return check.Result{Verdict: check.Fail, Detail: fmt.Sprintf("spare bits set: the last byte is %02x, and for %d pieces its low %d bits must be zero",
				last, n, 8-n%8)}
		}
		return check.Result{Verdict: check.Pass, Detail: fmt.Sprintf("%d %s for %d pieces, spare bits zero",
			want, check.Plural(want, "byte", "bytes"), n)}
	})
}

// unknownTorrent is an id that is not our torrent's (every bit flipped):
// a peer cannot serve it.
func (e *env) unknownTorrent() wire.TorrentID {
	id := e.t.ID
	for i := range id {
		id[i] ^= 0xff
	}
	return id
}

func probeUnknownTorrent(e *env) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	sent := wire.HelloRequest(e.unknownTorrent())
	return e.expectError(c, nil, sent, func(f frame) string {
		if f.Cmd == wire.CmdHelloResponse {
			return "it answered a hello-response for torrent " + e.unknownTorrent().String() + ", which it cannot have"
		}
		return ""
	})
}

// expectError sends bad on c (whose hello h is, nil if none) and expects
// an error frame, then the connection to go on (stillAnswers). actedOn
// says how an answer that is not an error frame shows the peer acting on
// bad ("" for no special words). The spec asks for an error frame: its
// absence fails. DIALECTS.md asks to keep the connection: closing it after
// the error frame is a warning.
func (e *env) expectError(c *conn, h *hello, bad []byte, actedOn func(frame) string) check.Result {
	return e.expectErrorOr(c, h, bad, actedOn, check.Fail)
}

// expectErrorOr is expectError with the verdict for a peer that does not
// answer an error frame (closing, staying silent, or acting on bad).
func (e *env) expectErrorOr(c *conn, h *hello, bad []byte, actedOn func(frame) string, noError check.Verdict) check.Result {
	r := check.Result{Sent: shown(bad)}
	f, err := e.ask(c, bad)
	switch {
	case check.IsClosed(err):
		r.Verdict, r.Detail = noError, err.Error()+" without an error frame"
		return r
	case err != nil:
		r.Verdict, r.Detail = noError, "no error frame: "+err.Error()
		return r
	}
	r.Got = shownFrames(f)
	if f.Cmd != wire.CmdError || f.Err != nil {
		r.Verdict, r.Detail = noError, "it answered "+word(f.Raw)+", not an error frame"
		if how := actedOn(f); how != "" {
			r.Detail = how
		}
		return r
	}
	text := string(f.Msg.(wire.Frame).Data)
	why, closed := e.stillAnswers(c, h)
	switch {
	case closed:
		r.Verdict, r.Detail = check.Warn, "an error frame ("+text+"), then it closed the connection; DIALECTS.md: keep it"
	case why != "":
		r.Verdict, r.Detail = check.Warn, "an error frame ("+text+"), but then the connection did not work: "+why
	default:
		r.Verdict, r.Detail = check.Pass, "an error frame ("+text+"); the connection goes on"
	}
	return r
}
