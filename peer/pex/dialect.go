package pex

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer"
)

// Name is the dialect's name, as transcripts and --dialect say it.
const Name = "pex"

// Framing is how PEX messages look on the wire of o, for a peer.Conn and
// for the tools that read them without a node (bitclone replay, --record).
// A size prefix too large for o closes the connection with a hint to try
// the other --byte-order (an ask's 33 read in the other order is 553648128).
func Framing(o pex.Options) peer.Framing {
	f := pex.Framing(o)
	return peer.Framing{
		NewReader: func(r io.Reader) peer.FrameReader { return orderHint{f.NewReader(r), o} },
		Command:   f.Command,
		Text:      f.Text,
		Overhead:  f.Overhead,
	}
}

// Wire is o as a recording keeps it ("big/4096"): "" for the course's
// wire, so that its recordings look as before.
func Wire(o pex.Options) string {
	if o.Order == pex.Little && o.Piece() == pex.DefaultPieceSize {
		return ""
	}
	return fmt.Sprintf("%s/%d", o.Order, o.Piece())
}

// ParseWire reads Wire's form back ("" is the course's wire).
func ParseWire(s string) (pex.Options, error) {
	if s == "" {
		return pex.Options{}, nil
	}
	order, size, ok := strings.Cut(s, "/")
	o := pex.Options{}
	var err error
	if o.Order, err = pex.ParseByteOrder(order); err == nil && ok {
		o.PieceSize, err = strconv.Atoi(size)
		if err == nil && o.PieceSize > 0 {
			err = o.Check()
		} else if err == nil {
			err = errors.New("no piece size")
		}
	}
	if err != nil || !ok {
		return pex.Options{}, fmt.Errorf("PEX wire %s: want ORDER/PIECE_SIZE, as big/4096", codec.Quote(s))
	}
	return o, nil
}

// orderHint is a Reader whose refused size prefix says when the peer
// probably speaks the other byte order.
type orderHint struct {
	*pex.Reader
	o pex.Options
}

func (r orderHint) Next() ([]byte, error) {
	f, err := r.Reader.Next()
	if err != nil && errors.Is(err, pex.ErrTooLong) {
		other := r.o
		other.Order = pex.Big
		if r.o.Order == pex.Big {
			other.Order = pex.Little
		}
		err = fmt.Errorf("%w; does the peer speak %s-endian? (--byte-order %s)", err, other.Order, other.Order)
	}
	return f, err
}

// NewDialect is PEX as the front ends see it, on the wire of o. n, when not
// nil, is the node it runs on: "give HASH" then takes the piece from what
// it shares, and the Pieces pane lists its wanted and shared pieces.
func NewDialect(o pex.Options, n *Node) peer.Dialect {
	ctx := pex.Context{Options: o}
	if n != nil {
		ctx = n.context()
	}
	d := peer.Dialect{
		Name:    Name,
		Framing: Framing(o),
		Binary:  true,
		Encode:  func(line string) ([]byte, error) { return pex.Parse(line, ctx) },
		Templates: func(word string, _ peer.TemplateContext) []string {
			return pex.Complete(word, ctx)
		},
		Class:    func(cmd string) peer.Class { return peer.Class(pex.ClassOf(cmd)) },
		Messages: pex.Commands,
		Hint:     pex.Hint,
		Wire:     Wire(o),
	}
	if n != nil {
		d.Panes = []peer.Pane{{
			Title: "Pieces (want: wanted, asked, received · share: given on ask)",
			Want:  func(peer.Snapshot, int) int { return min(len(n.PieceRows()), maxPaneRows) },
			Rows: func(_ peer.Snapshot, _, h int) []string {
				rows := n.PieceRows()
				return rows[:min(len(rows), h)]
			},
		}}
	}
	return d
}

// maxPaneRows bounds the rows the Pieces pane asks for.
const maxPaneRows = 8

// Dialect is the node's dialect.
func (n *Node) Dialect() peer.Dialect { return NewDialect(n.opts, n) }
