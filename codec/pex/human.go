package pex

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/human"
)

// The words a user types beyond the command names.
const wordRaw = human.WordRaw

// maxRawShown is how many bytes of a message Describe writes as raw hex.
const maxRawShown = human.MaxRawShown

// MaxPeersShown is how many peers the log line of a peer message lists; a
// longer list is cut and counted.
const MaxPeersShown = 8

// Context is what Parse and Describe know beyond the bytes. The zero value
// is the course's wire and shares nothing.
type Context struct {
	Options
	// Piece looks up a piece we share by its hash, for "give HASH" (nil:
	// we share nothing). It is the caller's, so Parse stays pure.
	Piece func(Hash) ([]byte, bool)
	// Shared is a hash Templates offers after "give" (zero: a placeholder).
	Shared Hash
}

// InputError says what is wrong with a typed line, in words for the
// command line: "ask: want 64 hex digits (a SHA-256), got 4 characters".
type InputError = human.InputError

// Parse turns a typed line (the human form, see the package comment) into
// one message's wire bytes, in one buffer, in ctx's byte order. Errors are
// *InputError, safe to print.
func Parse(line string, ctx Context) ([]byte, error) {
	word, rest, _ := strings.Cut(strings.TrimLeft(line, " "), " ")
	fail := func(format string, a ...any) ([]byte, error) {
		return nil, &InputError{Word: codec.PrintableString(word), Reason: codec.PrintableString(fmt.Sprintf(format, a...))}
	}
	switch word {
	case "":
		return nil, &InputError{Reason: "empty line: type " + strings.Join(Words, ", ")}
	case CmdAsk:
		args := strings.Fields(rest)
		if len(args) != 1 {
			return fail("want one SHA-256 (64 hex digits)")
		}
		h, err := ParseHash(args[0])
		if err != nil {
			return fail("%v", err)
		}
		return AppendAsk(nil, h, ctx.Options), nil
	case CmdGive:
		return parseGive(withoutComment(rest), ctx, fail)
	case CmdPeer:
		args := strings.Fields(rest)
		peers := make([]netip.AddrPort, 0, len(args))
		for _, a := range args {
			p, err := netip.ParseAddrPort(a)
			if err != nil {
				return fail("%s: want [IPv6]:port or IPv4:port, e.g. [::1]:8100 127.0.0.1:8101", a)
			}
			peers = append(peers, p)
		}
		b, err := AppendPeers(nil, peers, ctx.Options)
		if err != nil {
			return fail("%v", err)
		}
		return b, nil
	case wordRaw:
		b, err := human.ParseHex(withoutComment(rest), ctx.Order.exampleRaw())
		if err != nil {
			return fail("%v", err)
		}
		if len(b) == 0 {
			return fail("no bytes: type raw and hex, e.g. raw %s", ctx.Order.exampleRaw())
		}
		return b, nil
	}
	return fail("unknown command: type %s", strings.Join(Words, ", "))
}

// parseGive reads "HASH" (the piece we share under it) or "HASH HEX" (any
// bytes at all, to test a peer with a corrupt piece).
func parseGive(rest string, ctx Context, fail func(string, ...any) ([]byte, error)) ([]byte, error) {
	arg, data, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if arg == "" {
		return fail("want the SHA-256 of a piece we share (64 hex digits)")
	}
	h, err := ParseHash(arg)
	if err != nil {
		return fail("%v", err)
	}
	var piece []byte
	if strings.TrimSpace(data) != "" {
		if piece, err = human.ParseHex(data, "00 01 02"); err != nil {
			return fail("piece: %v", err)
		}
	} else {
		var ok bool
		if ctx.Piece != nil {
			piece, ok = ctx.Piece(h)
		}
		if !ok {
			return fail("we share no piece %s", h.Short())
		}
	}
	b, err := AppendGive(nil, h, piece, ctx.Options)
	if err != nil {
		return fail("%v", err)
	}
	return b, nil
}

// withoutComment is s up to a "(": Describe's notes after the words.
func withoutComment(s string) string {
	s, _, _ = strings.Cut(s, "(")
	return s
}

// exampleRaw is an empty peer list in o: the shortest valid message.
func (o ByteOrder) exampleRaw() string {
	if o == Big {
		return "00 00 00 01 02"
	}
	return "01 00 00 00 02"
}

