package tracker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bencode"
)

// BTPeerIDPrefix starts the peer_ids NewBTPeerID makes, in the Azureus
// style real clients use (-qB4650-, -lt0D80-): client "BC", version 0001.
const BTPeerIDPrefix = "-BC0001-"

// Compact peer entries: an IPv4 address and a port, or an IPv6 address
// and a port, big-endian.
const (
	compactPeerLen  = 6
	compactPeer6Len = 18
)

// NewBTPeerID is a fresh BitTorrent peer_id: BTPeerIDPrefix and 12 random
// bytes, printable so that logs stay readable.
func NewBTPeerID() [HashLen]byte {
	var id [HashLen]byte
	copy(id[:], BTPeerIDPrefix)
	copy(id[len(BTPeerIDPrefix):], rand.Text())
	return id
}

// BTRequest is what a BitTorrent client announces.
type BTRequest struct {
	InfoHash, PeerID [HashLen]byte
	// IP is the address other peers should dial; the zero Addr leaves ip
	// out, and the tracker takes the request's source address.
	IP                   netip.Addr
	Port                 uint16
	Uploaded, Downloaded int64
	Left                 int64
	Event                string // EventStarted, EventCompleted, EventStopped or ""
}

func (q BTRequest) check() error {
	switch {
	case q.Port == 0:
		return errors.New("announce: port 0")
	case q.IP.Zone() != "":
		return fmt.Errorf("announce: ip %s has a zone", q.IP)
	case q.Uploaded < 0 || q.Downloaded < 0 || q.Left < 0:
		return fmt.Errorf("announce: uploaded %d, downloaded %d, left %d: want no negative counts", q.Uploaded, q.Downloaded, q.Left)
	case q.Event != "" && q.Event != EventStarted && q.Event != EventCompleted && q.Event != EventStopped:
		return fmt.Errorf("announce: event %s: want started, completed or stopped", codec.Quote(q.Event))
	}
	return nil
}

// self reports whether p is the announcer: our peer_id, or the ip:port we
// announced (compact replies carry no peer_id, and list the announcer).
func (q BTRequest) self(p Peer) bool {
	return p.ID == string(q.PeerID[:]) || (q.IP.IsValid() && p.Addr == netip.AddrPortFrom(q.IP.Unmap(), q.Port))
}

// BTAnnounceURL is the announce URL for q: tracker (its own query string
// kept) with info_hash, peer_id, port, uploaded, downloaded, left,
// compact=1, then event and ip when set. The hashes are raw bytes,
// percent-encoded.
func BTAnnounceURL(tracker string, q BTRequest) (string, error) {
	if err := q.check(); err != nil {
		return "", err
	}
	return withQuery(tracker, func(b *strings.Builder) {
		b.WriteString("info_hash=" + url.QueryEscape(string(q.InfoHash[:])))
		b.WriteString("&peer_id=" + url.QueryEscape(string(q.PeerID[:])))
		b.WriteString("&port=" + strconv.Itoa(int(q.Port)))
		b.WriteString("&uploaded=" + strconv.FormatInt(q.Uploaded, 10))
		b.WriteString("&downloaded=" + strconv.FormatInt(q.Downloaded, 10))
		b.WriteString("&left=" + strconv.FormatInt(q.Left, 10))
		b.WriteString("&compact=1")
		if q.Event != "" {
			b.WriteString("&event=" + q.Event)
		}
		if q.IP.IsValid() {
			b.WriteString("&ip=" + url.QueryEscape(q.IP.Unmap().String()))
		}
	})
}

// AnnounceBT announces q to the BitTorrent tracker at trackerURL with client
// (nil: http.DefaultClient) and returns its reply without our own entry;
// a "failure reason" is an error that quotes it. Limits as Announce's.
func AnnounceBT(ctx context.Context, client *http.Client, trackerURL string, q BTRequest) (Response, error) {
	u, err := BTAnnounceURL(trackerURL, q)
	if err != nil {
		return Response{}, err
	}
	return announce(ctx, client, u, "text/plain", ParseBTResponse, q.self)
}

