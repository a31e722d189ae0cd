// Package pex is the PEX bootstrap dialect (specs/pex-bootstrap.md, the
// course's p2p-networking node): the three messages nodes exchange over
// TCP and their human form for the command line and the log. It is pure:
// bytes to messages to words, no goroutines, no I/O state beyond the
// Reader.
//
// Every message is a uint32 size prefix counting the bytes after it (the
// type byte included), then:
//
//	ask   type 0, the piece's SHA-256 (32 bytes)              size 33
//	give  type 1, the SHA-256, the piece                      size 33 + piece size
//	peer  type 2, n × (in6_addr: 16 bytes, port: 16 bits)     size 1 + 18n
//
// The course's node writes its packed structs in host order: the size
// prefix and the port are little-endian on every classroom machine, and
// its piece is (1024*1024)/8 = 131072 bytes (the document's "1 Mib" is a
// mebibit). Both are Options, passed to NewReader, the encoders, Decode
// and the human form; the zero value is the course's node. IPv4 peers are
// written IPv4-mapped (::ffff:a.b.c.d) and read back unmapped.
//
// Limits are named: a size prefix over Options.MaxBody (a give's, 33 +
// the piece size) ends the stream before the body is read or a buffer
// allocated for it; a peer list carries at most Options.MaxPeers peers
// (it fits the same bound); a peer list whose size is not 1 + 18n, an ask
// of another size and a give longer than a piece are malformed (Decode
// says which; the Reader stays in step). A give shorter than a piece is
// read (the hash still judges it: CheckGive) but Judge calls it Lenient,
// as the course's node asserts full-size messages.
//
// Types of 3 or more: the course's node reads any type ≥ 2 as a peer list.
// bitclone does not: such a message is delimited by its size prefix, shown
// as raw hex with its type, counted as CmdUnknown and skipped. Reading it
// as peers would take addresses from a message that does not claim to be
// a peer list, and nothing in the spec sends one.
//
// The human form, shared by the command line and the log:
//
//	ask SHA256                   64 hex digits
//	give SHA256                  the piece we share under that hash (Context.Piece)
//	give SHA256 HEX              any bytes as the piece: to test a peer with a corrupt one
//	peer [::1]:8100 127.0.0.1:8101 ...   zero or more peers
//	raw HEX                      any bytes at all, size prefix included: raw 01 00 00 00 02
//
// Describe shows a message in these words, in full; Parse reads them back
// to the same bytes, except for a give's piece, shown as its size ("give
// SHA256 (131072 bytes)"). The log line (Summary, Framing's Text) cuts a
// hash to 8 hex digits ("ask 3fa2c1d4…") and a peer list to 8 peers. A
// message the words cannot say is raw hex with a note.
package pex
