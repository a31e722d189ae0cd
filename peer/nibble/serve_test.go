package nibble

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// seedNode runs a node that has the whole file on disk.
func seedNode(t *testing.T, data []byte, pieceSize int) *testNode {
	tor := testTorrent(t, data, pieceSize)
	cfg := fastConfig(tor, t.TempDir())
	if err := os.WriteFile(filepath.Join(cfg.Dir, tor.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n := runNode(t, cfg)
	n.WaitText(peer.KindInfo, "seeding")
	return n
}

// dialNode connects to n as a classmate's peer would.
func dialNode(t *testing.T, n *testNode) scripted {
	c, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return scripted{t, c}
}

func TestServesPiecesToPeersThatReadOneFramePerRecvWithAnyIndexWidth(t *testing.T) {
	data := nodetest.Pattern(300*4096+5, 20) // 301 pieces: indexes past one byte
	n := seedNode(t, data, 4096)
	tor := n.t0()
	piece := func(i int) []byte { return data[i*4096 : min(len(data), (i+1)*4096)] }
	for _, tc := range []struct {
		width  int
		pieces []int
	}{
		{0, []int{0, 255, 256, 300}},
		{1, []int{0, 1, 255}},
		{2, []int{0, 256, 300}},
		{4, []int{3, 299, 300}},
	} {
		got, err := fakepeer.Fetch(n.Addr().String(), tor.ID, tc.pieces, fakepeer.FetchOptions{IndexWidth: tc.width, OneRecv: true})
		if err != nil {
			t.Fatalf("width %d: %v", tc.width, err)
		}
		for _, i := range tc.pieces {
			if !bytes.Equal(got[i], piece(i)) {
				t.Errorf("width %d: piece %d differs", tc.width, i)
			}
		}
	}
	// A pipelining peer gets its answers in order.
	all := make([]int, tor.NumPieces())
	for i := range all {
		all[i] = len(all) - 1 - i
	}
	got, err := fakepeer.Fetch(n.Addr().String(), tor.ID, all, fakepeer.FetchOptions{Pipeline: 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range all {
		if !bytes.Equal(got[i], piece(i)) {
			t.Fatalf("pipelined: piece %d differs", i)
		}
	}
	if _, up := n.Traffic(); up < int64(len(data)) {
		t.Errorf("uploaded %d bytes by the node's count, served at least %d", up, len(data))
	}
}

func TestServingAnswersBadFramesWithErrorFramesAndGoesOn(t *testing.T) {
	data := nodetest.Pattern(10*4096, 21)
	n := seedNode(t, data, 4096)
	tor := n.t0()
	p := dialNode(t, n)
	errorText := func(want string) {
		t.Helper()
		if got := string(p.expect(fakepeer.ErrorResponse)); got != want {
			t.Errorf("error frame %q, want %q", got, want)
		}
	}
	other := tor.ID
	other[0] ^= 1
	p.write(fakepeer.Frame(fakepeer.HelloRequest, other[:]))
	errorText("Unknown torrent")
	p.write(fakepeer.Frame(fakepeer.HelloRequest, tor.ID[:5]))
	errorText(reasonBadHello)
	p.write(fakepeer.Frame(fakepeer.HelloRequest, tor.ID[:]))
	if bf := p.expect(fakepeer.HelloResponse); !bytes.Equal(bf, []byte{0xff, 0xc0}) {
		t.Errorf("bitfield %x, want ffc0 (10 pieces, spare bits zero)", bf)
	}
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{10}))
	errorText("Piece index out of range")
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{0xff, 0xff, 0xff, 0xff}))
	errorText("Piece index out of range")
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{0, 0, 0, 0, 1}))
	errorText(reasonBadIndex)
	p.write([]byte{2, fakepeer.PieceRequest, 0, 1, 1}) // version 2
	errorText(reasonVersion)
	p.write([]byte{1, 0x09, 0, 2, 'h', 'i'}) // no such type
	errorText(reasonType)
	// Error frames are never answered: the next frame is the piece.
	p.write(fakepeer.Frame(fakepeer.ErrorResponse, []byte("Piece index out of range")))
	p.write([]byte{2, fakepeer.ErrorResponse, 0, 1, 'x'})
	p.write(fakepeer.Frame(fakepeer.PieceRequest, nil)) // no index: piece 0
	if got := p.expect(fakepeer.PieceResponse); !bytes.Equal(got, data[:4096]) {
		t.Error("piece 0 differs")
	}
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{0, 0, 0, 9}))
	if got := p.expect(fakepeer.PieceResponse); !bytes.Equal(got, data[9*4096:]) {
		t.Error("piece 9 differs")
	}
	// The log names the piece sent, though the frame does not.
	n.WaitText(peer.KindSend, "piece-response 9 (4096 bytes)")
	n.WaitText(peer.KindRecv, "piece-request 9 (4 bytes)")
}

