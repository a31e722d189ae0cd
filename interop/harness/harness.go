// Package harness runs anacrolix/torrent, a real BitTorrent client, as the
// other side of bitclone's interop tests and benchmarks. Everything it starts
// listens and dials on loopback only: no DHT, trackers, PEX, uTP, webseeds,
// webtorrent or port forwarding, and an IP block list that refuses every peer
// address outside 127.0.0.0/8 and ::1.
package harness

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	g "github.com/anacrolix/generics"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/iplist"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// Loopback hosts the client listens on, per address family.
const (
	loopback4 = "127.0.0.1"
	loopback6 = "::1"
)

// Limits of anacrolix v1.59.1 that Config works around.
const (
	// anacrolixReqq is how many requests anacrolix queues per connection
	// (its localClientReqq; it rejects more).
	anacrolixReqq = 1024
	// maxRequestLength is the largest block a peer may request (the peer
	// wire spec's 128 KiB limit).
	maxRequestLength = 128 << 10
	// peerRequestAlloc is the per-connection budget for the data of queued
	// requests. anacrolix grants these reservations in arrival order but
	// serves requests in map order, so once a peer has more than the budget
	// (1 MiB by default) outstanding, the request being served waits for a
	// grant that went to one nobody serves: the seeder stalls after ~2 MiB
	// per connection. A budget that covers every request it queues avoids it.
	peerRequestAlloc = anacrolixReqq * maxRequestLength
)

// Config returns the loopback-only client configuration, with torrent data
// read from and written to dataDir (a torrent named N lives at dataDir/N).
// Piece completion is kept in memory, so dataDir holds only torrent data, and
// part files are off, so a file is at its final path while it downloads.
func Config(dataDir string) *torrent.ClientConfig {
	cfg := torrent.NewDefaultClientConfig()
	cfg.DataDir = dataDir
	cfg.DefaultStorage = storage.NewFileOpts(storage.NewFileClientOpts{
		ClientBaseDir:   dataDir,
		PieceCompletion: storage.NewMapPieceCompletion(),
		UsePartFiles:    g.Some(false),
	})
	cfg.ListenHost = loopbackHost
	cfg.ListenPort = 0
	cfg.NoDHT = true
	cfg.DhtStartingNodes = nil
	cfg.PeriodicallyAnnounceTorrentsToDht = false
	cfg.DisableTrackers = true
	cfg.NoDefaultPortForwarding = true
	cfg.DisableUTP = true
	cfg.DisablePEX = true
	cfg.DisableWebseeds = true
	cfg.DisableWebtorrent = true
	cfg.IPBlocklist = LoopbackOnly{}
	cfg.Seed = true
	cfg.MaxAllocPeerRequestDataPerConn = peerRequestAlloc
	cfg.Slogger = logger()
	return cfg
}

// loopbackHost picks the listen host for one of anacrolix's networks
// ("tcp4", "tcp6", "udp4", "udp6").
func loopbackHost(network string) string {
	if strings.HasSuffix(network, "6") {
		return loopback6
	}
	return loopback4
}

// LoopbackOnly is an anacrolix IP block list that blocks every address that is
// not loopback, so no peer learnt by any route can be dialled or accepted.
type LoopbackOnly struct{}

// Lookup reports ip as blocked unless it is a loopback address.
func (LoopbackOnly) Lookup(ip net.IP) (iplist.Range, bool) {
	if ip.IsLoopback() {
		return iplist.Range{}, false
	}
	return iplist.Range{First: ip, Last: ip, Description: "not loopback"}, true
}

// NumRanges is part of iplist.Ranger.
func (LoopbackOnly) NumRanges() int { return 1 }

// Client is one anacrolix client and the directory its torrents' data is in.
type Client struct {
	*torrent.Client
	Dir string

	storage   storage.ClientImplCloser // anacrolix closes only storage it made itself
	closeOnce sync.Once
}

// NewClient starts a loopback-only client on dataDir; tweak, if given, may
// change the configuration (tests use it, the harness's defaults stay
// loopback-only). The client is closed when tb's test ends.
func NewClient(tb testing.TB, dataDir string, tweak ...func(*torrent.ClientConfig)) *Client {
	tb.Helper()
	if _, ok := os.LookupEnv(FileIOEnv); !ok {
		tb.Fatalf("%s is unset: run the tests through harness.Main in TestMain", FileIOEnv)
	}
	cfg := Config(dataDir)
	for _, f := range tweak {
		f(cfg)
	}
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		tb.Fatalf("starting anacrolix client: %v", err)
	}
	c := &Client{Client: cl, Dir: dataDir}
	c.storage, _ = cfg.DefaultStorage.(storage.ClientImplCloser)
	tb.Cleanup(c.Close)
	return c
}

