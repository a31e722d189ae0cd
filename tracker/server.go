package tracker

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/humanize"
)

// Limits of the Server's HTTP side.
const (
	// MaxQueryLen bounds an announce's query string; a course announce
	// is about 120 bytes.
	MaxQueryLen = 1024
	// MaxHeaderBytes bounds a request's line and headers.
	MaxHeaderBytes = 8 << 10
	// requestTimeout bounds reading a request and writing its answer.
	requestTimeout = 10 * time.Second
	// idleTimeout closes a keep-alive connection nobody uses.
	idleTimeout = 2 * time.Minute
	// shutdownTimeout is how long Serve waits for answers in flight when
	// it stops.
	shutdownTimeout = 5 * time.Second
	// reportGap: a peer announcing more often than this is reported once
	// per gap, with the count in between, so a peer re-announcing in a
	// tight loop costs a map lookup and no log line per request.
	reportGap = time.Second
	// refusalsPerGap: at most this many refused requests are reported per
	// reportGap; the rest are counted into the next report.
	refusalsPerGap = 10
)

// Config is a Server's configuration; the zero value works.
type Config struct {
	// Interval is handed to peers, in whole seconds (rounded up, and
	// clamped to MinInterval..MaxInterval); 0 means DefaultInterval. A
	// peer expires two intervals after its last announce.
	Interval time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// OnEvent, if set, is told of every announce, answered or refused
	// (see reportGap for peers announcing in a loop). It is called from
	// the request's goroutine, so concurrently.
	OnEvent func(ServerEvent)
}

// ServerEvent is an announce the Server answered or refused.
type ServerEvent struct {
	Time   time.Time
	Remote string // the request's source address
	// Protocol is "bittorrent" for an info_hash announce, "" for
	// NibbleTorrent's.
	Protocol string
	Torrent  string // torrent_id or info_hash in lower-case hex; "" if refused before it was read
	Event    string // BitTorrent's event: started, completed, stopped or ""
	PeerID   string // as announced (untrusted text); "" if refused before it was read
	Addr     netip.AddrPort
	Joined   bool // new in the swarm
	Peers    int  // the swarm's size after the announce
	// Repeats counts the announces by this peer (or, for a refusal, the
	// refusals) not reported since the last event.
	Repeats int
	Status  int    // HTTP status answered
	Err     string // why it was refused; "" when answered
}

// String is the event as one log line, peer text escaped.
func (e ServerEvent) String() string {
	var b strings.Builder
	if e.Err != "" {
		fmt.Fprintf(&b, "refused %s (%d): %s", e.Remote, e.Status, codec.PrintableString(e.Err))
		if e.Repeats > 0 {
			fmt.Fprintf(&b, " (+%d more refusals)", e.Repeats)
		}
		return b.String()
	}
	verb, what := "announce", "torrent"
	switch {
	case e.Event == EventStopped:
		verb = "left"
	case e.Joined:
		verb = "joined"
	}
	if e.Protocol == protoBitTorrent.String() {
		what = "info_hash"
	}
	fmt.Fprintf(&b, "%s %s %s %s %s: %s", verb, codec.Quote(e.PeerID), e.Addr, what, e.Torrent, humanize.Count(e.Peers, "peer"))
	if e.Event == EventCompleted {
		b.WriteString(" (completed)")
	}
	if e.Repeats > 0 {
		fmt.Fprintf(&b, " (+%d announces since the last line)", e.Repeats)
	}
	return b.String()
}

// Server is the tracker: an http.Handler for /announce and the status page
// at /. It is safe for concurrent use.
type Server struct {
	interval time.Duration
	now      func() time.Time
	onEvent  func(ServerEvent)
	reg      *registry

	mu              sync.Mutex // guards the refusal reporting below
	refusalsFrom    time.Time
	refusalsShown   int
	refusalsSkipped int
}

