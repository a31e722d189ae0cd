// Package nibble is bitclone check's suite for NibbleTorrent peers
// (specs/nibbletorrent.md, DIALECTS.md): probes that connect as a raw
// client with our torrent, send exact frames (broken ones included), and
// judge the answers: the hello and its bitfield, piece requests with
// indexes of every width, out-of-range and malformed frames, the pieces
// the peer claims (fetched and hashed), frames split across segments and
// several in one, five connections at once. The run, the report and its
// root causes are package check's: every probe needs a hello answered, so
// once our hello fails the rest are not run.
package nibble
