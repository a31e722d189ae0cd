package nibble

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/human"
)

// The words a user types; the long forms are what Describe writes.
const (
	wordHello         = "hello"
	wordPiece         = "piece"
	wordPieceResponse = CmdPieceResponse
	wordRaw           = human.WordRaw
)

// maxRawShown is how many bytes of a frame Describe writes as raw hex; a
// longer malformed frame is shown as its start and its size.
const maxRawShown = human.MaxRawShown

// Context is what Parse and Describe know beyond the bytes. The zero value
// knows nothing.
type Context struct {
	// Torrent is the torrent a bare "hello" asks for (zero: none).
	Torrent TorrentID
	// Pieces is the torrent's number of pieces: Describe shows a hello
	// response that fits it in that many bits, and Validate judges one
	// against it (0: unknown).
	Pieces int
	// Index, when HasIndex, is the piece a piece response answers (it is
	// not on the wire).
	Index    uint32
	HasIndex bool
}

// InputError says what is wrong with a typed line, in words for the
// command line: "piece: index: not a number".
type InputError = human.InputError

// Parse turns a typed line (the human form, see the package comment) into
// one frame's wire bytes, in one buffer. ctx gives the torrent of a bare
// "hello". Errors are *InputError.
func Parse(line string, ctx Context) ([]byte, error) {
	word, rest, _ := strings.Cut(strings.TrimLeft(line, " "), " ")
	fail := func(format string, a ...any) ([]byte, error) {
		return nil, &InputError{Word: codec.PrintableString(word), Reason: fmt.Sprintf(format, a...)}
	}
	switch word {
	case "":
		return nil, &InputError{Reason: "empty line: type " + strings.Join(Words, ", ")}
	case wordHello, CmdHelloRequest:
		arg := strings.TrimSpace(rest)
		if arg == "" {
			if ctx.Torrent.IsZero() {
				return fail("no torrent: type hello ID (40 hex digits)")
			}
			return HelloRequest(ctx.Torrent), nil
		}
		id, err := ParseTorrentID(arg)
		if err != nil {
			return fail("torrent id: %v", err)
		}
		return HelloRequest(id), nil
	case CmdHelloResponse:
		bits := strings.ReplaceAll(rest, " ", "")
		f := bitfield.New(len(bits))
		for i, c := range []byte(bits) {
			switch c {
			case '1':
				f.Set(i)
			case '0':
			default:
				return fail("bitfield: want one 0 or 1 per piece, piece 0 first: %q at %d", codec.PrintableString(string(c)), i+1)
			}
		}
		b, err := HelloResponse(f)
		if err != nil {
			return fail("bitfield: more than %d pieces", MaxPieces)
		}
		return b, nil
	case wordPiece, CmdPieceRequest:
		index, width, err := parseIndex(strings.TrimSpace(rest))
		if err != nil {
			return fail("%v", err)
		}
		return PieceRequestWidth(index, width), nil
	case wordPieceResponse:
		data, err := parseHex(rest)
		if err != nil {
			return fail("data: %v", err)
		}
		b, err := PieceResponse(data)
		if err != nil {
			return fail("data: more than %d bytes", MaxData)
		}
		return b, nil
	case CmdError:
		if len(rest) > MaxData {
			return fail("text: more than %d bytes", MaxData)
		}
		return ErrorFrame(rest), nil
	case wordRaw:
		b, err := parseHex(rest)
		if err != nil {
			return fail("%v", err)
		}
		if len(b) == 0 {
			return fail("no bytes: type raw and hex, e.g. raw 01 03 00 01 29")
		}
		return b, nil
	}
	return fail("unknown command: type %s", strings.Join(Words, ", "))
}

// parseIndex reads "41" or "41 (2 bytes)": an index and the bytes it is
// sent in (the fewest, unless given).
func parseIndex(s string) (index uint32, width int, err error) {
	num, paren, hasWidth := strings.Cut(s, " ")
	if num == "" {
		return 0, 0, errors.New("index: missing: type piece N")
	}
	v, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, 0, errors.New("index: want a decimal number below 2^32")
	}
	index, width = uint32(v), IndexWidth(uint32(v))
	if !hasWidth {
		return index, width, nil
	}
	inner, ok := strings.CutPrefix(strings.TrimSpace(paren), "(")
	if inner, ok = strings.CutSuffix(inner, " bytes)"); !ok {
		inner, ok = strings.CutSuffix(inner, " byte)")
	}
	w, err := strconv.Atoi(inner)
	if !ok || err != nil || w < 0 || w > MaxIndexBytes {
		return 0, 0, errors.New("index width: want (N bytes), N from 0 to 4")
	}
	if w < IndexWidth(index) && !(w == 0 && index == 0) {
		return 0, 0, fmt.Errorf("index width: %d does not fit in %d bytes", index, w)
	}
	return index, w, nil
}

