package bitclone

import (
	"context"
	"errors"
	"net/netip"

	"github.com/bitclone/bitclone/peer"
)

// Node is a BitClone peer. Create it with New, bind with Listen, serve with Run.
type Node struct {
	cfg Config
	bus *peer.Bus
}

// Option changes how a Node is built (tests inject a dialer or a seed).
type Option func(*Node)

// New makes a node; nothing runs until Run.
func New(cfg Config, opts ...Option) *Node {
	n := &Node{cfg: cfg.withDefaults()}
	n.bus = peer.NewBus(n.cfg.EventBacklog)
	for _, o := range opts {
		o(n)
	}
	return n
}

// Listen binds the listening socket, so that a busy port is reported before
// any front end starts. Run calls it if it has not been called.
func (n *Node) Listen() error { return errors.New("not yet") }

// Addr is the listening address (valid after Listen).
func (n *Node) Addr() netip.AddrPort { return netip.AddrPort{} }

// Run serves until ctx ends, then closes every connection, saves the peers
// file and closes the event channel.
func (n *Node) Run(ctx context.Context) error { <-ctx.Done(); n.bus.Close(); return nil }

func (n *Node) Events() <-chan peer.Event  { return n.bus.Events() }
func (n *Node) Do(c peer.Command) error    { return errors.New("not yet") }
func (n *Node) Snapshot() peer.Snapshot    { return peer.Snapshot{} }
func (n *Node) Validate(line string) error { return nil }
