// Package bitclone is the BitClone text dialect: lines of '|'-separated
// fields, ended by CRLF. It is pure: bytes to messages to human text, no
// goroutines, no I/O state beyond the Reader.
//
// The wire format (field 0 is the command; numbers are unsigned decimal;
// an address is ip:port, [ipv6]:port for IPv6):
//
//	version|VERSION|SERVICES|TIME|RECIPIENT|SENDER|NONCE|USER-AGENT|BLOCK-ID
//	verack|NONCE
//	getaddr
//	addr|COUNT|TIME|ADDRESS|TIME|ADDRESS...   (COUNT pairs, at most MaxAddrs)
//	ping|NONCE
//	pong|NONCE
//	reject|400-599|REASON|DETAIL
//	message|100-199|SUMMARY|DETAIL
//
// Sending is exact: AppendWire writes the canonical form above. Reading
// accepts the variants real peers send: a bare LF ends a line like CRLF; a
// trailing CR is stripped; numbers may have leading zeros; an address may
// be written ip,port (the spec's typo), IPv6 with or without brackets (the
// last colon separating the port), IPv4-mapped IPv6 (read as IPv4); reject
// and message may leave out the detail field. Text may hold any byte but
// '|', CR and LF; the user agent may not be empty. Everything else is
// refused with a *ParseError that names the field: "ping: nonce: not a
// number".
//
// Parse returns messages as values (Ping, Version, ...) and allocates at
// least the interface box. A Decoder returns pointers (*Ping, *Version,
// ...) to values it reuses, so ping, pong, verack and getaddr parse
// without allocating; a type switch must then name the pointer types.
// Check tells whether a message built from structured input can be sent
// faithfully; Strict lists how an accepted line departs from the spec
// (the leniencies above, a missing detail, unknown versions and services); Format is the wire form without CRLF, as shown in logs and
// typed on the command line. Peer text is untrusted: pass it through
// codec.Printable before it reaches a terminal.
package bitclone
