package bt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/bittorrent"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestDialectSpeaksBitTorrentInWords(t *testing.T) {
	data := nodetest.Pattern(100<<10, 1)
	tor := testTorrent(t, data, 32<<10)
	n, err := New(fastConfig(tor, t.TempDir(), 1))
	if err != nil {
		t.Fatal(err)
	}
	defer n.store.Close()
	d := n.Dialect()
	if d.Name != "bt" || !d.Binary || d.Hint == "" || len(d.Messages) == 0 {
		t.Fatalf("dialect %+v", d)
	}
	for line, want := range map[string][]byte{
		"have 3":             {0, 0, 0, 5, 4, 0, 0, 0, 3},
		"interested":         {0, 0, 0, 1, 2},
		"unchoke":            {0, 0, 0, 1, 1},
		"request 0 0 16384":  {0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0},
		"cancel 0 0 16384":   {0, 0, 0, 13, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0},
		"keepalive":          {0, 0, 0, 0},
		"bitfield f0":        {0, 0, 0, 2, 5, 0xf0},
		"raw 00 00 00 01 03": {0, 0, 0, 1, 3},
	} {
		got, err := d.Encode(line)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: % x, %v; want % x", line, got, err, want)
		}
	}
	// A bare handshake is ours: this torrent's info_hash, our peer_id.
	hs, err := d.Encode("handshake")
	h, perr := bittorrent.ParseHandshake(hs)
	if err != nil || perr != nil || h.InfoHash != bittorrent.InfoHash(tor.InfoHash) || h.PeerID != n.PeerID() {
		t.Errorf("handshake: %v %v %+v", err, perr, h)
	}
	// piece I B @FILE reads the file, in the dialect and in Validate.
	file := filepath.Join(t.TempDir(), "block")
	os.WriteFile(file, data[:16384], 0o644)
	got, err := d.Encode("piece 0 0 @" + file)
	if err != nil || !bytes.Equal(got, bittorrent.AppendPiece(nil, 0, 0, data[:16384])) {
		t.Errorf("piece @FILE: %v", err)
	}
	if v := n.Validate("piece 0 0 @" + file); v.Level == peer.Level(bittorrent.Invalid) {
		t.Errorf("Validate(piece @FILE): %+v", v)
	}
	if v := n.Validate("have 4"); v.Level != peer.Level(bittorrent.Invalid) {
		t.Errorf("have 4 of a 4-piece torrent: %+v, want invalid", v)
	}
	if got := d.Templates("req", peer.TemplateContext{}); len(got) == 0 || !strings.HasPrefix(got[0], "request ") {
		t.Errorf("templates for req: %q", got)
	}
	// The log reads a bitfield with the torrent's piece count.
	if got := string(d.Framing.Text([]byte{0, 0, 0, 2, 5, 0xa0})); !strings.Contains(got, "4 pieces, 2 have") {
		t.Errorf("bitfield in words: %q", got)
	}
}

func TestFramingReadsARecordedStream(t *testing.T) {
	var id bittorrent.PeerID
	stream := bittorrent.Handshake{PeerID: id}.Bytes()
	stream = bittorrent.AppendSimple(stream, bittorrent.IDInterested)
	stream = bittorrent.AppendRequest(stream, 1, 16384, 16384)
	f := Framing()
	r := f.NewReader(bytes.NewReader(stream))
	var cmds []string
	for {
		frame, err := r.Next()
		if err != nil {
			break
		}
		cmds = append(cmds, f.Command(frame)+"|"+string(f.Text(frame)))
	}
	want := []string{"handshake|", "interested|interested", "request|request 1 16384 16384"}
	if len(cmds) != 3 || !strings.HasPrefix(cmds[0], want[0]) || cmds[1] != want[1] || cmds[2] != want[2] {
		t.Errorf("frames %q, want %q", cmds, want)
	}
}

func TestUserMessagesSetOurFlags(t *testing.T) {
	data := nodetest.Pattern(100<<10, 2)
	tor := testTorrent(t, data, 32<<10)
	s := seedNode(t, tor, data, 1)
	w := dialWire(t, s)
	w.handshake(tor.InfoHash, "-XX0000-flagspeer000")
	s.WaitText(peer.KindEstablished, "handshake")
	flags := func() string {
		for _, c := range s.Snapshot().Conns {
			for _, f := range c.Fields {
				if f.Label == "flags" {
					return f.Value
				}
			}
		}
		return ""
	}
	if got := flags(); got != "Ci/Ci" {
		t.Fatalf("flags %q after the handshake, want Ci/Ci", got)
	}
	line := "unchoke"
	frame, _ := s.Dialect().Encode(line)
	if err := s.Do(peer.Command{Op: peer.OpSend, Line: line, Frame: frame}); err != nil {
		t.Fatal(err)
	}
	for {
		f, ok := w.next()
		if !ok {
			t.Fatal("closed")
		}
		if bittorrent.CommandName(f) == bittorrent.CmdUnchoke {
			break
		}
	}
	w.send(bittorrent.AppendSimple(nil, bittorrent.IDInterested))
	w.send(bittorrent.AppendRequest(nil, 0, 0, 16384)) // served: the user unchoked it
	for {
		f, ok := w.next()
		if !ok {
			t.Fatal("closed")
		}
		if bittorrent.CommandName(f) == bittorrent.CmdPiece {
			break
		}
	}
	if got := flags(); got != "ci/CI" {
		t.Errorf("flags %q, want ci/CI", got)
	}
}