func TestALeecherServesOnlyVerifiedPieces(t *testing.T) {
	data := nodetest.Pattern(10*4096, 22)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	// Piece 3 is on disk and good, piece 4 is on disk and bad.
	part := make([]byte, len(data))
	copy(part[3*4096:], data[3*4096:4*4096])
	copy(part[4*4096:], data[3*4096:4*4096])
	if err := os.WriteFile(filepath.Join(cfg.Dir, "."+tor.FileName+".part"), part, 0o644); err != nil {
		t.Fatal(err)
	}
	n := runNode(t, cfg)
	n.WaitText(peer.KindInfo, "partial, 1/10 pieces verified")
	p := dialNode(t, n)
	p.write(fakepeer.Frame(fakepeer.HelloRequest, tor.ID[:]))
	if bf := p.expect(fakepeer.HelloResponse); !bytes.Equal(bf, []byte{0x10, 0}) {
		t.Errorf("bitfield %x, want 1000 (piece 3 only)", bf)
	}
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{4}))
	if got := string(p.expect(fakepeer.ErrorResponse)); got != reasonNotAvailable {
		t.Errorf("error %q for a piece that failed its hash", got)
	}
	p.write(fakepeer.Frame(fakepeer.PieceRequest, []byte{3}))
	if got := p.expect(fakepeer.PieceResponse); !bytes.Equal(got, data[3*4096:4*4096]) {
		t.Error("piece 3 differs")
	}
}

func TestResumesFromTheDiskAndAsksOnlyForWhatIsMissing(t *testing.T) {
	data := nodetest.Pattern(40*4096, 23)
	tor := testTorrent(t, data, 4096)
	cfg := fastConfig(tor, t.TempDir())
	part := make([]byte, len(data))
	copy(part, data[:10*4096]) // the first ten pieces, as a killed download leaves them
	if err := os.WriteFile(filepath.Join(cfg.Dir, "."+tor.FileName+".part"), part, 0o644); err != nil {
		t.Fatal(err)
	}
	s, a := startSeeder(t, tor, data, fakepeer.Quirks{}, nil)
	cfg.Peers = append(cfg.Peers, a)
	n := runNode(t, cfg)
	n.WaitText(peer.KindInfo, "partial, 10/40 pieces verified")
	n.waitComplete(data)
	for _, i := range s.Requests() {
		if i < 10 {
			t.Errorf("asked again for piece %d, verified on disk", i)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "."+tor.FileName+".part")); !os.IsNotExist(err) {
		t.Errorf("the .part file is still there: %v", err)
	}
}

func TestServesWhatItDownloaded(t *testing.T) {
	data := nodetest.Pattern(20*4096, 24)
	tor := testTorrent(t, data, 4096)
	_, a := startSeeder(t, tor, data, fakepeer.Quirks{}, nil)
	cfg := fastConfig(tor, t.TempDir())
	cfg.Peers = []netip.AddrPort{a}
	n := runNode(t, cfg)
	n.waitComplete(data)
	got, err := fakepeer.Fetch(n.Addr().String(), tor.ID, []int{0, 19}, fakepeer.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[19], data[19*4096:]) {
		t.Error("piece 19 differs")
	}
	// The hello response after completion claims everything.
	p := dialNode(t, n)
	p.write(fakepeer.Frame(fakepeer.HelloRequest, tor.ID[:]))
	if bf := p.expect(fakepeer.HelloResponse); !bytes.Equal(bf, []byte{0xff, 0xff, 0xf0}) {
		t.Errorf("bitfield %x after completion", bf)
	}
}
