package bt

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/bitfield"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
)

// greeted runs judge on a fresh connection once the peer has answered our
// handshake; if it has not, that is the result.
func (e *env) greeted(judge func(s *session) check.Result) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	s, err := e.greet(c)
	if err != nil {
		r := check.Result{Verdict: check.Fail, Sent: shown(s.sent), Detail: err.Error()}
		if s.hs.Raw != nil {
			r.Got = shownFrames(s.hs)
		}
		return r
	}
	r := judge(s)
	if r.Sent == "" {
		r.Sent, r.Got = shown(s.sent), shownFrames(append([]frame{s.hs}, s.after...)...)
	}
	return r
}

func probeHandshake(e *env) check.Result {
	return e.greeted(func(s *session) check.Result {
		h := s.their
		var wrong []string
		if h.InfoHash != e.infoHash() {
			wrong = append(wrong, fmt.Sprintf("its info_hash is %s, not ours (%s)", h.InfoHash, e.infoHash()))
		}
		if len(h.PeerID) != wire.PeerIDSize {
			wrong = append(wrong, fmt.Sprintf("its peer_id is %d bytes, want 20: the handshake is %d bytes, and the messages after it read right only from there",
				len(h.PeerID), len(s.hs.Raw)))
		}
		if len(wrong) > 0 {
			return check.Result{Verdict: check.Fail, Detail: strings.Join(wrong, "; ")}
		}
		detail := fmt.Sprintf("our info_hash, peer_id %s", peerIDText(h.PeerID))
		if h.Reserved.IsZero() {
			detail += ", reserved bytes zero"
		} else {
			detail += fmt.Sprintf(", reserved bits set (%s: %s), which we ignore, as real clients do",
				hex.EncodeToString(h.Reserved[:]), strings.Join(h.Reserved.Extensions(), ", "))
		}
		return check.Result{Verdict: check.Pass, Detail: detail}
	})
}

func probeBitfield(e *env) check.Result {
	return e.greeted(func(s *session) check.Result {
		n := e.t.Info.NumPieces()
		want := bitfield.Bytes(n)
		if !s.sawBitfield {
			if s.haves > 0 {
				return check.Result{Verdict: check.Pass, Detail: fmt.Sprintf("no bitfield; %d %s instead (legal)",
					s.haves, check.Plural(s.haves, "have", "haves"))}
			}
			return check.Result{Verdict: check.Warn, Detail: fmt.Sprintf("no bitfield and no have within %s of the handshake: it claims no piece (legal for a peer that has none), so nothing can be fetched",
				check.Dur(e.o.Settle()))}
		}
		data := s.bitfield
		if !s.firstMsg {
			return check.Result{Verdict: check.Fail, Detail: "the bitfield came after " + check.Commands(s.after[:1]) + ": it may only come right after the handshake"}
		}
		_, err := wire.ParseBitfield(data, n)
		switch {
		case errors.Is(err, bitfield.ErrLength):
			return check.Result{Verdict: check.Fail, Detail: fmt.Sprintf("%d %s (%s) for %d pieces, want %d: the spec says drop the connection",
				len(data), check.Plural(len(data), "byte", "bytes"), hexBytes(data), n, want)}
		case errors.Is(err, bitfield.ErrSpareBits):
			return check.Result{Verdict: check.Fail, Detail: fmt.Sprintf("spare bits set: the last byte is %02x, and for %d pieces its low %d bits must be zero",
				data[len(data)-1], n, 8-n%8)}
		}
		detail := fmt.Sprintf("%d %s for %d pieces, spare bits zero; it claims %d", want, check.Plural(want, "byte", "bytes"), n, s.claims.Count()-s.haves)
		if s.haves > 0 {
			detail += fmt.Sprintf(", and %d more by have (a lazy bitfield)", s.haves)
		}
		return check.Result{Verdict: check.Pass, Detail: detail}
	})
}

// maxHexShown is how many bytes of a bitfield the report spells out.
const maxHexShown = 16

// hexBytes is "ff f0", cut after maxHexShown bytes.
func hexBytes(b []byte) string {
	if len(b) == 0 {
		return "(no bytes)"
	}
	shown := b[:min(len(b), maxHexShown)]
	parts := make([]string, len(shown))
	for i, c := range shown {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	s := strings.Join(parts, " ")
	if len(shown) < len(b) {
		s += fmt.Sprintf(" … (%d bytes)", len(b))
	}
	return s
}

// otherTorrent is an info_hash that is not ours (every bit flipped): a
// peer cannot serve it.
func (e *env) otherTorrent() wire.InfoHash {
	ih := e.infoHash()
	for i := range ih {
		ih[i] ^= 0xff
	}
	return ih
}

func probeWrongInfoHash(e *env) check.Result {
	c, err := e.Dial()
	if err != nil {
		return check.Failed(err)
	}
	defer c.Close()
	other := e.otherTorrent()
	sent := ourHandshake(other)
	r := check.Result{Sent: shown(sent)}
	if err := c.Send(sent); err != nil {
		if check.IsClosed(err) {
			r.Verdict, r.Detail = check.Pass, "refused: "+err.Error()
			return r
		}
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	start := time.Now()
	f, err := c.Next(e.o.Timeout)
	switch {
	case check.IsClosed(err):
		r.Verdict, r.Detail = check.Pass, "refused: "+err.Error()+" without a handshake"
		return r
	case check.IsNoAnswer(err):
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("no handshake within %s (closing the connection would be clearer)", check.Dur(e.o.Timeout))
		return r
	case err != nil:
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	// A handshake: ours echoed (as anacrolix does before it looks the
	// torrent up), or its own, sent before it read ours. Either way it must
	// close once it knows.
	echoed := false
	if h, ok := f.Msg.(theirHandshake); ok && h.InfoHash == other {
		echoed = true
	}
	rest, err := c.Watch(max(0, e.o.Timeout-time.Since(start)))
	r.Got = shownFrames(append([]frame{f}, rest...)...)
	switch {
	case check.IsClosed(err) && echoed:
		r.Verdict, r.Detail = check.Pass, "it echoed the info_hash, then closed the connection"
		return r
	case check.IsClosed(err):
		r.Verdict, r.Detail = check.Pass, "it sent its own handshake first, then closed the connection once it read ours"
		return r
	case echoed:
		r.Verdict, r.Detail = check.Fail, "it echoed info_hash "+other.String()+", a torrent it cannot have, and kept the connection open"
		return r
	}
	r.Verdict, r.Detail = check.Fail, "it sent a handshake and kept the connection open after ours named another torrent"
	return r
}
