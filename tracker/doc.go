// Package tracker is the HTTP tracker of NibbleTorrent and of BitTorrent,
// both sides: a Server that answers announces of both protocols on one
// path and shows its swarms, and the clients peers announce with (Announce
// and AnnounceBT once, or an Announcer that re-announces every interval
// and rides out a tracker that is down).
//
// NibbleTorrent's wire format is the course's (specs/nibbletorrent.md,
// "Tracker"):
//
//	GET /announce?peer_id=-ECEN426-NETID&ip=10.35.120.175&port=6981&torrent_id=<40 hex>
//	{"interval": 30, "peers": [["10.35.120.175:6981", "-ECEN426-le0nh4rt"], ...]}
//
// An announce that carries info_hash is BitTorrent's (BEP 3, compact peers
// of BEP 23, peers6 of BEP 7), answered in bencode:
//
//	GET /announce?info_hash=<20 bytes, %-encoded>&peer_id=<20 bytes>&port=6881&uploaded=0&downloaded=0&left=N&compact=1[&event=started]
//	d8:completei1e10:incompletei1e8:intervali30e5:peers12:<6 bytes a peer>e
//
// compact=0 (or none) gives a list of {"ip", "peer id", "port"}
// dictionaries instead; a refusal is a 200 with "failure reason". Swarms
// of the two protocols are apart even for the same 20-byte id (swarmKey).
// Replies list the caller too, as the course's tracker and BitTorrent
// trackers do; the clients leave themselves out.
//
// A BitTorrent peer announces with an Announcer:
//
//	ann, err := tracker.NewBTAnnouncer(tracker.BTConfig{
//		URL: torrent.Announce, InfoHash: infoHash, PeerID: tracker.NewBTPeerID(),
//		IP: announceIP, Port: listenPort, // IP may be the zero Addr
//		Stats: func() (uploaded, downloaded, left int64) { ... },
//		OnEvent: func(e tracker.AnnounceEvent) { log(e.String()) },
//	})
//	go ann.Run(ctx)        // started, then every interval; stopped when ctx ends
//	for peers := range ann.Peers() { ... } // the latest list; closed when Run returns
//	ann.Completed()        // when the download completes: event=completed, once
package tracker

import "time"

// Intervals, shared by both sides: the Server hands out an interval in this
// range, and a client clamps what a tracker hands it to the same range, so a
// bitclone peer always re-announces before a bitclone tracker expires it, and
// a tracker answering "interval": 0 cannot make it announce in a tight loop.
const (
	DefaultInterval = 30 * time.Second
	MinInterval     = time.Second
	MaxInterval     = time.Hour
)

// Limits on what crosses the wire, either way.
const (
	// MaxPeerIDLen bounds a peer_id: the course's are "-ECEN426-" and a
	// NetID, about 20 bytes; BitTorrent's are 20.
	MaxPeerIDLen = 64
	// TorrentIDLen is the length of a torrent_id: a SHA-1 in hex.
	TorrentIDLen = 40
	// PeerIDPrefix starts every course peer_id.
	PeerIDPrefix = "-ECEN426-"
)

// PeerID is the course's peer_id for a NetID: -ECEN426-NETID.
func PeerID(netid string) string { return PeerIDPrefix + netid }

// samePeerID reports whether two peer_ids name the same peer: exactly equal
// once one leading '-' is dropped, since the spec's own example URL
// announces "ECEN426-le0nh4rt" for "-ECEN426-le0nh4rt" (DIALECTS.md).
// Never a substring match: -ECEN426-bob is not -ECEN426-bobby.
func samePeerID(a, b string) bool { return peerKey(a) == peerKey(b) }

// peerKey is a peer_id without its leading '-', if any.
func peerKey(id string) string {
	if len(id) > 0 && id[0] == '-' {
		return id[1:]
	}
	return id
}
