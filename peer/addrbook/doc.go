// Package addrbook is the node's address book: every peer address the node has
// heard of, with when it was last seen active, where it came from and how dialling
// it has gone. It also reads and writes the peers file that carries the book from
// one run to the next.
//
// # Live and stale
//
// An address is live when it was active within the expiry (90 s by default in the
// node). Live addresses are advertised and dialled first; stale ones stay in the
// book for reconnection and for the peers file until a fresher address needs
// their slot.
//
// # Time
//
// The package never reads the clock: every method that needs the time takes a
// now argument, so tests step time instead of sleeping. Claimed timestamps more
// than FutureSlack ahead of now are clamped to now minus FuturePenalty, as Bitcoin
// Core does, so a peer cannot pin its addresses at the top of the book; smaller
// skews are clamped to now, so LastActive is never in the future.
//
// # Concurrency
//
// A Book is not safe for concurrent use. The node owns it and calls it under its
// own lock.
//
// # Peers file
//
// The peers file is plain text, one address per line:
//
//	# bitclone peers file: address last-active-unix-seconds source
//	1.2.3.4:8088 1700000000 gossip
//	[::1]:8088 0 cli
//
// The address is in net.JoinHostPort form (IPv6 in brackets). A last-active of 0
// means never seen active. The source word (cli, file, gossip, inbound, outbound)
// is optional and defaults to file. Blank lines and lines starting with # are
// ignored, a trailing CR is stripped, and fields are separated by any run of
// spaces or tabs.
//
// A File owns the path and its rules. Load reads a line at a time and stops
// once the book is full, so a huge file or line costs no more memory than a
// full book. Save writes atomically, so a crash leaves either the old file or
// the new one, never a mix, and writes through a symbolic link to its target.
// What could not be read (permission denied, no address line, too large) is
// never overwritten: Save first moves it aside, unchanged, to
// PATH.unreadable-TIME and says so; a directory or device is never replaced.
package addrbook