// New makes a Server.
func New(cfg Config) *Server {
	iv := cfg.Interval
	if iv <= 0 {
		iv = DefaultInterval
	}
	iv = min(max((iv+time.Second-1).Truncate(time.Second), MinInterval), MaxInterval)
	s := &Server{interval: iv, now: cfg.Now, onEvent: cfg.OnEvent, reg: newRegistry(2 * iv)}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Interval is the interval the Server hands to peers.
func (s *Server) Interval() time.Duration { return s.interval }

// Swarms returns a copy of every swarm, stale peers dropped first.
func (s *Server) Swarms() []Swarm { return s.reg.snapshot(s.now()) }

// Serve answers on ln until ctx ends, then lets answers in flight finish
// (for a few seconds at most) and returns nil; it returns early with the
// error if ln fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: requestTimeout,
		ReadTimeout:       requestTimeout,
		WriteTimeout:      requestTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if hs.Shutdown(sctx) != nil {
		hs.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP answers /announce and the status page at /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET")
		return
	}
	switch r.URL.Path {
	case "/announce":
		s.announce(w, r)
	case "/":
		s.status(w)
	default:
		writeError(w, http.StatusNotFound, "not found: the tracker answers /announce, and shows its swarms at /")
	}
}

// announceRequest is a checked NibbleTorrent announce.
type announceRequest struct {
	peerID  string
	addr    netip.AddrPort
	torrent [20]byte
}

// refusal is an announce answered with an error status.
type refusal struct {
	status int
	msg    string
}

