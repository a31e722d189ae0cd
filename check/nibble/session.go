package nibble

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/bitfield"
	wire "github.com/bitclone/bitclone/codec/nibble"
)

// env is what every NibbleTorrent probe gets: the run's check.Env, the
// options (defaults filled in) and the torrent.
type env struct {
	*check.Env
	o Options
	t *wire.Torrent
}

// wrap gives a probe of the run e its env.
func wrap(e *check.Env, o Options) *env {
	o = o.withDefaults()
	o.Options = e.Options()
	return &env{Env: e, o: o, t: o.Torrent}
}

// newEnv opens a run's env to try probes one by one (tests).
func newEnv(ctx context.Context, target string, o Options, nw check.Network) (*env, error) {
	e, err := check.NewEnv(ctx, target, suite(o), o.Options, nw)
	if err != nil {
		return nil, err
	}
	return wrap(e, o), nil
}

// hello is our hello on one connection and what the peer answered.
type hello struct {
	sent   []byte
	answer frame // the peer's first frame, if any
	// claims is what the peer says it has, spare bits ignored; Len() is 0
	// when the bitfield has the wrong length, for then which bit is which
	// piece is a guess.
	claims bitfield.Bitfield
	// strict is the strict reading's complaint (bitfield.ErrLength or
	// ErrSpareBits), nil if the bitfield is as the spec says.
	strict error
}

// greet sends our hello on c and reads the answer, which must be a hello
// response. A greeting that fails is a check.HandshakeError, and the run's
// first one is the root cause that the report states once.
func (e *env) greet(c *conn) (*hello, error) {
	h := &hello{sent: wire.HelloRequest(e.t.ID)}
	if err := c.Send(h.sent); err != nil {
		return h, e.FailedHandshake("sending our hello", err)
	}
	f, err := c.Next(e.o.Timeout)
	if err != nil {
		return h, e.FailedHandshake("waiting for its hello-response", err)
	}
	h.answer = f
	if err := e.notHelloResponse(f); err != nil {
		return h, e.FailedHandshake("waiting for its hello-response", err)
	}
	e.Greeted()
	e.read(h, f)
	return h, nil
}

// read fills in h from the hello response f: the claims and how the
// strict reading went.
func (e *env) read(h *hello, f frame) {
	data := f.Msg.(wire.Frame).Data
	h.answer = f
	h.claims, h.strict = wire.HelloBitfield(data, e.t.NumPieces())
	if errors.Is(h.strict, bitfield.ErrSpareBits) {
		h.claims = wire.HelloBitfieldLenient(data, e.t.NumPieces()) // which bit is which piece is clear
	}
}

// notHelloResponse says why f is not a hello response (nil if it is).
func (e *env) notHelloResponse(f frame) error {
	switch {
	case f.Err != nil:
		return fmt.Errorf("it answered a frame that does not decode: %v", f.Err)
	case f.Cmd == wire.CmdError:
		// The text goes into the report raw: the text report escapes it.
		return fmt.Errorf("it answered an error frame, \"%s\": does it serve torrent %s?", f.Msg.(wire.Frame).Data, e.t.ID)
	case f.Cmd != wire.CmdHelloResponse:
		return fmt.Errorf("it answered a %s, not a hello-response", f.Cmd)
	}
	return nil
}

// established opens a connection and says hello, for the probes about what
// comes after it.
func (e *env) established() (*conn, *hello, error) {
	c, err := e.Dial()
	if err != nil {
		return nil, nil, err
	}
	h, err := e.greet(c)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, h, nil
}

// claimed lists the pieces h claims, in order; if none can be asked for,
// why not is a detail for a probe that is not run.
func (e *env) claimed(h *hello) ([]int, string) {
	if h.claims.Len() == 0 && e.t.NumPieces() > 0 {
		return nil, "not run: its bitfield has the wrong length, so which pieces it claims is a guess (see bitfield)"
	}
	var out []int
	for i := range h.claims.Len() {
		if h.claims.Has(i) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, "not run: the peer claims no piece of the torrent"
	}
	return out, ""
}