// parseHex reads hex digits, spaces allowed anywhere between bytes.
func parseHex(s string) ([]byte, error) { return human.ParseHex(s, "01 03 00 01 29") }

// Describe shows one frame in words, as the log does; ctx may give the
// torrent's number of pieces and the index a piece response answers. Parse
// reads the words back to the same bytes, except for a piece response,
// which is shown as "piece-response 41 (4096 bytes)", and control bytes in
// error text, which are escaped. A frame the words cannot say is raw hex.
// Peer text comes out escaped: safe for a terminal.
func Describe(frame []byte, ctx Context) string {
	f, err := Decode(frame)
	if err != nil {
		return human.DescribeRaw(frame, "")
	}
	switch f.Type {
	case TypeHelloRequest:
		id, err := HelloID(f.Data)
		if err != nil {
			break
		}
		return CmdHelloRequest + " " + id.String()
	case TypeHelloResponse:
		bits := len(f.Data) * 8
		if _, err := HelloBitfield(f.Data, ctx.Pieces); err == nil && ctx.Pieces > 0 {
			bits = ctx.Pieces
		}
		return human.JoinWords(CmdHelloResponse, bitfield.Lenient(f.Data, bits).String())
	case TypePieceRequest:
		index, err := PieceIndex(f.Data)
		if err != nil {
			break
		}
		s := CmdPieceRequest + " " + strconv.FormatUint(uint64(index), 10)
		if len(f.Data) != IndexWidth(index) {
			s += " (" + strconv.Itoa(len(f.Data)) + " bytes)"
		}
		return s
	case TypePieceResponse:
		s := CmdPieceResponse + " "
		if ctx.HasIndex {
			s += strconv.FormatUint(uint64(ctx.Index), 10) + " "
		}
		return s + "(" + strconv.Itoa(len(f.Data)) + " bytes)"
	case TypeError:
		return human.JoinWords(CmdError, codec.Printable(f.Data))
	}
	return human.DescribeRaw(frame, "")
}

// CommandName names a frame's command for statistics: one of the Cmd
// constants, never peer-chosen text. A frame of another version, of an
// unknown type, or with a broken header is CmdUnknown.
func CommandName(frame []byte) string {
	if len(frame) < HeaderSize || frame[0] != ProtocolVersion {
		return CmdUnknown
	}
	return Type(frame[1]).Command()
}

// Text is Describe without context, as bytes: the log line of a frame.
func Text(frame []byte) []byte { return []byte(Describe(frame, Context{})) }

// Words are the command words a user types, in the order help lists them.
var Words = []string{wordHello, CmdHelloResponse, wordPiece, CmdPieceResponse, CmdError, wordRaw}

// Commands are the command names of the five frame types, in the spec's
// order (for tables that list them).
var Commands = []string{CmdHelloRequest, CmdHelloResponse, CmdPieceRequest, CmdPieceResponse, CmdError}

// Hint is what an empty command line suggests typing.
const Hint = "hello, piece 41, error TEXT or raw 01 03 00 01 29"

// Class groups commands for colour, in the order and with the meaning of
// peer.Class (the dialect value converts it: peer.Class(nibble.ClassOf(c))).
type Class uint8

// The classes NibbleTorrent uses; the values match peer.Class.
const (
	ClassUnknown   Class = 0 // not one of the five: the peer deviates
	ClassHandshake Class = 1 // hello request and response
	ClassData      Class = 3 // piece request and response
	ClassError     Class = 4 // the error frame
)

// ClassOf is the colour class of a command name (CommandName's).
func ClassOf(command string) Class {
	switch command {
	case CmdHelloRequest, CmdHelloResponse:
		return ClassHandshake
	case CmdPieceRequest, CmdPieceResponse:
		return ClassData
	case CmdError:
		return ClassError
	}
	return ClassUnknown
}

// Complete is what Tab offers for the start of a typed line: the
// templates whose command word starts with word; none once the line has
// arguments.
func Complete(word string, ctx Context) []string { return human.Complete(word, Templates(ctx)) }

// Templates are whole lines for completing a command word: valid frames
// for the torrent in ctx (its id, every piece claimed) or placeholders
// where ctx does not know.
func Templates(ctx Context) []string {
	hello := wordHello + " " + strings.Repeat("0", 2*IDSize)
	if !ctx.Torrent.IsZero() {
		hello = wordHello
	}
	return []string{
		hello,
		CmdHelloResponse + " " + bitfield.Full(max(ctx.Pieces, 1)).String(),
		wordPiece + " 0",
		CmdPieceResponse + " 00",
		CmdError + " Piece index out of range",
		wordRaw + " 01 03 00 01 00",
	}
}