// Close stops the client, waits until it says it is closed, and closes its
// storage. Closing twice is harmless.
func (c *Client) Close() {
	c.closeOnce.Do(func() {
		c.Client.Close()
		<-c.Client.Closed()
		if c.storage != nil {
			c.storage.Close()
		}
	})
}

// Addr4 returns the client's IPv4 loopback address: one address, so a
// leecher makes one connection, as `--peer 127.0.0.1:PORT` would.
func (c *Client) Addr4() netip.AddrPort {
	for _, ap := range c.Addrs() {
		if ap.Addr().Is4() {
			return ap
		}
	}
	return netip.AddrPort{}
}

// Addrs returns the loopback addresses the client accepts peers on.
func (c *Client) Addrs() []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range c.ListenAddrs() {
		ap, err := netip.ParseAddrPort(a.String())
		if err == nil {
			out = append(out, ap)
		}
	}
	return out
}

// Seed adds mi, whose data must already be under the client's directory,
// hashes every piece, and returns once the torrent is complete: an error if
// the data does not match the torrent.
func (c *Client) Seed(ctx context.Context, mi *metainfo.MetaInfo) (*torrent.Torrent, error) {
	t, err := c.AddTorrent(mi)
	if err != nil {
		return nil, fmt.Errorf("adding torrent: %w", err)
	}
	if err := waitInfo(ctx, t); err != nil {
		return nil, err
	}
	if err := t.VerifyDataContext(ctx); err != nil {
		return nil, fmt.Errorf("hashing seed data: %w", err)
	}
	// Verification has finished; anacrolix raises its Complete flag a little
	// later, so a short count means wrong data and a full one means wait.
	if t.BytesCompleted() != t.Length() {
		return nil, fmt.Errorf("seed data under %s does not match the torrent: %d of %d bytes verified",
			c.Dir, t.BytesCompleted(), t.Length())
	}
	return t, waitComplete(ctx, t)
}

// Download adds mi, connects to peers (which must be loopback addresses), and
// returns once anacrolix marks every piece complete (verified and written under
// the client's directory), or with ctx's error and the progress so far.
func (c *Client) Download(ctx context.Context, mi *metainfo.MetaInfo, peers ...netip.AddrPort) (*torrent.Torrent, error) {
	t, err := c.AddTorrent(mi)
	if err != nil {
		return nil, fmt.Errorf("adding torrent: %w", err)
	}
	if err := waitInfo(ctx, t); err != nil {
		return nil, err
	}
	infos := make([]torrent.PeerInfo, len(peers))
	for i, p := range peers {
		infos[i] = torrent.PeerInfo{Addr: net.TCPAddrFromAddrPort(p), Source: torrent.PeerSourceDirect}
	}
	if n := t.AddPeers(infos); n != len(peers) {
		return nil, fmt.Errorf("anacrolix took %d of the peers %v (only loopback peers are allowed)", n, peers)
	}
	t.DownloadAll()
	return t, waitComplete(ctx, t)
}

// waitComplete waits for anacrolix's own signal that every piece of t is
// verified and stored.
func waitComplete(ctx context.Context, t *torrent.Torrent) error {
	select {
	case <-t.Complete().On():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %d of %d bytes complete after %w",
			t.Name(), t.BytesCompleted(), t.Length(), context.Cause(ctx))
	}
}

// waitInfo waits for the torrent's info, which AddTorrent of a full metainfo
// has already set; the wait makes that explicit.
func waitInfo(ctx context.Context, t *torrent.Torrent) error {
	select {
	case <-t.GotInfo():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for torrent info: %w", context.Cause(ctx))
	}
}

// LogEnv names the environment variable that, set to any value, sends
// anacrolix's log (debug level) to stderr; by default it is discarded.
const LogEnv = "BITCLONE_INTEROP_LOG"

func logger() *slog.Logger {
	if _, ok := os.LookupEnv(LogEnv); ok {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
