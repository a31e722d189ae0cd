package nibble

import (
	"io"
	"sync"
	"unsafe"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
)

// labels lets one connection's log say which piece a piece response
// carries ("piece-response 41 (4096 bytes)"), though the index is not on
// the wire. For one we receive, the Conn names it on its reader goroutine
// before the handler settles the request, so the oldest request waiting is
// the one answered. For one we send, the piece is verified: its SHA-1 names
// it (hashed only when the event is built, which the front end's pace
// bounds).
type labels struct {
	pieces int
	sess   *session // set by NewSessionLocked, before the connection is served

	mu   sync.Mutex
	last *byte // the data of the frame the reader returned last
}

// labelReader notes each frame it returns, so that labels tells a received
// frame from a sent one (they never share memory).
type labelReader struct {
	*nibble.Reader // Raw and Buffered come with it
	l              *labels
}

func (r labelReader) Next() ([]byte, error) {
	f, err := r.Reader.Next()
	r.l.mu.Lock()
	r.l.last = unsafe.SliceData(f)
	r.l.mu.Unlock()
	return f, err
}

// framing is the connection's framing, with Text knowing its requests.
func (l *labels) framing() peer.Framing {
	f := framing
	f.NewReader = func(r io.Reader) peer.FrameReader { return labelReader{nibble.NewReader(r), l} }
	f.Text = l.text
	return f
}

func (l *labels) text(frame []byte) []byte {
	if nibble.CommandName(frame) != nibble.CmdPieceResponse || l.sess == nil {
		return nibble.Text(frame)
	}
	l.mu.Lock()
	received := len(frame) > 0 && l.last == unsafe.SliceData(frame)
	l.mu.Unlock()
	ctx := nibble.Context{Pieces: l.pieces}
	i, ok := -1, false
	if received {
		i, ok = l.sess.waiting()
	} else {
		i, ok = l.sess.n.pieceOf(frame[nibble.HeaderSize:])
	}
	if ok {
		ctx.Index, ctx.HasIndex = uint32(i), true
	}
	return []byte(nibble.Describe(frame, ctx))
}
