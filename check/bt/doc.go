// Package bt is bitclone check's suite for BitTorrent peers
// (specs/bittorrent-peer-wire.md, DIALECTS.md): probes that connect as a
// raw client for our torrent, send exact messages (broken ones included)
// and judge the answers: the handshake echo, a handshake for another
// torrent, the bitfield's length and spare bits, requests while choked and
// unchoked, requests past the end of a piece, of the file and over 128 KiB,
// blocks of the pieces the peer claims (assembled and hashed), keep-alive,
// and messages split across segments or packed into one. The run, the
// report and its root causes are package check's: every probe needs the
// peer's handshake, so once ours is not answered the rest are not run.
package bt
