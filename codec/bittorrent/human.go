package bittorrent

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bitfield"
	"github.com/bitclone/bitclone/codec/human"
)

// The words a user types beyond the command names.
const (
	wordRaw       = human.WordRaw
	wordReserved  = "reserved"
	wordKeepAlive = "keep-alive" // the spec's spelling, also read
)

// Bounds on what Describe writes, so a log line stays one screen line or so.
const (
	maxRawShown      = human.MaxRawShown // bytes of a frame shown as raw hex
	maxBitfieldShown = 32                // bytes of a bitfield shown as hex
)

// Context is what Parse and Describe know beyond the bytes. The zero value
// knows nothing.
type Context struct {
	// InfoHash, PeerID and Reserved are ours: what a bare "handshake"
	// sends. Validate also judges a handshake's info_hash against InfoHash.
	InfoHash InfoHash
	PeerID   PeerID
	Reserved Reserved
	// Pieces, PieceLength and Length are the torrent's piece count, piece
	// size and total size in bytes (0: unknown): Describe counts a
	// bitfield's pieces with them, Validate judges indexes and offsets.
	Pieces      int
	PieceLength int64
	Length      int64
	// ReadFile reads the local file a "piece I B @FILE" names, returning an
	// error if it holds more than limit bytes (nil: @FILE is refused). It
	// is the only I/O Parse does, and it is the caller's.
	ReadFile func(name string, limit int) ([]byte, error)
}

// InputError says what is wrong with a typed line, in words for the
// command line: "have: index: want a decimal number below 2^32".
type InputError = human.InputError

// Parse turns a typed line (the human form, see the package comment) into
// one frame's wire bytes, in one buffer. ctx gives the handshake of a bare
// "handshake" and reads @FILE. It writes what the line says even where the
// spec frowns (a request for 1 MiB): Validate judges. Errors are
// *InputError, safe to print.
func Parse(line string, ctx Context) ([]byte, error) {
	word, rest, _ := strings.Cut(strings.TrimLeft(line, " "), " ")
	fail := func(format string, a ...any) ([]byte, error) {
		return nil, &InputError{Word: codec.PrintableString(word), Reason: codec.PrintableString(fmt.Sprintf(format, a...))}
	}
	args := strings.Fields(rest)
	noArgs := func(b []byte) ([]byte, error) {
		if len(args) > 0 {
			return fail("takes no arguments")
		}
		return b, nil
	}
	switch word {
	case "":
		return nil, &InputError{Reason: "empty line: type " + strings.Join(Words, ", ")}
	case CmdHandshake:
		h, err := parseHandshake(args, ctx)
		if err != nil {
			return fail("%v", err)
		}
		return h.Bytes(), nil
	case CmdKeepAlive, wordKeepAlive:
		return noArgs(AppendKeepAlive(nil))
	case CmdChoke:
		return noArgs(AppendSimple(nil, IDChoke))
	case CmdUnchoke:
		return noArgs(AppendSimple(nil, IDUnchoke))
	case CmdInterested:
		return noArgs(AppendSimple(nil, IDInterested))
	case CmdNotInterested:
		return noArgs(AppendSimple(nil, IDNotInterested))
	case CmdHave:
		n, err := parseNumbers(args, "index")
		if err != nil {
			return fail("%v", err)
		}
		return AppendHave(nil, n[0]), nil
	case CmdBitfield:
		b, err := parseHex(withoutComment(rest))
		if err != nil {
			return fail("%v", err)
		}
		if len(b) > MaxPieces/8 {
			return fail("more than %d bytes (%d pieces)", MaxPieces/8, MaxPieces)
		}
		return appendPayload(nil, IDBitfield, b), nil
	case CmdRequest, CmdCancel:
		n, err := parseNumbers(args, "index", "begin", "length")
		if err != nil {
			return fail("%v", err)
		}
		id := IDRequest
		if word == CmdCancel {
			id = IDCancel
		}
		return appendRequest(nil, id, n[0], n[1], n[2]), nil
	case CmdPiece:
		return parsePiece(rest, ctx, fail)
	case CmdPort:
		if len(args) != 1 {
			return fail("want one port number")
		}
		p, err := strconv.ParseUint(args[0], 10, 16)
		if err != nil {
			return fail("want a port number below 65536")
		}
		return AppendPort(nil, uint16(p)), nil
	case wordRaw:
		b, err := parseHex(withoutComment(rest))
		if err != nil {
			return fail("%v", err)
		}
		if len(b) == 0 {
			return fail("no bytes: type raw and hex, e.g. raw 00 00 00 01 02")
		}
		return b, nil
	}
	return fail("unknown command: type %s", strings.Join(Words, ", "))
}

