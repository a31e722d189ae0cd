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
//	free request slots        -> picker.AppendNext(buf, id, free): pieces to request
//	piece data arrives        -> store.WritePiece(i, data)
//	    nil or ErrSave        -> picker.Done(id, i): others to cancel or ignore
//	                             (ErrSave: complete, but the rename failed; log it)
//	    ErrDuplicate          -> ignore the data (a late endgame copy)
//	    ErrHash, ErrRange     -> picker.Failed(id, i); drop the peer if it says so
//	    other (disk) errors   -> picker.Release(id, i); the piece stays missing
//	error frame for piece i   -> picker.Refused(id, i)
//	connection gone           -> picker.RemovePeer(id)
//	upload request for i      -> store.ReadPiece(i, buf) (verified pieces only)
//	the UI                    -> picker.Progress(), picker.Peer(id)
//
// NibbleTorrent's piece response carries no index: a connection matches
// answers to its requests in order, and keeps a request it sent until the
// answer comes even when Done has reported it as an endgame duplicate. So
// the connection counts its own pipeline depth; the picker's in-flight
// count is what it still wants from each peer.
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
