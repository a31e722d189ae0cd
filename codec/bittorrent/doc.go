// Package bittorrent is the BitTorrent peer wire dialect
// (specs/bittorrent-peer-wire.md): the handshake and the length-prefixed
// messages peers exchange, and their human form for the command line and
// the log. It is pure: bytes to messages to words, no goroutines, no I/O
// state beyond the Reader.
//
// A stream is a handshake and then messages:
//
//	handshake: <pstrlen=19><pstr="BitTorrent protocol"><reserved: 8><info_hash: 20><peer_id: 20>
//	message:   <length: 4 bytes, big-endian><id: 1 byte><payload>   (length 0: a keep-alive)
//
// The Reader returns the handshake as the first frame, then one frame per
// message (see Reader for why the handshake is a frame). Limits are named
// constants: a length over MaxMessageLength (a MaxBlock block and its
// header) ends the stream before it is buffered, and Decode refuses a
// request of more than MaxBlock bytes and fixed-size messages of the wrong
// size; ParseBitfield refuses a bitfield of the wrong length or with spare
// bits set. Each of these means the peer drops the connection, as the spec
// says. A message of an unknown id (the extensions real clients speak) is
// delimited, shown and skipped, never fatal; reserved bits are accepted and
// named (Reserved.Extensions).
//
// The human form, shared by the command line and the log:
//
//	handshake                         ours: the info_hash, peer_id and reserved bytes of the Context
//	handshake INFO_HASH [PEER_ID]     40 hex digits; the peer_id as 40 hex digits or 20 bytes of
//	                                  text with \xNN for any byte (the Context's if left out)
//	handshake IH PID reserved HEX     with reserved bytes (16 hex digits); Describe adds their names
//	keepalive                         (or keep-alive)
//	choke, unchoke, interested, not-interested
//	have INDEX
//	bitfield HEX                      the payload, e.g. bitfield ff80; spaces allowed
//	request INDEX BEGIN LENGTH        e.g. request 0 0 16384
//	cancel INDEX BEGIN LENGTH
//	piece INDEX BEGIN HEX|@FILE       the block in hex, or a local file's bytes (Context.ReadFile)
//	port N                            the DHT port message (BEP 5)
//	raw HEX                           any bytes at all, length prefix included: raw 00 00 00 01 02
//
// Numbers are decimal. Describe shows a frame in these words; Parse reads
// them back to the same bytes (notes in parentheses are skipped), except
// for a piece, which the log shows as "piece 0 16384 (16384 bytes)", and
// what is cut to keep a line short: a bitfield is shown as at most 32
// bytes of hex and a count, "bitfield ffff…(100 pieces, 37 have)", raw
// bytes as at most 64. A frame the words cannot say is raw hex. Peer
// bytes come out escaped: peer_ids as text with \xNN for binary bytes.
package bittorrent
