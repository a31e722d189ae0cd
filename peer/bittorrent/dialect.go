package bt

import (
	"io"

	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer"
)

// Name is the dialect's name, in recordings and on the command line.
const Name = "bt"

// Framing is how BitTorrent frames look on the wire, for a peer.Conn and
// the tools that read frames without a node (bitclone replay, --record):
// the handshake first, then length-prefixed messages.
func Framing() peer.Framing { return framingWith(bittorrent.Context{}) }

// framingWith is Framing with the log's words knowing a torrent (a
// bitfield's piece count).
func framingWith(ctx bittorrent.Context) peer.Framing {
	f := bittorrent.Framing()
	text := f.Text
	if ctx.Pieces > 0 {
		text = func(frame []byte) []byte { return []byte(bittorrent.Describe(frame, ctx)) }
	}
	return peer.Framing{
		NewReader: func(r io.Reader) peer.FrameReader { return f.NewReader(r) },
		Command:   f.Command,
		Text:      text,
		Overhead:  f.Overhead,
	}
}

// Context is what the human form knows of torrent t and of us: a bare
// "handshake" sends our info_hash and peer_id, indexes and offsets are
// judged against the torrent. readFile reads "piece I B @FILE" (nil:
// refused).
func Context(t *metainfo.Torrent, id bittorrent.PeerID, readFile func(string, int) ([]byte, error)) bittorrent.Context {
	ctx := bittorrent.Context{PeerID: id, ReadFile: readFile}
	if t != nil {
		ctx.InfoHash = bittorrent.InfoHash(t.InfoHash)
		ctx.Pieces, ctx.PieceLength, ctx.Length = t.Info.NumPieces(), int64(t.Info.PieceLength), t.Info.TotalLength()
	}
	return ctx
}

// NewDialect is BitTorrent as the front ends see it, with ctx (Context's):
// messages typed in words (handshake, bitfield ff80, have 3, interested,
// request 0 0 16384, piece 0 0 @FILE, keepalive, raw 00 00 00 00).
func NewDialect(ctx bittorrent.Context) peer.Dialect {
	return peer.Dialect{
		Name:    Name,
		Framing: framingWith(ctx),
		Binary:  true,
		Encode:  func(line string) ([]byte, error) { return bittorrent.Parse(line, ctx) },
		Templates: func(word string, _ peer.TemplateContext) []string {
			return bittorrent.Complete(word, ctx)
		},
		Class:    func(cmd string) peer.Class { return peer.Class(bittorrent.ClassOf(cmd)) },
		Messages: bittorrent.Commands,
		Hint:     bittorrent.Hint,
	}
}
