package nibble

import (
	"bytes"
	"slices"
	"testing"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

func TestTheDialectTypesFramesForItsTorrent(t *testing.T) {
	tor := testTorrent(t, nodetest.Pattern(10*4096, 30), 4096)
	d := NewDialect(tor)
	if !d.Binary || d.Name != "nibble" {
		t.Errorf("dialect %q binary=%v", d.Name, d.Binary)
	}
	for line, want := range map[string][]byte{
		"hello":                 nibble.HelloRequest(tor.ID),
		"piece 41":              {1, 3, 0, 1, 41},
		"raw 01 03 00 01 29":    {1, 3, 0, 1, 0x29},
		"error Piece not found": nibble.ErrorFrame("Piece not found"),
	} {
		got, err := d.Encode(line)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Encode(%q) = %x, %v; want %x", line, got, err, want)
		}
	}
	if got := d.Templates("hello-r", peer.TemplateContext{}); len(got) != 1 || got[0] != "hello-response 1111111111" {
		t.Errorf("templates for hello-r: %q (want the torrent's 10 pieces)", got)
	}
	if !slices.Contains(d.Templates("he", peer.TemplateContext{}), "hello") {
		t.Error("a bare hello is offered once the torrent is known")
	}
	if d.ClassOf(nibble.CmdPieceResponse) != peer.ClassData || d.ClassOf(nibble.CmdError) != peer.ClassError || d.ClassOf(nibble.CmdUnknown) != peer.ClassUnknown {
		t.Error("classes")
	}
	if _, err := NewDialect(nil).Encode("hello"); err == nil {
		t.Error("a bare hello without a torrent was encoded")
	}
}

func TestValidateJudgesTypedFramesAgainstTheTorrent(t *testing.T) {
	tor := testTorrent(t, nodetest.Pattern(10*4096, 31), 4096)
	n := runNode(t, fastConfig(tor, t.TempDir()))
	for line, want := range map[string]peer.Level{
		"hello":                     peer.Valid,
		"piece 3":                   peer.Valid,
		"hello-response 11":         peer.Lenient, // 1 byte for 10 pieces
		"raw 02 03 00 01 00":        peer.Invalid,
		"piece-request 0 (0 bytes)": peer.Lenient,
	} {
		if v := n.Validate(line); v.Level != want {
			t.Errorf("Validate(%q) = %v %q, want level %v", line, v.Level, v.Text, want)
		}
	}
}
