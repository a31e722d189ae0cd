// Package piece is the pure part of a swarm download: which piece to ask
// which peer for (Picker), where pieces live on disk (Store), and how far the
// download has come (Progress). It does no networking; the NibbleTorrent
// protocol (and later BitTorrent) drives it from its connection goroutines.
//
// # How the parts fit
//
// A leecher opens a Store first (it resumes from what is on disk), builds a
// Picker from the store's verified set, and then for each connection:
//
//	picker.AddPeer(id, bitfieldFromHello)
//	for each free request slot: picker.Next(id, free) -> piece indexes to request
//	piece data arrives        -> store.WritePiece(i, data)
//	    nil                   -> picker.Done(id, i) (others to cancel or ignore)
//	    ErrDuplicate          -> ignore the data (a late endgame copy)
//	    ErrHash               -> picker.Failed(id, i); drop the peer if it says so
//	error frame for piece i   -> picker.Refused(id, i)
//	connection gone           -> picker.RemovePeer(id)
//	upload request for i      -> store.ReadPiece(i, buf) (verified pieces only)
//
// # Concurrency
//
// Picker and Store are safe for concurrent use: each guards its state with one
// mutex, held only for bookkeeping, never across disk or network I/O. Hashing
// and file I/O run outside the store's lock (pread/pwrite on one *os.File are
// safe concurrently), and a piece being written is marked busy so no second
// writer or any reader touches its bytes until it is verified and recorded.
//
// # Blocks (BitTorrent, later)
//
// NibbleTorrent asks for a whole piece per request, so the picker's unit of
// work is the piece. BitTorrent asks for 16 KiB blocks within a piece; it
// keeps the Picker as the piece chooser (rarest first, endgame, strikes) and
// adds a per-piece block queue above it: a peer first takes blocks from pieces
// already started, and calls Next only when none are left. Geometry already
// knows piece lengths and offsets, and Layout maps the piece space onto
// several files, so the Store's API does not change for multi-file torrents.
package piece
