// Package toy is the msgpack toy node dialect (specs/toy-msgpack-node.md):
// UDP datagrams, each one msgpack map with string keys. It is pure: bytes
// to messages to words, no goroutines, no I/O state. A frame is a whole
// datagram; reading datagrams is the transport's job.
//
// Every datagram has msgtype and msgid (an integer); a reply also has
// replyto, the msgid it answers. The messages:
//
//	getpeerlist                     peerlist     peers: [[host, port], ...]
//	search       filename, ttl      searchresult atpeer: [host, port], filename
//	getfile      filename, chunk    filecontents filecontents (base64 text), chunk, chunks, size
//	ping                            pong
//
// The article's examples are not valid msgpack as written: peers and
// atpeer are [host, port] arrays here. What bitclone adds stays compatible
// with the article's node, which ignores keys it does not read: ttl on a
// search (default DefaultTTL; an absent ttl reads as 1, so an old node's
// search is not passed on) and chunk, chunks and size on getfile and
// filecontents (a node that does not know them asks for no chunk and gets
// the first).
//
// Decoding is bounded (MaxDatagram, MaxMapKeys, MaxString, MaxPeers,
// MaxDepth), tolerates keys it does not know, and names the key whose
// value has the wrong type. A msgtype it does not know decodes as Unknown
// with the whole map kept, for the log.
//
// The human form, shared by the command line and the log, is a relaxed
// map: {msgtype: search, msgid: 7, filename: cool.txt} with unquoted keys
// and values (quotes allowed, for text with spaces or digits), integers as
// numbers and [host, port] arrays; and the shortcuts ping, getpeerlist,
// search NAME, getfile NAME and raw HEX.
package toy
