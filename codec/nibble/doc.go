// Package nibble is the NibbleTorrent dialect (specs/nibbletorrent.md): the
// binary frames peers exchange, their human form for the command line and
// the log, and the JSON .ntorrent file. It is pure: bytes to frames to
// words, no goroutines, no I/O state beyond the Reader.
//
// A frame is a 4-byte header and its data:
//
//	version (1 byte, always 0x01) | type (1 byte) | length (2 bytes, big-endian) | data
//
// The types are hello request (data: the 20-byte torrent id), hello
// response (the bitfield: ceil(pieces/8) bytes, high bit first, spare bits
// zero), piece request (the index, big-endian, in as many bytes as the
// length says), piece response (the piece) and error (ASCII text).
//
// Sending is exact: the builders write one contiguous buffer per frame
// (some student peers read a frame with one recv()) and a piece index in
// the fewest bytes. Reading is lenient where DIALECTS.md says real peers
// differ: an index of 1 to 4 bytes, or none (index 0); the bitfield through
// codec/bitfield's Lenient. Strict readings (Validate, HelloBitfield) say
// what departs from the spec, for bitclone check and the command line.
//
// The human form, shared by the command line and the log:
//
//	hello                    a hello request for the torrent in the Context
//	hello ID                 (or hello-request ID) ID is 40 hex digits
//	hello-response BITS      one 0 or 1 per piece, piece 0 first; spaces allowed
//	piece N                  (or piece-request N) N is decimal, sent in the fewest bytes
//	piece-request N (W bytes) an index sent in W bytes (0 to 4), as a peer may
//	piece-response HEX       the piece data in hex; spaces allowed
//	error TEXT               the rest of the line, as is
//	raw HEX                  any bytes at all, header included: raw 01 03 00 01 29
//
// Describe shows a frame in these words; Parse reads them back to the same
// bytes, except for a piece response, which the log shows as a summary
// ("piece-response 41 (4096 bytes)"), and error text with control bytes,
// which the log escapes. A frame that is off the spec in a way the words
// cannot say (another version, an unknown type, a length that disagrees
// with the data, a hello with a wrong-sized id, a 5-byte index) is shown
// as raw hex. Peer text is escaped with codec.Printable before display.
package nibble