// maxOneByteIndex is the highest index a 1-byte piece request can carry.
const maxOneByteIndex = 0xff

// probePiece is the piece the probes ask for: the highest claimed one
// that a 1-byte index can name, so that the same piece goes in every width
// and a reader that takes the wrong bytes gets another piece (0, most
// often), which its hash tells apart.
func (e *env) probePiece(h *hello) (int, string) {
	claimed, why := e.claimed(h)
	if why != "" {
		return 0, why
	}
	if claimed[0] > maxOneByteIndex {
		return 0, fmt.Sprintf("not run: the first piece it claims, %d, needs more than one byte", claimed[0])
	}
	p := claimed[0]
	for _, i := range claimed {
		if i <= maxOneByteIndex {
			p = i
		}
	}
	return p, ""
}

// ask sends req on c and waits for the next frame: the answer.
func (e *env) ask(c *conn, req []byte) (frame, error) {
	if err := c.Send(req); err != nil {
		return frame{}, err
	}
	return c.Next(e.o.Timeout)
}

// wrongPiece says what is wrong with f as the answer for piece i: "" if it
// is the piece, its length and hash right.
func (e *env) wrongPiece(f frame, i int) string {
	switch {
	case f.Err != nil:
		return "a broken frame: " + f.Err.Error()
	case f.Cmd == wire.CmdError:
		return "an error frame: " + string(f.Msg.(wire.Frame).Data)
	case f.Cmd != wire.CmdPieceResponse:
		return "a " + f.Cmd + ", not a piece-response"
	}
	data := f.Msg.(wire.Frame).Data
	if err := e.t.CheckPiece(i, data); err != nil {
		what := fmt.Sprintf("%d bytes, want %d", len(data), e.t.PieceLen(i))
		if len(data) == e.t.PieceLen(i) {
			what = "its SHA-1 does not match piece " + fmt.Sprint(i) + "'s"
		}
		if j := e.whose(data); j >= 0 {
			return fmt.Sprintf("%s: it is piece %d's data", what, j)
		}
		return what
	}
	return ""
}

// whose is the piece whose hash data has, or -1.
func (e *env) whose(data []byte) int {
	sum := wire.Hash(sha1.Sum(data))
	for j, h := range e.t.Pieces {
		if h == sum {
			return j
		}
	}
	return -1
}

// fetch asks for piece i in width bytes (0: the fewest) and judges the
// answer.
func (e *env) fetch(c *conn, i, width int) check.Result {
	req := wire.PieceRequest(uint32(i))
	if width > 0 {
		req = wire.PieceRequestWidth(uint32(i), width)
	}
	r := check.Result{Sent: shown(req)}
	f, err := e.ask(c, req)
	if err != nil {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("no answer for piece %d: %v", i, err)
		return r
	}
	r.Got = shownFrames(f)
	if wrong := e.wrongPiece(f, i); wrong != "" {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("piece %d: %s", i, wrong)
		return r
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("piece %d: %d bytes, SHA-1 matches", i, e.t.PieceLen(i))
	return r
}

// stillAnswers tells whether c still works after something bad was
// answered: a request for a piece h claims gets it, or else (no piece to
// ask for, or no hello yet: h nil) our hello gets a hello response. ""
// means it does; else why not, and whether the peer closed.
func (e *env) stillAnswers(c *conn, h *hello) (string, bool) {
	if h != nil {
		if p, why := e.probePiece(h); why == "" {
			f, err := e.ask(c, wire.PieceRequest(uint32(p)))
			if err != nil {
				return fmt.Sprintf("piece %d after it: %v", p, err), check.IsClosed(err)
			}
			if wrong := e.wrongPiece(f, p); wrong != "" {
				return fmt.Sprintf("piece %d after it: %s", p, wrong), false
			}
			return "", false
		}
	}
	f, err := e.ask(c, wire.HelloRequest(e.t.ID))
	switch {
	case err != nil:
		return "our hello after it: " + err.Error(), check.IsClosed(err)
	case e.notHelloResponse(f) != nil:
		return "our hello after it: " + e.notHelloResponse(f).Error(), false
	}
	return "", false
}
