package bittorrent

import "encoding/binary"

// The command names: the first word of a frame in the log, the words a
// user types, and the keys of the per-command statistics. CmdUnknown
// stands for every frame that is none of these: a message of an unknown
// id, or one whose length prefix disagrees with its bytes.
const (
	CmdHandshake     = "handshake"
	CmdKeepAlive     = "keepalive"
	CmdChoke         = "choke"
	CmdUnchoke       = "unchoke"
	CmdInterested    = "interested"
	CmdNotInterested = "not-interested"
	CmdHave          = "have"
	CmdBitfield      = "bitfield"
	CmdRequest       = "request"
	CmdPiece         = "piece"
	CmdCancel        = "cancel"
	CmdPort          = "port"
	CmdUnknown       = "unknown"
)

// Command is the command name of the id, or CmdUnknown.
func (id ID) Command() string {
	switch id {
	case IDChoke:
		return CmdChoke
	case IDUnchoke:
		return CmdUnchoke
	case IDInterested:
		return CmdInterested
	case IDNotInterested:
		return CmdNotInterested
	case IDHave:
		return CmdHave
	case IDBitfield:
		return CmdBitfield
	case IDRequest:
		return CmdRequest
	case IDPiece:
		return CmdPiece
	case IDCancel:
		return CmdCancel
	case IDPort:
		return CmdPort
	}
	return CmdUnknown
}

// extensionIDs name the ids of extensions bitclone does not implement, as
// real clients send them once both sides set the reserved bit: shown, then
// skipped.
var extensionIDs = map[ID]string{
	0x0d: "suggest piece, fast extension",
	0x0e: "have all, fast extension",
	0x0f: "have none, fast extension",
	0x10: "reject request, fast extension",
	0x11: "allowed fast, fast extension",
	0x14: "extended, extension protocol",
	0x15: "hash request, BitTorrent v2",
	0x16: "hashes, BitTorrent v2",
	0x17: "hash reject, BitTorrent v2",
}

// CommandName names a frame's command for statistics: one of the Cmd
// constants, never peer-chosen text. A handshake is CmdHandshake only if
// it is one of this protocol (IsHandshake); a message is named by its id
// once its length prefix matches its bytes.
func CommandName(frame []byte) string {
	if IsHandshake(frame) {
		return CmdHandshake
	}
	if len(frame) < LengthSize || uint64(binary.BigEndian.Uint32(frame)) != uint64(len(frame)-LengthSize) {
		return CmdUnknown
	}
	if len(frame) == LengthSize {
		return CmdKeepAlive
	}
	return ID(frame[LengthSize]).Command()
}

// Commands are the command names of the frames, in the spec's order (for
// tables that list them).
var Commands = []string{CmdHandshake, CmdKeepAlive, CmdChoke, CmdUnchoke, CmdInterested, CmdNotInterested,
	CmdHave, CmdBitfield, CmdRequest, CmdPiece, CmdCancel, CmdPort}

// Class groups commands for colour, in the order and with the meaning of
// peer.Class (the dialect value converts it: peer.Class(bittorrent.ClassOf(c))).
type Class uint8

// The classes BitTorrent uses; the values match peer.Class.
const (
	ClassUnknown   Class = 0 // not a message of the spec: the peer deviates (or speaks an extension)
	ClassHandshake Class = 1 // the handshake and the bitfield after it
	ClassKeepalive Class = 2 // keep-alive, choke and interest state, port
	ClassData      Class = 3 // have, request, piece, cancel
)

// ClassOf is the colour class of a command name (CommandName's).
func ClassOf(command string) Class {
	switch command {
	case CmdHandshake, CmdBitfield:
		return ClassHandshake
	case CmdKeepAlive, CmdChoke, CmdUnchoke, CmdInterested, CmdNotInterested, CmdPort:
		return ClassKeepalive
	case CmdHave, CmdRequest, CmdPiece, CmdCancel:
		return ClassData
	}
	return ClassUnknown
}
