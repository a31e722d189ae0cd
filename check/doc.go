// Package check is a conformance suite for BitClone peers: it connects to
// a peer as a raw client, sends exact bytes (broken ones included), and
// judges the answers against specs/bitclone.md and BITCLONE-NOTES.md.
//
// Every probe opens its own connection (the timed checks share one), so a
// peer that crashes fails only the probes after the crash. After each probe
// a fresh connection and a version tell whether the peer is still up; once
// it is not, the rest are skipped and the report says during which probe it
// died. Every check needs the peer's greeting, so once a handshake fails
// the rest are not run, and the one cause is stated where it was found.
// Every wait is bounded by Options.Timeout, so a peer that never answers
// fails a probe, it never hangs the suite.
//
// A run claims one address of ours: it listens there while it lasts, and
// every version it sends names it as the sender. The peer learns (and
// gossips) that address only, and whoever dials it gets a handshake.
package check
