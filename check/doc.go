// Package check is a conformance suite for BitClone peers: it connects to
// a peer as a raw client, sends exact bytes (broken ones included), and
// judges the answers against specs/bitclone.md and BITCLONE-NOTES.md.
//
// Every probe opens its own connection, so a peer that crashes fails only
// the probes after the crash. After each probe a fresh connection and a
// version tell whether the peer is still up; once it is not, the rest are
// skipped and the report says during which probe it died. Every wait is
// bounded by Options.Timeout, so a peer that never answers fails a probe,
// it never hangs the suite.
package check
