package tracker

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bitclone/bitclone/codec"
)

// Limits of the client.
const (
	// MaxReplyBytes bounds a tracker's reply: a full swarm of this
	// package's Server is about 50 KiB.
	MaxReplyBytes = 256 << 10
	// MaxReplyPeers is how many peers of a reply are kept.
	MaxReplyPeers = MaxPeersPerTorrent
	// maxErrorBody is how much of a non-200 answer is read for its
	// {"error": ...} text.
	maxErrorBody = 4 << 10
	// maxErrorText is how much of a tracker's error text is shown.
	maxErrorText = 200
	// AnnounceTimeout bounds one announce, connection included.
	AnnounceTimeout = 15 * time.Second
)

// Request is what a NibbleTorrent peer announces.
type Request struct {
	PeerID string // -ECEN426-NETID (see PeerID)
	// IP is the address other peers should dial. The zero Addr leaves ip
	// out, and the tracker takes the request's source address.
	IP        netip.Addr
	Port      uint16
	TorrentID string // 40 hex digits
}

// check reports what is wrong with q, naming the field.
func (q Request) check() error {
	switch {
	case q.PeerID == "":
		return errors.New("announce: no peer_id")
	case len(q.PeerID) > MaxPeerIDLen:
		return fmt.Errorf("announce: peer_id longer than %d bytes", MaxPeerIDLen)
	case q.Port == 0:
		return errors.New("announce: port 0")
	case q.IP.Zone() != "":
		return fmt.Errorf("announce: ip %s has a zone", q.IP)
	}
	if _, err := hex.DecodeString(q.TorrentID); err != nil || len(q.TorrentID) != TorrentIDLen {
		return fmt.Errorf("announce: torrent_id %s: want %d hex digits", codec.Quote(q.TorrentID), TorrentIDLen)
	}
	return nil
}

// self reports whether p is the announcer itself: the same peer_id (exactly,
// a leading '-' aside), or the ip:port it announced.
func (q Request) self(p Peer) bool {
	return samePeerID(p.ID, q.PeerID) || (q.IP.IsValid() && p.Addr == netip.AddrPortFrom(q.IP.Unmap(), q.Port))
}

// AnnounceURL is the announce URL for q: tracker (which may carry a query
// string of its own, kept as it is) with peer_id, ip, port and torrent_id
// added in the spec's order.
func AnnounceURL(tracker string, q Request) (string, error) {
	if err := q.check(); err != nil {
		return "", err
	}
	return withQuery(tracker, func(b *strings.Builder) {
		b.WriteString("peer_id=" + url.QueryEscape(q.PeerID))
		if q.IP.IsValid() {
			b.WriteString("&ip=" + url.QueryEscape(q.IP.Unmap().String()))
		}
		b.WriteString("&port=" + strconv.Itoa(int(q.Port)))
		b.WriteString("&torrent_id=" + url.QueryEscape(q.TorrentID))
	})
}

// withQuery is tracker, which must be an http(s) URL, with the parameters
// add writes appended to its own query string (kept as it is).
func withQuery(tracker string, add func(*strings.Builder)) (string, error) {
	u, err := checkTrackerURL(tracker)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(u.RawQuery)
	if u.RawQuery != "" && !strings.HasSuffix(u.RawQuery, "&") {
		b.WriteByte('&')
	}
	add(&b)
	u.RawQuery, u.Fragment, u.RawFragment = b.String(), "", ""
	u.ForceQuery = false
	return u.String(), nil
}

// checkTrackerURL parses an announce URL: http or https, with a host.
func checkTrackerURL(tracker string) (*url.URL, error) {
	u, err := url.Parse(tracker)
	if err != nil {
		return nil, fmt.Errorf("tracker URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracker URL %s: want http://HOST[:PORT]/PATH", codec.Quote(tracker))
	}
	return u, nil
}

// Peer is one peer of a tracker's reply.
type Peer struct {
	Addr netip.AddrPort
	ID   string // untrusted text: escape it before showing it
}

// Response is a tracker's reply.
type Response struct {
	// Interval is the tracker's re-announce interval, as it gave it (0 if
	// it gave none); Announcer clamps it.
	Interval time.Duration
	// Peers, in the tracker's order, duplicates dropped; Announce drops
	// the announcer's own entry too.
	Peers []Peer
	// Skipped counts the entries ignored: not an [address, peer_id] pair
	// of strings, an address that is not IP:PORT, an overlong peer_id, or
	// beyond MaxReplyPeers.
	Skipped int

	// BitTorrent only (zero from NibbleTorrent):
	// MinInterval is the tracker's "min interval" (0 if none): no
	// announce comes sooner after another, not even a completed one.
	MinInterval time.Duration
	// Warning is the tracker's "warning message", escaped ("" if none).
	Warning string
	// Complete and Incomplete are the swarm's seeders and leechers as the
	// tracker counts them (0 when it does not say).
	Complete, Incomplete int
}

// StatusError is an answer other than 200 OK.
type StatusError struct {
	Status string // "400 Bad Request"
	Text   string // the {"error": ...} text of the body, if any (escaped)
}

func (e *StatusError) Error() string {
	if e.Text == "" {
		return e.Status
	}
	return e.Status + ": " + e.Text
}

