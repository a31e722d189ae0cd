package headless

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
)

var snapshot = peer.Snapshot{
	At:        t0,
	Listen:    "0.0.0.0:8088",
	External:  "203.0.113.5:8088",
	Target:    5,
	Inbound:   0,
	Outbound:  1,
	PeersFile: "/state/bitclone/peers-8088.txt",
	Conns: []peer.ConnInfo{
		{ID: 1, Remote: "127.0.0.1:8081", Listen: "127.0.0.1:8081", Dir: peer.Outbound, State: peer.StateEstablished,
			UserAgent: "houser", Version: 3, Connected: t0.Add(-5*time.Minute - 7*time.Second), LastRecv: t0.Add(-2 * time.Second),
			PingLast: 1250 * time.Microsecond, PingMin: 500 * time.Microsecond,
			MsgsIn: 12, MsgsOut: 13, BytesIn: 1536, BytesOut: 300},
		{ID: 2, Remote: "127.0.0.1:50312", Dir: peer.Inbound, State: peer.StateHandshake,
			UserAgent: "\x1b[31mevil\tagent", Connected: t0.Add(-3 * time.Second), MsgsIn: 1, BytesIn: 80},
	},
	Addrs: []peer.AddrInfo{
		{Addr: "127.0.0.1:8081", LastActive: t0.Add(-3 * time.Second), Live: true, Connected: true, Source: "cli"},
		{Addr: "10.0.0.7:8088", Source: "gossip", From: "127.0.0.1:8081", Attempts: 2},
		{Addr: "10.0.0.9:8088", LastActive: t0.Add(-2 * time.Hour), Banned: true, Source: "inbound"},
	},
}

func TestPeersTable(t *testing.T) {
	node := newFake()
	node.snapshot = snapshot
	got := runCommands(t, node, ":peers\n", fixedOpts(false))
	want := `listening on 0.0.0.0:8088 (external 203.0.113.5:8088); established 0 in + 1 out, target 5
DIR  ADDRESS          LISTEN          AGENT                STATE        AGE    PING ms  LAST RECV  MSGS in/out  BYTES in/out
out  127.0.0.1:8081   127.0.0.1:8081  houser               established  5m07s  1.2/0.5  2s         12/13        1.5K/300
in   127.0.0.1:50312  -               \x1b[31mevil\tagent  handshake    3s     -        -          1/0          80/0
`
	if got != want {
		t.Errorf(":peers:\n%s\nwant:\n%s", got, want)
	}
}

func TestAddrsTable(t *testing.T) {
	node := newFake()
	node.snapshot = snapshot
	got := runCommands(t, node, ":addrs\n", fixedOpts(false))
	want := `3 addresses; peers file /state/bitclone/peers-8088.txt
ADDRESS         LAST ACTIVE  STATUS  SOURCE                     CONN
127.0.0.1:8081  3s ago       live    cli                        yes
10.0.0.7:8088   never        stale   gossip via 127.0.0.1:8081  no
10.0.0.9:8088   2h00m ago    banned  inbound                    no
`
	if got != want {
		t.Errorf(":addrs:\n%s\nwant:\n%s", got, want)
	}
}

func TestEmptyTables(t *testing.T) {
	node := newFake()
	node.snapshot = peer.Snapshot{At: t0, Listen: "0.0.0.0:8088", Target: 5, Dropped: 3, Suppressed: 1200}
	got := runCommands(t, node, ":peers\n:addrs\n", fixedOpts(false))
	want := "listening on 0.0.0.0:8088; established 0 in + 0 out, target 5; 3 message events dropped; 1200 warnings and connection events suppressed\n" +
		"no connections\n" +
		"0 addresses; no peers file\n"
	if got != want {
		t.Errorf("empty tables:\n%s\nwant:\n%s", got, want)
	}
}

func TestJSONTables(t *testing.T) {
	node := newFake()
	node.snapshot = snapshot
	node.snapshot.Suppressed = 7
	out := runCommands(t, node, ":peers\n:addrs\n", fixedOpts(true))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %q", out)
	}
	var peers, addrs struct {
		Kind, Command string
		Node          jsonNode
		Peers         []map[string]any
		Addrs         []map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &peers); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &addrs); err != nil {
		t.Fatal(err)
	}
	if peers.Kind != "result" || peers.Command != ":peers" || len(peers.Peers) != 2 || peers.Node.Outbound != 1 || peers.Node.Suppressed != 7 {
		t.Fatalf(":peers result: %s", lines[0])
	}
	p := peers.Peers[0]
	for k, want := range map[string]any{
		"conn": 1.0, "peer": "127.0.0.1:8081", "dir": "out", "state": "established", "agent": "houser",
		"ping_ms": 1.25, "ping_min_ms": 0.5, "msgs_in": 12.0, "bytes_in": 1536.0,
		"connected": "2026-11-21T21:24:54.123Z", "last_recv": "2026-11-21T21:29:59.123Z",
	} {
		if p[k] != want {
			t.Errorf(":peers[0].%s = %v, want %v", k, p[k], want)
		}
	}
	if _, ok := peers.Peers[1]["ping_ms"]; ok {
		t.Errorf("ping_ms should be absent before any pong: %v", peers.Peers[1])
	}
	if addrs.Command != ":addrs" || len(addrs.Addrs) != 3 ||
		addrs.Addrs[1]["status"] != "stale" || addrs.Addrs[1]["from"] != "127.0.0.1:8081" ||
		addrs.Addrs[2]["status"] != "banned" || addrs.Addrs[0]["has_conn"] != true || addrs.Addrs[1]["has_conn"] != false {
		t.Errorf(":addrs result: %s", lines[1])
	}
	// "connected" is one thing in every table: the time a connection was made.
	for _, a := range addrs.Addrs {
		if _, ok := a["connected"]; ok {
			t.Errorf(":addrs entry has a \"connected\" that is not a time: %v", a)
		}
	}
	if _, ok := addrs.Addrs[1]["last_active"]; ok {
		t.Errorf("last_active should be absent when never active: %v", addrs.Addrs[1])
	}
}

func TestJSONEmptyPeersIsAnArray(t *testing.T) {
	node := newFake()
	out := runCommands(t, node, ":peers\n", fixedOpts(true))
	if !strings.Contains(out, `"peers":[]`) {
		t.Errorf("no connections should be an empty array: %s", out)
	}
}