// parseHandshake reads "", "INFO_HASH", "INFO_HASH PEER_ID" and
// "INFO_HASH PEER_ID reserved HEX [(names)]".
func parseHandshake(args []string, ctx Context) (Handshake, error) {
	h := Handshake{InfoHash: ctx.InfoHash, PeerID: ctx.PeerID, Reserved: ctx.Reserved}
	if len(args) == 0 {
		if ctx.InfoHash.IsZero() {
			return h, errors.New("no torrent: type handshake INFO_HASH (40 hex digits) [PEER_ID]")
		}
		return h, nil
	}
	var err error
	if h.InfoHash, err = ParseInfoHash(args[0]); err != nil {
		return h, fmt.Errorf("info_hash: %v", err)
	}
	if len(args) == 1 {
		return h, nil
	}
	if h.PeerID, err = ParsePeerID(args[1]); err != nil {
		return h, fmt.Errorf("peer_id: %v", err)
	}
	h.Reserved = Reserved{}
	switch {
	case len(args) == 2:
		return h, nil
	case args[2] != wordReserved || len(args) < 4 || len(args) > 4 && !strings.HasPrefix(args[4], "("):
		return h, errors.New("after the peer_id: reserved and 16 hex digits")
	}
	if len(args[3]) != 2*ReservedSize || !human.IsHex(args[3]) {
		return h, errors.New("reserved: want 16 hex digits")
	}
	hex.Decode(h.Reserved[:], []byte(args[3]))
	return h, nil
}

// parsePiece reads "INDEX BEGIN HEX" or "INDEX BEGIN @FILE".
func parsePiece(rest string, ctx Context, fail func(string, ...any) ([]byte, error)) ([]byte, error) {
	rest = strings.TrimSpace(rest)
	var nums []string
	for range 2 {
		var num string
		num, rest, _ = strings.Cut(rest, " ")
		nums = append(nums, num)
		rest = strings.TrimSpace(rest)
	}
	n, err := parseNumbers(nums, "index", "begin")
	if err != nil {
		return fail("%v", err)
	}
	var block []byte
	switch name, isFile := strings.CutPrefix(rest, "@"); {
	case rest == "":
		return fail("block: missing: type hex bytes or @FILE")
	case isFile && ctx.ReadFile == nil:
		return fail("block: @FILE is not available here")
	case isFile:
		if block, err = ctx.ReadFile(name, MaxBlock); err != nil {
			return fail("block: %v", err)
		}
	default:
		if block, err = parseHex(rest); err != nil {
			return fail("block: %v", err)
		}
	}
	if len(block) > MaxBlock {
		return fail("block: more than %d bytes", MaxBlock)
	}
	return AppendPiece(nil, n[0], n[1], block), nil
}

// parseNumbers reads one decimal uint32 per name.
func parseNumbers(args []string, names ...string) ([]uint32, error) {
	if len(args) > len(names) {
		return nil, fmt.Errorf("too many numbers: want %s", strings.Join(names, " "))
	}
	out := make([]uint32, len(names))
	for i, name := range names {
		if i >= len(args) || args[i] == "" {
			return nil, fmt.Errorf("%s: missing: want %s", name, strings.Join(names, " "))
		}
		v, err := strconv.ParseUint(args[i], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: want a decimal number below 2^32", name)
		}
		out[i] = uint32(v)
	}
	return out, nil
}

// withoutComment is s up to a "(": Describe's notes after the bytes.
func withoutComment(s string) string {
	s, _, _ = strings.Cut(s, "(")
	return s
}

// parseHex reads hex digits, spaces allowed between bytes.
func parseHex(s string) ([]byte, error) { return human.ParseHex(s, "00 00 00 01 02") }

