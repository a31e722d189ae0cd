package tracker

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bencode"
)

// BitTorrent announces (BEP 3, BEP 23 compact, BEP 7 peers6) on the same
// path as NibbleTorrent's: an announce that carries info_hash is one.
const (
	// HashLen is the length of an info_hash and of a BitTorrent peer_id,
	// in raw bytes.
	HashLen = 20
	// DefaultNumWant is how many peers a BitTorrent reply lists when the
	// client gives no numwant, as most trackers do.
	DefaultNumWant = 50
	// MaxNumWant bounds numwant, as opentracker does.
	MaxNumWant = 200
)

// Events a BitTorrent announce may carry.
const (
	EventStarted   = "started"
	EventCompleted = "completed"
	EventStopped   = "stopped"
)

// isBitTorrent reports whether a query string is a BitTorrent announce.
func isBitTorrent(rawQuery string) bool {
	return strings.HasPrefix(rawQuery, "info_hash=") || strings.Contains(rawQuery, "&info_hash=")
}

// btRequest is a checked BitTorrent announce.
type btRequest struct {
	member
	infoHash [HashLen]byte
	event    string
	compact  bool
	noPeerID bool
	numWant  int
}

// announceBT answers a BitTorrent announce, bencoded. A refusal is a 200
// with "failure reason", as BitTorrent trackers answer: clients read the
// reason from a 200 (anacrolix/torrent decodes no other status, and shows
// its raw body).
func (s *Server) announceBT(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	ev := ServerEvent{Time: now, Remote: r.RemoteAddr, Protocol: protoBitTorrent.String()}
	q, err := parseBTAnnounce(r)
	if err != nil {
		s.answer(w, bencodeType, failure(err.Error()))
		s.refused(ev, http.StatusOK, err.Error())
		return
	}
	ev.PeerID, ev.Addr, ev.Torrent, ev.Event = q.id, q.addr, hex.EncodeToString(q.infoHash[:]), q.event
	key := swarmKey{protoBitTorrent, q.infoHash}
	if q.event == EventStopped {
		c, _ := s.reg.leave(key, q.id, now)
		s.answer(w, bencodeType, s.encodeBT(nil, c, q.compact, q.noPeerID))
		ev.Status, ev.Peers = http.StatusOK, c.complete+c.incomplete
		if s.onEvent != nil {
			s.onEvent(ev)
		}
		return
	}
	name := "dict"
	switch {
	case q.compact:
		name = "compact"
	case q.noPeerID:
		name = "dict-noid"
	}
	enc := func(peers []*peerEntry, c counts) []byte { return s.encodeBT(peers, c, q.compact, q.noPeerID) }
	out, err := s.reg.announce(key, q.member, now, format{name, q.numWant, enc})
	if err != nil {
		s.answer(w, bencodeType, failure(err.Error()))
		s.refused(ev, http.StatusOK, err.Error())
		return
	}
	s.answer(w, bencodeType, out.reply)
	s.report(ev, out)
}

const bencodeType = "text/plain"

// parseBTAnnounce checks a BitTorrent announce's parameters. info_hash and
// peer_id are 20 raw bytes, percent-encoded; uploaded, downloaded and left
// are optional, but numbers when given (left=0 makes a seeder); an unknown
// event is an ordinary announce; numwant is clamped to 0..MaxNumWant and
// ignored when it is not a number, as trackers do.
func parseBTAnnounce(r *http.Request) (btRequest, error) {
	var q btRequest
	v, err := parseQuery(r, "info_hash", "peer_id", "port")
	if err != nil {
		return q, err
	}
	ih := v.Get("info_hash")
	if len(ih) != HashLen {
		return q, badRequest("malformed info_hash: %d bytes, want %d raw bytes, percent-encoded", len(ih), HashLen)
	}
	copy(q.infoHash[:], ih)
	if q.id = v.Get("peer_id"); len(q.id) != HashLen {
		return q, badRequest("malformed peer_id: %d bytes, want %d", len(q.id), HashLen)
	}
	if q.addr, err = peerAddr(v, r); err != nil {
		return q, err
	}
	for _, name := range []string{"uploaded", "downloaded", "left"} {
		if n := v.Get(name); n != "" {
			if _, err := strconv.ParseUint(n, 10, 63); err != nil {
				return q, badRequest("malformed %s %s: want a number of bytes", name, codec.Quote(truncate(n)))
			}
		}
	}
	q.seeder = v.Get("left") == "0"
	if e := v.Get("event"); e == EventStarted || e == EventCompleted || e == EventStopped {
		q.event = e
	}
	q.compact = v.Get("compact") == "1"
	q.noPeerID = v.Get("no_peer_id") == "1"
	q.numWant = DefaultNumWant
	if n, err := strconv.ParseInt(v.Get("numwant"), 10, 64); err == nil {
		q.numWant = int(min(max(n, 0), MaxNumWant))
	}
	return q, nil
}

// encodeBT is a BitTorrent reply: interval, the counts, and peers, compact
// (IPv4 in "peers", IPv6 in "peers6") or as dictionaries.
func (s *Server) encodeBT(peers []*peerEntry, c counts, compact, noPeerID bool) []byte {
	d := []bencode.Entry{
		{Key: "interval", Value: bencode.Int(int64(s.interval / time.Second))},
		{Key: "complete", Value: bencode.Int(int64(c.complete))},
		{Key: "incomplete", Value: bencode.Int(int64(c.incomplete))},
	}
	if compact {
		var v4, v6 []byte
		for _, p := range peers {
			ip, port := p.addr.Addr().AsSlice(), p.addr.Port()
			if len(ip) == 4 {
				v4 = append(append(v4, ip...), byte(port>>8), byte(port))
			} else {
				v6 = append(append(v6, ip...), byte(port>>8), byte(port))
			}
		}
		d = append(d, bencode.Entry{Key: "peers", Value: bencode.Bytes(v4)})
		if len(v6) > 0 {
			d = append(d, bencode.Entry{Key: "peers6", Value: bencode.Bytes(v6)})
		}
	} else {
		list := make([]bencode.Value, len(peers))
		for i, p := range peers {
			e := []bencode.Entry{
				{Key: "ip", Value: bencode.String(p.addr.Addr().String())},
				{Key: "port", Value: bencode.Int(int64(p.addr.Port()))},
			}
			if !noPeerID {
				e = append(e, bencode.Entry{Key: "peer id", Value: bencode.String(p.id)})
			}
			list[i] = bencode.Dict(e...)
		}
		d = append(d, bencode.Entry{Key: "peers", Value: bencode.List(list...)})
	}
	b, err := bencode.Encode(bencode.Dict(d...))
	if err != nil {
		panic(err) // integers, strings and a flat list always encode
	}
	return b
}

// failure is a BitTorrent refusal: {"failure reason": msg}.
func failure(msg string) []byte {
	b, _ := bencode.Encode(bencode.Dict(bencode.Entry{Key: "failure reason", Value: bencode.String(msg)}))
	return b
}