// ParseBTResponse reads a BitTorrent tracker's bencoded reply: "failure
// reason" (an error), "warning message", "interval", "min interval",
// "complete", "incomplete", and "peers" as a compact string (6 bytes a
// peer) or a list of {"ip", "port", "peer id"} dictionaries, with
// "peers6" (18 bytes a peer) beside. Keys out of order are accepted, as
// some trackers write them; unknown keys are ignored; a field of the wrong
// type, a compact string of the wrong length or no peers at all is an
// error.
func ParseBTResponse(body []byte) (Response, error) {
	v, err := bencode.DecodeLenient(body)
	if err != nil {
		return Response{}, fmt.Errorf("reply is not bencoded: %v", err)
	}
	if v.Kind != bencode.KindDict {
		return Response{}, fmt.Errorf("reply is a bencoded %s, not a dictionary", v.Kind)
	}
	if reason, ok := v.Get("failure reason"); ok {
		return Response{}, fmt.Errorf("tracker says: %s", trackerText(string(reason.Str)))
	}
	r := Response{}
	if w, ok := v.Get("warning message"); ok && w.Kind == bencode.KindString {
		r.Warning = trackerText(string(w.Str))
	}
	for _, f := range []struct {
		key string
		to  *time.Duration
	}{{"interval", &r.Interval}, {"min interval", &r.MinInterval}} {
		n, ok, err := intField(v, f.key)
		if err != nil {
			return Response{}, err
		}
		if ok && n <= 0 {
			return Response{}, fmt.Errorf("reply's %s %d is not a positive number of seconds", f.key, n)
		}
		*f.to = time.Duration(min(n, int64(MaxInterval.Seconds()*10))) * time.Second
	}
	for _, f := range []struct {
		key string
		to  *int
	}{{"complete", &r.Complete}, {"incomplete", &r.Incomplete}} {
		n, _, err := intField(v, f.key)
		if err != nil {
			return Response{}, err
		}
		*f.to = int(min(max(n, 0), 1<<31-1))
	}

	peers, ok4 := v.Get("peers")
	peers6, ok6 := v.Get("peers6")
	if !ok4 && !ok6 {
		return Response{}, errors.New(`reply has no "peers"`)
	}
	seen := make(map[netip.AddrPort]bool)
	add := func(p Peer, ok bool) { r.addPeer(seen, p, ok) }
	if ok4 {
		switch peers.Kind {
		case bencode.KindString:
			if err := compactPeers(peers.Str, compactPeerLen, "peers", add); err != nil {
				return Response{}, err
			}
		case bencode.KindList:
			for _, e := range peers.List {
				add(dictPeer(e))
			}
		default:
			return Response{}, fmt.Errorf(`reply's "peers" is a %s, not a string or a list`, peers.Kind)
		}
	}
	if ok6 {
		if peers6.Kind != bencode.KindString {
			return Response{}, fmt.Errorf(`reply's "peers6" is a %s, not a string`, peers6.Kind)
		}
		if err := compactPeers(peers6.Str, compactPeer6Len, "peers6", add); err != nil {
			return Response{}, err
		}
	}
	return r, nil
}

// intField is the integer at key of dictionary v, and whether it is there.
func intField(v bencode.Value, key string) (int64, bool, error) {
	f, ok := v.Get(key)
	if !ok {
		return 0, false, nil
	}
	if f.Kind != bencode.KindInt {
		return 0, false, fmt.Errorf("reply's %s is a %s, not an integer", key, f.Kind)
	}
	return f.Int, true, nil
}

// compactPeers hands add each size-byte entry of b: an address, then a
// big-endian port.
func compactPeers(b []byte, size int, key string, add func(Peer, bool)) error {
	if len(b)%size != 0 {
		return fmt.Errorf("reply's %q is %d bytes, not a multiple of %d", key, len(b), size)
	}
	for e := range slices.Chunk(b, size) {
		ip, _ := netip.AddrFromSlice(e[:size-2])
		port := uint16(e[size-2])<<8 | uint16(e[size-1])
		add(Peer{Addr: netip.AddrPortFrom(ip.Unmap(), port)}, port != 0 && !ip.IsUnspecified())
	}
	return nil
}

// dictPeer reads {"ip": "1.2.3.4", "port": 6881, "peer id": <20 bytes>};
// a host name for ip is not an address, and is skipped.
func dictPeer(e bencode.Value) (Peer, bool) {
	ipv, _ := e.Get("ip")
	portv, _ := e.Get("port")
	idv, _ := e.Get("peer id")
	if ipv.Kind != bencode.KindString || portv.Kind != bencode.KindInt || portv.Int <= 0 || portv.Int > 65535 || len(idv.Str) > MaxPeerIDLen {
		return Peer{}, false
	}
	ip, err := netip.ParseAddr(string(ipv.Str))
	if err != nil || ip.Zone() != "" || ip.IsUnspecified() {
		return Peer{}, false
	}
	return Peer{Addr: netip.AddrPortFrom(ip.Unmap(), uint16(portv.Int)), ID: string(idv.Str)}, true
}

// failureReason is the "failure reason" of a bencoded body, or "".
func failureReason(body []byte) string {
	v, err := bencode.DecodeLenient(body)
	if err != nil {
		return ""
	}
	f, _ := v.Get("failure reason")
	return string(f.Str)
}

// stopTimeout bounds the event=stopped announce on shutdown: a tracker
// that is down must not hold the program's exit.
const stopTimeout = 3 * time.Second
