package fakepeer

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func seeder(t *testing.T, q Quirks, has func(int) bool) (*Seeder, string) {
	t.Helper()
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096/16*3+10) // 3 full pieces and a short one
	s := &Seeder{ID: sha1.Sum(data), PieceSize: 4096, Data: data, Has: has, Quirks: q}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return s, ln.Addr().String()
}

// The spec's own examples, byte for byte.
func TestFramesMatchTheSpec(t *testing.T) {
	if got := Frame(PieceRequest, Index(2, 0)); !bytes.Equal(got, []byte{1, 3, 0, 1, 2}) {
		t.Fatalf("piece request %x", got)
	}
	if got := Frame(ErrorResponse, []byte("Piece index out of range")); !bytes.HasPrefix(got, []byte{1, 5, 0, 0x18, 0x50}) {
		t.Fatalf("error %x", got)
	}
	if got := Index(0, 2); !bytes.Equal(got, []byte{0, 0}) {
		t.Fatalf("fixed width index %x", got)
	}
	if got := Index(300, 0); !bytes.Equal(got, []byte{1, 0x2c}) {
		t.Fatalf("fewest bytes %x", got)
	}
}

func TestFetchesEveryPieceWithEitherIndexWidth(t *testing.T) {
	s, addr := seeder(t, Quirks{}, nil)
	for _, width := range []int{0, 2, 4} {
		got, err := Fetch(addr, s.ID, []int{3, 0, 1, 2}, FetchOptions{IndexWidth: width, Pipeline: 3, OneRecv: true})
		if err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		var whole []byte
		for i := range 4 {
			whole = append(whole, got[i]...)
		}
		if !bytes.Equal(whole, s.Data) {
			t.Fatalf("width %d: data differs", width)
		}
	}
}

func TestClaimAllAnswersMissingPiecesWithErrors(t *testing.T) {
	s, addr := seeder(t, Quirks{ClaimAll: true}, func(i int) bool { return i == 0 })
	if _, err := Fetch(addr, s.ID, []int{0}, FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := Fetch(addr, s.ID, []int{1}, FetchOptions{})
	if err == nil || !strings.Contains(err.Error(), "Piece not available") {
		t.Fatalf("got %v", err)
	}
	if s.bitfield()[0] != 0xf0 {
		t.Fatalf("bitfield %x claims less than all", s.bitfield())
	}
}

func TestSplitWritesTearFramesForOneRecvPeers(t *testing.T) {
	s, addr := seeder(t, Quirks{SplitWrites: true, SplitGap: 50 * time.Millisecond}, nil)
	_, err := Fetch(addr, s.ID, []int{0}, FetchOptions{OneRecv: true})
	if !errors.Is(err, ErrTornFrame) {
		t.Fatalf("got %v, want a torn frame", err)
	}
	if _, err := Fetch(addr, s.ID, []int{0}, FetchOptions{}); err != nil {
		t.Fatalf("a careful reader must cope: %v", err)
	}
}

func TestCorruptAndCloseMidPiece(t *testing.T) {
	s, addr := seeder(t, Quirks{Corrupt: map[int]bool{1: true}, CloseMidPiece: 2, CloseMidPieceOn: true}, nil)
	got, err := Fetch(addr, s.ID, []int{0, 1}, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got[1], s.Data[4096:8192]) || !bytes.Equal(got[0], s.Data[:4096]) {
		t.Fatal("piece 1 not corrupted, or piece 0 corrupted")
	}
	if _, err := Fetch(addr, s.ID, []int{2}, FetchOptions{}); err == nil {
		t.Fatal("piece 2 arrived whole")
	}
	if r := s.Requests(); len(r) != 3 || r[2] != 2 {
		t.Fatalf("requests %v", r)
	}
}

func TestUnknownTorrentGetsAnError(t *testing.T) {
	_, addr := seeder(t, Quirks{}, nil)
	_, err := Fetch(addr, [20]byte{1}, []int{0}, FetchOptions{})
	if err == nil || !strings.Contains(err.Error(), "Unknown torrent") {
		t.Fatalf("got %v", err)
	}
}

// A frame of another version and a 5-byte index get an error frame, and
// the connection goes on (DIALECTS.md).
func TestMalformedFramesGetAnErrorAndTheConnectionGoesOn(t *testing.T) {
	s, addr := seeder(t, Quirks{}, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v2 := Frame(PieceRequest, []byte{1})
	v2[0] = 2
	for _, bad := range [][]byte{v2, Frame(PieceRequest, []byte{0, 0, 0, 0, 1})} {
		c.Write(bad)
		if typ, data, err := ReadFrame(c); err != nil || typ != ErrorResponse {
			t.Fatalf("%x: type %d %q %v", bad, typ, data, err)
		}
	}
	c.Write(Frame(HelloRequest, s.ID[:]))
	if typ, _, err := ReadFrame(c); err != nil || typ != HelloResponse {
		t.Fatalf("hello after: type %d %v", typ, err)
	}
}

func TestBitfieldQuirks(t *testing.T) {
	// 4 pieces: a seeder without the first two claims 0011.
	s := &Seeder{PieceSize: 1, Data: []byte("abcd"), Has: func(i int) bool { return i >= 2 }}
	if b := s.bitfield(); !bytes.Equal(b, []byte{0x30}) {
		t.Fatalf("bitfield %x", b)
	}
	s.Quirks.SpareBits = true
	if b := s.bitfield(); !bytes.Equal(b, []byte{0x3f}) {
		t.Fatalf("spare bits %x", b)
	}
	// 12 pieces, only the last four: an integer drops the zero first byte.
	s = &Seeder{PieceSize: 1, Data: []byte("abcdefghijkl"), Has: func(i int) bool { return i >= 8 }, Quirks: Quirks{ShortBitfield: true}}
	if b := s.bitfield(); !bytes.Equal(b, []byte{0xf0}) {
		t.Fatalf("short bitfield %x", b)
	}
}
