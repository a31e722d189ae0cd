// Package tracker is NibbleTorrent's HTTP tracker, both sides: a Server that
// answers announces and shows its swarms, and the client a peer announces
// with (Announce once, or an Announcer that re-announces every interval and
// rides out a tracker that is down).
//
// The wire format is the course's (specs/nibbletorrent.md, "Tracker"):
//
//	GET /announce?peer_id=-ECEN426-NETID&ip=10.35.120.175&port=6981&torrent_id=<40 hex>
//	{"interval": 30, "peers": [["10.35.120.175:6981", "-ECEN426-le0nh4rt"], ...]}
//
// The reply lists the caller too, as the course's tracker does; peers skip
// themselves. BitTorrent announces (info_hash, bencoded replies) are meant
// to join the same Server and /announce path later, with swarms of their
// own in the same registry: see swarmKey.
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
