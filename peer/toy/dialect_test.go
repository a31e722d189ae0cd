package toy

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/peer"
)

func TestDialectEncodesWhatUsersType(t *testing.T) {
	d := NewDialect(3)
	for _, tc := range []struct {
		line string
		ok   func(toy.Message) bool
	}{
		{"ping", func(m toy.Message) bool { return m.Type == toy.CmdPing && m.HasID && m.ID > 0 }},
		{"getpeerlist", func(m toy.Message) bool { return m.Type == toy.CmdGetPeerList && m.HasID }},
		{"search cool.txt", func(m toy.Message) bool {
			return m.Type == toy.CmdSearch && m.Filename == "cool.txt" && m.HasTTL && m.TTL == 3
		}},
		{"getfile cool.txt", func(m toy.Message) bool { return m.Type == toy.CmdGetFile && m.Filename == "cool.txt" && !m.HasChunk }},
		{"{msgtype: search, msgid: 7, filename: cool.txt}", func(m toy.Message) bool {
			return m.Type == toy.CmdSearch && m.ID == 7 && !m.HasTTL // sent as typed: nothing added
		}},
	} {
		frame, err := d.Encode(tc.line)
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		m, err := toy.Decode(frame)
		if err != nil || !tc.ok(m) {
			t.Errorf("%q: %+v, %v", tc.line, m, err)
		}
	}
	if raw, err := d.Encode("raw 81 a7 6d 73 67 74 79 70 65 a4 70 69 6e 67"); err != nil || string(raw) != "\x81\xa7msgtype\xa4ping" {
		t.Errorf("raw: %q, %v (sent byte for byte, no msgid added)", raw, err)
	}
	if _, err := d.Encode("{msgtype: search"); err == nil {
		t.Error("an unclosed map was encoded")
	}
	a, _ := d.Encode("ping")
	b, _ := d.Encode("ping")
	if string(a) == string(b) {
		t.Error("two pings with one msgid")
	}
	if d.Class(toy.CmdPing) != peer.ClassKeepalive || d.Class(toy.CmdSearch) != peer.ClassData || d.Class(toy.CmdUnknown) != peer.ClassUnknown {
		t.Error("classes")
	}
	if !d.Binary || !d.Framing.Datagrams || d.Name != "toy" || len(d.Messages) != 8 || d.Hint == "" {
		t.Errorf("dialect %+v", d)
	}
	if got := d.Templates("se", peer.TemplateContext{}); len(got) == 0 || !strings.HasPrefix(got[0], "search") {
		t.Errorf("templates for se: %v", got)
	}
}

func TestPanesShowSearchesAndFiles(t *testing.T) {
	cfg := testConfig(t)
	cfg.Share = shareDir(t, map[string][]byte{"a.txt": []byte("a")})
	n := startNode(t, cfg)
	other := netip.MustParseAddrPort("127.0.0.1:9") // discard: nobody answers
	n.Search("cool.txt")
	if err := n.Fetch("big.bin", other); err != nil {
		t.Fatal(err)
	}
	d := n.Dialect()
	s := n.Snapshot()
	if len(d.Panes) != 2 {
		t.Fatalf("%d panes", len(d.Panes))
	}
	searches := strings.Join(d.Panes[0].Rows(s, 100, 10), "\n")
	files := strings.Join(d.Panes[1].Rows(s, 100, 10), "\n")
	if !strings.Contains(searches, "cool.txt  ttl 6") || !strings.Contains(searches, "no result yet") {
		t.Errorf("searches pane:\n%s", searches)
	}
	if !strings.Contains(files, "share: "+cfg.Share) || !strings.Contains(files, "big.bin  from 127.0.0.1:9  asking") {
		t.Errorf("files pane:\n%s", files)
	}
	if d.Panes[0].Want(s, 100) != 1 || d.Panes[1].Want(s, 100) != 2 {
		t.Errorf("want %d and %d rows", d.Panes[0].Want(s, 100), d.Panes[1].Want(s, 100))
	}
	empty := NewDialect(0).Panes[0].Rows(peer.Snapshot{}, 100, 10)
	if len(empty) != 1 || !strings.Contains(empty[0], "no searches yet") {
		t.Errorf("empty pane: %v", empty)
	}
}