func (e *refusal) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &refusal{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func (s *Server) announce(w http.ResponseWriter, r *http.Request) {
	if isBitTorrent(r.URL.RawQuery) {
		s.announceBT(w, r)
		return
	}
	now := s.now()
	ev := ServerEvent{Time: now, Remote: r.RemoteAddr}
	q, err := parseAnnounce(r)
	var out announced
	if err == nil {
		ev.PeerID, ev.Addr, ev.Torrent = q.peerID, q.addr, hex.EncodeToString(q.torrent[:])
		out, err = s.reg.announce(swarmKey{protoNibble, q.torrent}, member{id: q.peerID, addr: q.addr}, now, format{"json", -1, s.encodeNibble})
		if err != nil {
			err = &refusal{http.StatusServiceUnavailable, err.Error()}
		}
	}
	if err != nil {
		ref := &refusal{http.StatusInternalServerError, err.Error()}
		errors.As(err, &ref)
		writeError(w, ref.status, ref.msg)
		s.refused(ev, ref.status, ref.msg)
		return
	}
	s.answer(w, "application/json", out.reply)
	s.report(ev, out)
}

// answer writes a 200 with body.
func (s *Server) answer(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

// report tells OnEvent of an answered announce, if the registry says it is
// worth a line.
func (s *Server) report(ev ServerEvent, out announced) {
	if out.report && s.onEvent != nil {
		ev.Status, ev.Joined, ev.Peers, ev.Repeats = http.StatusOK, out.joined, out.peers, out.repeats
		s.onEvent(ev)
	}
}

// refused reports a refusal answered with status.
func (s *Server) refused(ev ServerEvent, status int, msg string) {
	ev.Status, ev.Err = status, msg
	s.reportRefusal(ev)
}

// parseAnnounce checks a NibbleTorrent announce's parameters. Without ip,
// the request's source address is the peer's.
func parseAnnounce(r *http.Request) (announceRequest, error) {
	var q announceRequest
	v, err := parseQuery(r, "peer_id", "port", "torrent_id")
	if err != nil {
		return q, err
	}

	q.peerID = v.Get("peer_id")
	if len(q.peerID) > MaxPeerIDLen {
		return q, badRequest("peer_id too long: %d bytes, at most %d", len(q.peerID), MaxPeerIDLen)
	}
	if codec.PrintableString(q.peerID) != q.peerID || strings.ContainsAny(q.peerID, " \"\\") {
		return q, badRequest("malformed peer_id %s: want printable text without spaces, such as -ECEN426-NETID", codec.Quote(q.peerID))
	}

	if q.addr, err = peerAddr(v, r); err != nil {
		return q, err
	}

	tid := v.Get("torrent_id")
	if len(tid) != TorrentIDLen {
		return q, badRequest("malformed torrent_id %s: want %d hex digits", codec.Quote(truncate(tid)), TorrentIDLen)
	}
	if _, err := hex.Decode(q.torrent[:], []byte(tid)); err != nil {
		return q, badRequest("malformed torrent_id %s: want %d hex digits", codec.Quote(tid), TorrentIDLen)
	}
	return q, nil
}

// parseQuery reads an announce's query string, bounded, with the
// parameters required present and not empty.
func parseQuery(r *http.Request, required ...string) (url.Values, error) {
	if len(r.URL.RawQuery) > MaxQueryLen {
		return nil, badRequest("query string too long: %d bytes, at most %d", len(r.URL.RawQuery), MaxQueryLen)
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("malformed query string: %v", err)
	}
	for _, name := range required {
		if v.Get(name) == "" {
			return nil, badRequest("missing %s", name)
		}
	}
	return v, nil
}

// peerAddr is the address an announce gives (ip, or the request's source
// address without it) with its port.
func peerAddr(v url.Values, r *http.Request) (netip.AddrPort, error) {
	var ip netip.Addr
	var err error
	if s := v.Get("ip"); s != "" {
		if ip, err = netip.ParseAddr(s); err != nil || ip.Zone() != "" {
			return netip.AddrPort{}, badRequest("malformed ip %s: want an IPv4 or IPv6 address", codec.Quote(truncate(s)))
		}
	} else {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			return netip.AddrPort{}, badRequest("missing ip, and the request's source %s is not an address", codec.Quote(r.RemoteAddr))
		}
		ip = ap.Addr()
	}
	ps := v.Get("port")
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, badRequest("malformed port %s: want 1 to 65535", codec.Quote(truncate(ps)))
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// truncate shortens a bad value for an error message.
func truncate(s string) string { return truncateTo(s, 48) }

// truncateTo shortens s to n bytes and an ellipsis.
func truncateTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// nibbleReply is the reply the spec shows: interval in whole seconds (some
// students' peers need an integer), peers as [address, peer_id] pairs.
type nibbleReply struct {
	Interval int         `json:"interval"`
	Peers    [][2]string `json:"peers"`
}

func (s *Server) encodeNibble(peers []*peerEntry, _ counts) []byte {
	rep := nibbleReply{Interval: int(s.interval / time.Second), Peers: make([][2]string, len(peers))}
	for i, p := range peers {
		rep.Peers[i] = [2]string{p.addr.String(), p.id}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		panic(err) // strings and an int always encode
	}
	return append(b, '\n')
}

// writeError answers status with {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// reportRefusal tells OnEvent of a refusal, at most refusalsPerGap per
// reportGap: a client hammering with bad requests must not flood the log.
func (s *Server) reportRefusal(ev ServerEvent) {
	if s.onEvent == nil {
		return
	}
	s.mu.Lock()
	if ev.Time.Sub(s.refusalsFrom) >= reportGap {
		s.refusalsFrom, s.refusalsShown = ev.Time, 0
	}
	if s.refusalsShown >= refusalsPerGap {
		s.refusalsSkipped++
		s.mu.Unlock()
		return
	}
	s.refusalsShown++
	ev.Repeats, s.refusalsSkipped = s.refusalsSkipped, 0
	s.mu.Unlock()
	s.onEvent(ev)
}

// status writes the swarms as plain text: every torrent, its peers, and how
// long ago each joined and last announced.
func (s *Server) status(w http.ResponseWriter) {
	now := s.now()
	swarms := s.Swarms()
	var b strings.Builder
	peers := 0
	for _, sw := range swarms {
		peers += len(sw.Peers)
	}
	fmt.Fprintf(&b, "bitclone tracker: %s, %s; interval %s, a peer expires %s after its last announce\n",
		humanize.Count(len(swarms), "torrent"), humanize.Count(peers, "peer"), s.interval, 2*s.interval)
	for _, sw := range swarms {
		fmt.Fprintf(&b, "\n%s %s: %s\n", sw.Protocol, sw.ID, humanize.Count(len(sw.Peers), "peer"))
		for _, p := range sw.Peers {
			seeding := ""
			if p.Seeder {
				seeding = ", seeding"
			}
			fmt.Fprintf(&b, "  %-22s %-24s joined %s ago, last announce %s ago%s\n",
				p.Addr, codec.PrintableString(p.ID), humanize.Age(now, p.Joined), humanize.Age(now, p.Seen), seeding)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(b.String()))
}
