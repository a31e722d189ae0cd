package cli

import (
	"context"
	"net/netip"

	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer"
	bt "github.com/bitclone/bitclone/peer/bittorrent"
	"github.com/bitclone/bitclone/tracker"
)

// btAnnounce makes the tracker client of bitclone bt: the torrent's
// announce URL through tracker.NewBTAnnouncer (started, completed, stopped,
// compact replies, backoff when the tracker is down).
func btAnnounce(t *metainfo.Torrent) func(bt.TrackerRequest) (bt.Tracker, error) {
	return func(req bt.TrackerRequest) (bt.Tracker, error) {
		if err := metainfo.CheckAnnounce(t.Announce); err != nil {
			return nil, err
		}
		return &btAnnouncer{url: t.Announce, req: req}, nil
	}
}

// btAnnouncer is a tracker.Announcer seen as a bt.Tracker.
type btAnnouncer struct {
	url string
	req bt.TrackerRequest
}

func (a *btAnnouncer) Run(ctx context.Context, peers chan<- []netip.AddrPort, note func(peer.Kind, string)) {
	ann, err := tracker.NewBTAnnouncer(tracker.BTConfig{
		URL: a.url, InfoHash: a.req.InfoHash, PeerID: a.req.PeerID, IP: a.req.IP, Port: a.req.Port,
		Stats: a.req.Stats,
		OnEvent: func(ev tracker.AnnounceEvent) {
			kind := peer.KindInfo
			if ev.Err != nil {
				kind = peer.KindWarn
			}
			note(kind, ev.String())
		},
	})
	if err != nil {
		note(peer.KindError, "tracker: "+err.Error())
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ann.Run(ctx) // sends stopped as ctx ends, then closes Peers
	}()
	completed := a.req.Completed
	for {
		select {
		case list, ok := <-ann.Peers():
			if !ok {
				<-done
				return
			}
			addrs := make([]netip.AddrPort, 0, len(list))
			for _, p := range list {
				addrs = append(addrs, p.Addr)
			}
			select {
			case peers <- addrs:
			case <-ctx.Done():
			}
		case <-completed:
			completed = nil // once
			if !a.req.CompleteAtStart {
				ann.Completed()
			}
		}
	}
}