// Describe shows one frame in words, as the log does; ctx may give the
// torrent's size. Parse reads the words back to the same bytes, except for
// a piece, shown as "piece 0 16384 (16384 bytes)", and for what is cut to
// keep a line short (a bitfield over 32 bytes, raw bytes over 64). A frame
// the words cannot say (a wrong size for its id, a length prefix that
// disagrees) is raw hex; an unknown id is raw hex with its name, if it has
// one. The words are safe for a terminal.
func Describe(frame []byte, ctx Context) string {
	if IsHandshake(frame) {
		h, _ := ParseHandshake(frame)
		s := CmdHandshake + " " + h.InfoHash.String() + " " + h.PeerID.String()
		if !h.Reserved.IsZero() {
			s += " " + wordReserved + " " + hex.EncodeToString(h.Reserved[:]) + " (" + strings.Join(h.Reserved.Extensions(), ", ") + ")"
		}
		return s
	}
	m, err := Decode(frame)
	if err != nil && !errors.Is(err, ErrRequestTooLong) && !errors.Is(err, ErrRequestEmpty) {
		return human.DescribeRaw(frame, "")
	}
	if m.KeepAlive {
		return CmdKeepAlive
	}
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	switch m.ID {
	case IDChoke, IDUnchoke, IDInterested, IDNotInterested:
		return m.ID.Command()
	case IDHave:
		return CmdHave + " " + u(m.Index)
	case IDBitfield:
		return describeBitfield(m.Payload, ctx)
	case IDRequest, IDCancel:
		return m.ID.Command() + " " + u(m.Index) + " " + u(m.Begin) + " " + u(m.Length)
	case IDPiece:
		return CmdPiece + " " + u(m.Index) + " " + u(m.Begin) + " (" + strconv.Itoa(len(m.Payload)) + " bytes)"
	case IDPort:
		return CmdPort + " " + strconv.Itoa(int(m.Port))
	}
	note := "id " + strconv.Itoa(int(m.ID))
	if name, ok := extensionIDs[m.ID]; ok {
		note += ", " + name
	}
	return human.DescribeRaw(frame, note+": not in the spec, skipped")
}

// describeBitfield is the bitfield in hex, cut after maxBitfieldShown
// bytes, and what it holds: for ctx's pieces if it fits them.
func describeBitfield(p []byte, ctx Context) string {
	shown := hex.EncodeToString(p[:min(len(p), maxBitfieldShown)])
	if len(p) > maxBitfieldShown {
		shown += "…"
	} else if len(p) > 0 {
		shown += " "
	}
	set := bitfield.Lenient(p, 8*len(p)).Count()
	note := fmt.Sprintf("%d bits, %d set", 8*len(p), set)
	if ctx.Pieces > 0 {
		if _, err := bitfield.Parse(p, ctx.Pieces); err != nil {
			note += fmt.Sprintf(": not a bitfield of %d pieces", ctx.Pieces)
		} else {
			note = fmt.Sprintf("%d pieces, %d have", ctx.Pieces, set)
		}
	}
	return CmdBitfield + " " + shown + "(" + note + ")"
}

// Text is Describe without context, as bytes: the log line of a frame.
func Text(frame []byte) []byte { return []byte(Describe(frame, Context{})) }

// Words are the command words a user types, in the order help lists them.
var Words = []string{CmdHandshake, CmdKeepAlive, CmdChoke, CmdUnchoke, CmdInterested, CmdNotInterested,
	CmdHave, CmdBitfield, CmdRequest, CmdPiece, CmdCancel, CmdPort, wordRaw}

// Hint is what an empty command line suggests typing.
const Hint = "handshake, interested, request 0 0 16384, have 3 or raw 00 00 00 00"

// Complete is what Tab offers for the start of a typed line: the
// templates whose command word starts with word; none once the line has
// arguments.
func Complete(word string, ctx Context) []string { return human.Complete(word, Templates(ctx)) }

// Templates are whole lines for completing a command word: valid messages
// for the torrent in ctx (our handshake, every piece claimed, the first
// block) or placeholders where ctx does not know.
func Templates(ctx Context) []string {
	hs := CmdHandshake
	if ctx.InfoHash.IsZero() {
		hs += " " + strings.Repeat("0", 2*HashSize) + " " + strings.Repeat("0", 2*PeerIDSize)
	}
	block := int64(BlockSize)
	if size, ok := ctx.pieceSize(0); ok {
		block = min(block, size)
	}
	req := " 0 0 " + strconv.FormatInt(block, 10)
	return []string{
		hs,
		CmdKeepAlive,
		CmdChoke,
		CmdUnchoke,
		CmdInterested,
		CmdNotInterested,
		CmdHave + " 0",
		CmdBitfield + " " + hex.EncodeToString(bitfield.Full(max(ctx.Pieces, 1)).Bytes()),
		CmdRequest + req,
		CmdPiece + " 0 0 00",
		CmdCancel + req,
		CmdPort + " 6881",
		wordRaw + " 00 00 00 00",
	}
}

// pieceSize is the size of piece i, when ctx knows the torrent's sizes;
// ok is false when it does not (or i is past the end).
func (ctx Context) pieceSize(i uint32) (size int64, ok bool) {
	if ctx.PieceLength <= 0 || ctx.Length <= 0 {
		return 0, false
	}
	start := int64(i) * ctx.PieceLength
	if start >= ctx.Length {
		return 0, false
	}
	return min(ctx.PieceLength, ctx.Length-start), true
}