// Announce announces q to the tracker at trackerURL with client (nil:
// http.DefaultClient) and returns its reply without our own entry. The
// reply is read up to MaxReplyBytes; one announce takes AnnounceTimeout at
// most.
func Announce(ctx context.Context, client *http.Client, trackerURL string, q Request) (Response, error) {
	u, err := AnnounceURL(trackerURL, q)
	if err != nil {
		return Response{}, err
	}
	return announce(ctx, client, u, "application/json", ParseResponse, q.self)
}

// announce GETs u, parses the reply with parse and leaves out the peers
// self reports.
func announce(ctx context.Context, client *http.Client, u, accept string, parse func([]byte) (Response, error), self func(Peer) bool) (Response, error) {
	body, err := fetch(ctx, client, u, accept)
	if err != nil {
		return Response{}, err
	}
	r, err := parse(body)
	if err != nil {
		return Response{}, err
	}
	r.Peers = slices.DeleteFunc(r.Peers, self)
	return r, nil
}

// fetch GETs u with client (nil: http.DefaultClient) and returns the body
// of a 200, read up to MaxReplyBytes, within AnnounceTimeout.
func fetch(ctx context.Context, client *http.Client, u, accept string) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, AnnounceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, brief(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, &StatusError{Status: resp.Status, Text: errorText(body)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the reply: %w", brief(err))
	}
	if len(body) > MaxReplyBytes {
		return nil, fmt.Errorf("reply longer than %d KiB", MaxReplyBytes>>10)
	}
	return body, nil
}

// ParseResponse reads a tracker's reply: {"interval": N, "peers": [[addr,
// id], ...]}. The interval may be an integer or not; extra fields and
// entries that are not peers are tolerated, a reply without a peer list or
// with fields of the wrong type is an error.
func ParseResponse(body []byte) (Response, error) {
	var raw struct {
		Interval json.RawMessage `json:"interval"`
		Peers    json.RawMessage `json:"peers"`
		Error    json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Response{}, fmt.Errorf("reply is not a JSON object: %s", syntaxError(err))
	}
	var r Response
	if isSet(raw.Interval) {
		var secs float64
		if err := json.Unmarshal(raw.Interval, &secs); err != nil {
			return Response{}, fmt.Errorf("reply's interval %s is not a number", codec.Quote(truncate(string(raw.Interval))))
		}
		if !(secs > 0) || math.IsInf(secs, 0) {
			return Response{}, fmt.Errorf("reply's interval %v is not a positive number of seconds", secs)
		}
		r.Interval = time.Duration(min(secs, MaxInterval.Seconds()*10) * float64(time.Second))
	}
	if !isSet(raw.Peers) {
		if text := errorText(body); text != "" {
			return Response{}, fmt.Errorf("tracker says: %s", text)
		}
		return Response{}, errors.New(`reply has no "peers" list`)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw.Peers, &entries); err != nil {
		return Response{}, errors.New(`reply's "peers" is not a list`)
	}
	seen := make(map[netip.AddrPort]bool, min(len(entries), MaxReplyPeers))
	for _, e := range entries {
		p, ok := parsePeer(e)
		r.addPeer(seen, p, ok)
	}
	return r, nil
}

// addPeer keeps p, unless it is malformed (!ok: counted as skipped), one
// more than MaxReplyPeers (skipped too) or already seen (dropped).
func (r *Response) addPeer(seen map[netip.AddrPort]bool, p Peer, ok bool) {
	switch {
	case !ok || len(r.Peers) >= MaxReplyPeers:
		r.Skipped++
	case !seen[p.Addr]:
		seen[p.Addr] = true
		r.Peers = append(r.Peers, p)
	}
}

// parsePeer reads ["IP:PORT", "peer_id"]; more elements are ignored.
func parsePeer(e json.RawMessage) (Peer, bool) {
	var pair []json.RawMessage
	if json.Unmarshal(e, &pair) != nil || len(pair) < 2 {
		return Peer{}, false
	}
	var addr, id string
	if json.Unmarshal(pair[0], &addr) != nil || json.Unmarshal(pair[1], &id) != nil || len(id) > MaxPeerIDLen {
		return Peer{}, false
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" || !ap.Addr().IsValid() {
		return Peer{}, false
	}
	return Peer{Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ID: id}, true
}

func isSet(m json.RawMessage) bool { return len(m) > 0 && string(m) != "null" }

// errorText is the escaped error text of a body: a JSON "error", or a
// bencoded "failure reason"; "" if it has neither.
func errorText(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		e.Error = failureReason(body)
	}
	return trackerText(e.Error)
}

// trackerText is text from a tracker, shortened and escaped for a log line.
func trackerText(s string) string {
	return codec.PrintableString(truncateTo(s, maxErrorText))
}

// syntaxError says where JSON went wrong, without quoting the body.
func syntaxError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "a JSON " + te.Value + ", not an object"
	}
	return err.Error()
}

// brief strips the layers an HTTP failure comes wrapped in ("Get
// \"http://...\": dial tcp ...: connect: connection refused") down to the
// cause ("connection refused"): the log line names the tracker already.
func brief(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("no answer in time")
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return err
}
