// Package check is the dialect-neutral half of bitclone check: it runs a
// dialect's probes against a peer and makes the report card. Each probe
// opens its own connection(s) and sends exact bytes (broken ones
// included); a dialect (check/bitclone, ...) brings the probes, its
// framing, its greeting and how it answers a peer that dials us.
//
// What is neutral, and so the same for every dialect:
//   - the run: probes in order; after each, a fresh connection and the
//     dialect's greeting tell whether the peer is still up. Once it is not,
//     the rest are skipped and the report says during which probe it died
//     (or that it refuses us, a ban).
//   - the root cause: every check needs a handshake, so once one fails
//     (Env.FailedHandshake) the rest are not run, and the one cause is
//     stated where it was found.
//   - "not run": timed probes without Options.Slow, probes that need the
//     peer to dial us without Options.Listen.
//   - turns, and one address of ours per run: the run listens while it
//     lasts and a dialect names that address where its protocol has a
//     sender; connections of ours and the peer's handshakes with us are
//     kept apart in time (see turns).
//   - the report, as text for people or JSON.
//   - datagrams (check/toy, over UDP): a probe's "connection" is a
//     connected UDP socket of its own; nothing is accepted or refused, so
//     a liveness ping met by silence or by a closed port (the kernel's
//     ICMP error, read as a refused socket) is the peer down, never a ban.
//
// Every wait is bounded by Options.Timeout, so a peer that never answers
// fails a probe, it never hangs the suite.
package check