// Describe shows one message in words, in full: an ask's and a give's
// hash in 64 hex digits, every peer of a peer list. Parse reads the words
// back to the same bytes, except for a give, whose piece is shown as its
// size ("give HASH (131072 bytes)", which Parse reads back only when we
// share that piece). A message the words cannot say (a size prefix that
// disagrees, a size wrong for its type, a type of 3 or more) is raw hex
// with a note. The words are safe for a terminal.
func Describe(frame []byte, ctx Context) string {
	return describe(frame, ctx.Options, false)
}

// Summary is the log line of a message: Describe with hashes cut to
// ShortHashDigits ("ask 3fa2c1d4…") and a peer list to MaxPeersShown.
func Summary(frame []byte, o Options) string { return describe(frame, o, true) }

// Text is Summary in the course's wire, as bytes (Framing binds the
// options of another wire).
func Text(frame []byte) []byte { return []byte(Summary(frame, Options{})) }

func describe(frame []byte, o Options, short bool) string {
	m, err := Decode(frame, o)
	if err != nil {
		return human.DescribeRaw(frame, rawNote(frame, m, err, o))
	}
	hash := m.Hash.String()
	if short {
		hash = m.Hash.Short()
	}
	switch m.Type {
	case TypeAsk:
		return CmdAsk + " " + hash
	case TypeGive:
		return CmdGive + " " + hash + " (" + strconv.Itoa(len(m.Piece)) + " bytes)"
	}
	var sb strings.Builder
	sb.WriteString(CmdPeer)
	n := m.NumPeers()
	for i := range n {
		if short && i == MaxPeersShown {
			sb.WriteString(" … (" + strconv.Itoa(n) + " peers)")
			break
		}
		sb.WriteString(" " + m.Peer(i).String())
	}
	return sb.String()
}

// rawNote says why a message is shown as raw hex.
func rawNote(frame []byte, m Message, err error, o Options) string {
	switch {
	case errors.Is(err, ErrType):
		return fmt.Sprintf("type %d: not in the spec, skipped; the course's node reads it as a peer list", m.Type)
	case errors.Is(err, ErrPrefix) && otherOrderFits(frame, o):
		return "the size prefix reads right " + (o.Order ^ 1).String() + "-endian: the peer speaks the other byte order"
	}
	return ""
}

// otherOrderFits says whether frame's size prefix is right only in the
// byte order o does not use.
func otherOrderFits(frame []byte, o Options) bool {
	if len(frame) < PrefixSize {
		return false
	}
	body := uint64(len(frame) - PrefixSize)
	return uint64((o.Order^1).uint32(frame)) == body && uint64(o.Order.uint32(frame)) != body
}

// CommandName names a message's command for statistics: one of the Cmd
// constants, never peer-chosen text. It reads the type byte only (the
// same in both byte orders); a message without one is CmdUnknown.
func CommandName(frame []byte) string {
	if len(frame) < PrefixSize+TypeSize {
		return CmdUnknown
	}
	return Type(frame[PrefixSize]).Command()
}

// Words are the command words a user types, in the order help lists them.
var Words = []string{CmdAsk, CmdGive, CmdPeer, wordRaw}

// Commands are the command names of the three message types, in type
// order (for tables that list them).
var Commands = []string{CmdAsk, CmdGive, CmdPeer}

// Hint is what an empty command line suggests typing.
const Hint = "ask SHA256, give SHA256, peer [::1]:8100 127.0.0.1:8101 or raw 01 00 00 00 02"

// Class groups commands for colour, in the order and with the meaning of
// peer.Class (the dialect value converts it: peer.Class(pex.ClassOf(c))).
type Class uint8

// The classes PEX uses; the values match peer.Class.
const (
	ClassUnknown Class = 0 // not one of the three: the peer deviates
	ClassData    Class = 3 // what the protocol moves: pieces and addresses
)

// ClassOf is the colour class of a command name (CommandName's).
func ClassOf(command string) Class {
	switch command {
	case CmdAsk, CmdGive, CmdPeer:
		return ClassData
	}
	return ClassUnknown
}

// Complete is what Tab offers for the start of a typed line: the
// templates whose command word starts with word; none once the line has
// arguments.
func Complete(word string, ctx Context) []string { return human.Complete(word, Templates(ctx)) }

// Templates are whole lines for completing a command word, one per word:
// an ask and a give of ctx.Shared (zeros when unset: a placeholder that
// Parse refuses for give unless a piece is shared under it), ourselves on
// the course's port, and an empty peer list in ctx's byte order.
func Templates(ctx Context) []string {
	return []string{
		CmdAsk + " " + ctx.Shared.String(),
		CmdGive + " " + ctx.Shared.String(),
		CmdPeer + " [::1]:8100",
		wordRaw + " " + ctx.Order.exampleRaw(),
	}
}
