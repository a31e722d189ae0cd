package nibble

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/check/checktest"
	wire "github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
)

// theSuite is this package's suite, for the shared test helpers.
var theSuite = checktest.Suite[Options]{Run: Run, Names: Names, Settings: Settings}

func runSuite(t *testing.T, addr string, o Options) (*check.Report, string) {
	t.Helper()
	return theSuite.Report(t, addr, o)
}

// The test torrent: 12 pieces of 1 KiB, the last one short, every piece
// different (a reader that takes the wrong index gets other data).
const (
	testPieceSize = 1024
	testPieces    = 12
)

func testFile() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, (testPieces-1)*testPieceSize+500)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testTorrent(t *testing.T, data []byte) *wire.Torrent {
	t.Helper()
	tor, err := wire.MakeTorrent(bytes.NewReader(data), "file.bin", "http://127.0.0.1:6969/announce", testPieceSize)
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

// startSeeder serves the test file with the quirks q, the pieces has says
// (nil: all), on loopback until the test ends.
func startSeeder(t *testing.T, q fakepeer.Quirks, has func(int) bool) (*wire.Torrent, string) {
	t.Helper()
	data := testFile()
	tor := testTorrent(t, data)
	s := &fakepeer.Seeder{ID: tor.ID, PieceSize: testPieceSize, Data: data, Has: has, Quirks: q}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return tor, ln.Addr().String()
}

func fastOptions(tor *wire.Torrent) Options {
	return Options{Options: check.Options{Timeout: time.Second, Pace: 5 * time.Millisecond}, Torrent: tor}
}

// A correct seeder passes every check, and so does one that writes each
// frame's header and payload apart (legal).
func TestCorrectSeederPasses(t *testing.T) {
	for name, q := range map[string]fakepeer.Quirks{
		"correct":      {},
		"split writes": {SplitWrites: true, SplitGap: 10 * time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			tor, addr := startSeeder(t, q, nil)
			o := fastOptions(tor)
			var progress []string
			o.Progress = func(oc check.Outcome) { progress = append(progress, oc.Name) }
			r, text := runSuite(t, addr, o)
			for _, oc := range r.Outcomes {
				if oc.Verdict != check.Pass {
					t.Errorf("%s: %s: %s\n  sent %s\n  got  %s", oc.Name, oc.Verdict, oc.Detail, oc.Sent, oc.Got)
				}
			}
			if len(r.Outcomes) != len(Names()) || strings.Join(progress, " ") != strings.Join(Names(), " ") {
				t.Errorf("progress %v", progress)
			}
			if !r.OK() || !strings.HasSuffix(text, "PASS: "+addr+" conforms\n") {
				t.Errorf("report:\n%s", text)
			}
			if oc, _ := r.Outcome("claimed-pieces"); !strings.HasPrefix(oc.Detail, "all 12 claimed pieces arrived, SHA-1 right") {
				t.Errorf("claimed-pieces: %s", oc.Detail)
			}
			t.Logf("\n%s", text)
		})
	}
}

