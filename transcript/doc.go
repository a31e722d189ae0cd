// Package transcript records a node's traffic as JSON lines (what --record
// writes) and reads such files back for replay.
//
// One JSON object per line, one line per connection event:
//
//	{"time":"2026-11-21T21:30:01.123456789Z","kind":"send","peer":"127.0.0.1:8082","conn":3,"dir":"out","raw":"cGluZ3w0Mg0K","text":"ping|42"}
//
//	time    when it happened, RFC 3339 in UTC with nanoseconds
//	kind    "connected", "recv" (bytes from the peer), "send" (bytes to the peer) or "closed"
//	peer    the remote address of the connection
//	conn    the connection's number, unique within one run of the node
//	dir     "in" or "out": who opened the connection (not which way the bytes went)
//	raw     recv and send: the exact wire bytes, line ending included, base64
//	text    recv and send: the frame in the dialect's words (a text dialect's line
//	        without its ending), escaped as codec.Printable
//	reason  closed: why the connection ended
//	dialect connected: the protocol ("bitclone", "nibble"); absent in older files, which are BitClone
//
// The fields are written in this order, that of headless --json events;
// a reader takes them in any order. raw is the truth; text is for people
// reading the file with grep or jq.
// A recv with no line ending in raw is what a peer sent before hanging up
// mid-line.
package transcript