// Each of the classmates' quirks fails (or, where the spec is silent,
// warns on) exactly the checks that are about it, with a detail that says
// what was wrong; checks that cannot be judged are not run and say why.
func TestQuirksFailTheirChecks(t *testing.T) {
	notPiece7 := func(i int) bool { return i != 7 }
	tests := []struct {
		name   string
		q      fakepeer.Quirks
		has    func(int) bool
		want   map[string]check.Verdict // the rest pass
		detail map[string]string        // a part of the detail
	}{
		{name: "short bitfield", q: fakepeer.Quirks{ShortBitfield: true}, has: func(i int) bool { return i >= 8 },
			want: map[string]check.Verdict{"bitfield": check.Fail, "index-1-byte": check.Skip, "index-2-bytes": check.Skip,
				"index-4-bytes": check.Skip, "claimed-pieces": check.Skip, "batch": check.Skip},
			detail: map[string]string{"bitfield": "1 byte (f0) for 12 pieces, want 2: short, as from a peer that writes the bitfield through an integer",
				"index-1-byte": "not run: its bitfield has the wrong length, so which pieces it claims is a guess (see bitfield)"}},
		{name: "spare bits", q: fakepeer.Quirks{SpareBits: true},
			want:   map[string]check.Verdict{"bitfield": check.Fail},
			detail: map[string]string{"bitfield": "spare bits set: the last byte is ff, and for 12 pieces its low 4 bits must be zero"}},
		{name: "hello for any torrent", q: fakepeer.Quirks{HelloAnyTorrent: true},
			want:   map[string]check.Verdict{"unknown-torrent": check.Fail},
			detail: map[string]string{"unknown-torrent": "it answered a hello-response for torrent "}},
		{name: "fixed 2-byte index reader", q: fakepeer.Quirks{IndexBytes: 2},
			want:   map[string]check.Verdict{"index-4-bytes": check.Fail},
			detail: map[string]string{"index-4-bytes": "piece 11: 1024 bytes, want 500: it is piece 0's data"}},
		{name: "close on out of range", q: fakepeer.Quirks{CloseOnOutOfRange: true},
			want:   map[string]check.Verdict{"out-of-range": check.Fail},
			detail: map[string]string{"out-of-range": "the peer closed the connection without an error frame"}},
		{name: "claims all", q: fakepeer.Quirks{ClaimAll: true}, has: notPiece7,
			want:   map[string]check.Verdict{"claimed-pieces": check.Fail},
			detail: map[string]string{"claimed-pieces": "all 12 claimed pieces: 11 of 12 right; piece 7: an error frame: Piece not available"}},
		{name: "corrupt", q: fakepeer.Quirks{Corrupt: map[int]bool{7: true}},
			want:   map[string]check.Verdict{"claimed-pieces": check.Fail},
			detail: map[string]string{"claimed-pieces": "piece 7: its SHA-1 does not match piece 7's"}},
		{name: "close mid piece", q: fakepeer.Quirks{CloseMidPiece: 7, CloseMidPieceOn: true},
			want:   map[string]check.Verdict{"claimed-pieces": check.Fail},
			detail: map[string]string{"claimed-pieces": "all 12 claimed pieces: 7 of 12 right; piece 7: a broken frame: the connection closed in the middle of a frame (514 of 1028 bytes); then piece 8: the peer closed the connection"}},
		{name: "error mid transfer", q: fakepeer.Quirks{ErrorMidTransfer: 6},
			want:   map[string]check.Verdict{"claimed-pieces": check.Fail},
			detail: map[string]string{"claimed-pieces": "piece 5: an error frame: Piece not available"}},
		{name: "one recv per frame", q: fakepeer.Quirks{OneRecv: true},
			want: map[string]check.Verdict{"split-frame": check.Fail, "batch": check.Fail},
			detail: map[string]string{"split-frame": "the split hello got error Unknown torrent, not a hello-response: it read the header alone as a frame",
				"batch": "answered 1 of 4, then: the peer stopped answering (nothing within 1s); the rest of the segment was lost"}},
		{name: "any index width", q: fakepeer.Quirks{AnyIndexWidth: true},
			want:   map[string]check.Verdict{"index-5-bytes": check.Fail},
			detail: map[string]string{"index-5-bytes": "it acted on it: it sent 500 bytes of piece data"}},
		{name: "ignores the version", q: fakepeer.Quirks{IgnoreVersion: true},
			want:   map[string]check.Verdict{"version-2": check.Warn},
			detail: map[string]string{"version-2": "it acted on it: it sent 500 bytes of piece data"}},
		{name: "silent on unknown types", q: fakepeer.Quirks{SilentOnUnknownType: true},
			want:   map[string]check.Verdict{"unknown-type": check.Fail},
			detail: map[string]string{"unknown-type": "no error frame: the peer stopped answering (nothing within 1s)"}},
		{name: "close after errors", q: fakepeer.Quirks{CloseAfterErrors: true},
			want: map[string]check.Verdict{"unknown-torrent": check.Warn, "out-of-range": check.Warn,
				"index-5-bytes": check.Warn, "version-2": check.Warn, "unknown-type": check.Warn},
			detail: map[string]string{"unknown-torrent": "an error frame (Unknown torrent), then it closed the connection; DIALECTS.md: keep it",
				"out-of-range": "an error frame (Piece index out of range), then it closed the connection; DIALECTS.md: keep it"}},
		{name: "one connection at a time", q: fakepeer.Quirks{OneConnAtATime: true},
			want:   map[string]check.Verdict{"five-connections": check.Fail},
			detail: map[string]string{"five-connections": "connection 2 of 5: no hello-response: the peer stopped answering (nothing within 1s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tor, addr := startSeeder(t, tt.q, tt.has)
			r, text := runSuite(t, addr, fastOptions(tor))
			for _, oc := range r.Outcomes {
				want, ok := tt.want[oc.Name]
				if !ok {
					want = check.Pass
				}
				if oc.Verdict != want {
					t.Errorf("%s: %s, want %s: %s", oc.Name, oc.Verdict, want, oc.Detail)
				}
				if d := tt.detail[oc.Name]; d != "" && !strings.Contains(oc.Detail, d) {
					t.Errorf("%s: detail %q lacks %q", oc.Name, oc.Detail, d)
				}
			}
			failed := false
			for _, v := range tt.want {
				failed = failed || v == check.Fail
			}
			if r.OK() == failed || r.DiedIn != "" || r.NoHandshake != "" {
				t.Errorf("OK %v, died in %q, no hello in %q", r.OK(), r.DiedIn, r.NoHandshake)
			}
			t.Logf("\n%s", text)
		})
	}
}

// A peer that does not serve our torrent: the hello check says so, once,
// and the rest are not run, pointing at it.
func TestNoHelloIsTheRootCause(t *testing.T) {
	_, addr := startSeeder(t, fakepeer.Quirks{}, nil)
	other := testTorrent(t, []byte("another file"))
	r, text := runSuite(t, addr, fastOptions(other))
	checktest.ExpectRootCause(t, r, text, "hello", "hello",
		`handshake: waiting for its hello-response: it answered an error frame, "Unknown torrent": does it serve torrent `+other.ID.String()+"?")
}

// A peer that reads our hello and never answers: the hello check says
// so, after one timeout, and the rest are not run.
func TestSilentPeerIsTheRootCause(t *testing.T) {
	r, _ := runSuite(t, checktest.SilentServer(t), fastOptions(testTorrent(t, testFile())))
	hello, _ := r.Outcome("hello")
	if want := "handshake: waiting for its hello-response: the peer stopped answering (nothing within 1s)"; r.NoHandshake != "hello" || hello.Detail != want {
		t.Errorf("no hello in %q; hello: %q, want %q", r.NoHandshake, hello.Detail, want)
	}
	if c := r.Counts(); c.Fail != 1 || c.NotRun != len(Names())-1 {
		t.Errorf("counts %+v", c)
	}
}

// A torrent with more claimed pieces than FetchAll: a sample, the first
// and the last included, and the report names them.
func TestClaimedPiecesSample(t *testing.T) {
	tor, addr := startSeeder(t, fakepeer.Quirks{}, nil)
	o := fastOptions(tor)
	o.FetchAll, o.Sample = 5, 3
	e, err := newEnv(context.Background(), addr, o, check.TCP{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := probeClaimed(e)
	if want := "a sample of 5 of the 12 claimed pieces (0, 2, 5, 8, 11) arrived, SHA-1 right"; r.Verdict != check.Pass || !strings.HasPrefix(r.Detail, want) {
		t.Errorf("%s %q, want %q", r.Verdict, r.Detail, want)
	}
}

// The peer's text reaches the report raw and is escaped once, by the text
// report; hello responses show their bitfield's bytes.
func TestWordsKeepPeerTextRaw(t *testing.T) {
	evil := wire.ErrorFrame("bad\x1b[2J")
	bf, _ := wire.Encode(wire.TypeHelloResponse, []byte{0xff, 0xf0})
	if got, want := words(evil, bf, wire.PieceRequestWidth(11, 4)), "error bad\x1b[2J · hello-response ff f0 · piece-request 11 (4 bytes)"; got != want {
		t.Errorf("words %q, want %q", got, want)
	}
	r := &check.Report{Target: "x", Outcomes: []check.Outcome{{Name: "hello", Result: check.Result{Verdict: check.Fail, Got: words(evil)}}}}
	var text bytes.Buffer
	r.WriteText(&text, Names(), "", check.TextOptions{})
	if strings.Contains(text.String(), "\x1b") || !strings.Contains(text.String(), `got     error bad\x1b[2J`) {
		t.Errorf("text:\n%s", text.String())
	}
}
