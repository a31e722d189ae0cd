package bt

import (
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/check/checktest"
	"github.com/bitclone/bitclone/codec/metainfo"
	"github.com/bitclone/bitclone/peer/bittorrent/fakebt"
)

// theSuite is this package's suite, for the shared test helpers.
var theSuite = checktest.Suite[Options]{Run: Run, Names: Names, Settings: Settings}

func runSuite(t *testing.T, addr string, o Options) (*check.Report, string) {
	t.Helper()
	return theSuite.Report(t, addr, o)
}

// The test torrent: 6 pieces of 32 KiB (two blocks each), the last one
// short, every piece different.
const (
	testPieceLength = 32 << 10
	testPieces      = 6
)

func testFile() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, (testPieces-1)*testPieceLength+1000)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testTorrent(t *testing.T, data []byte) *metainfo.Torrent {
	t.Helper()
	made, err := metainfo.Make(fstest.MapFS{"file.bin": {Data: data}}, "file.bin",
		metainfo.MakeOptions{Announce: "http://127.0.0.1:6969/announce", PieceLength: testPieceLength})
	if err != nil {
		t.Fatal(err)
	}
	return made.Torrent
}

// startSeeder serves the test file with the quirks q, the pieces has says
// (nil: all), on loopback until the test ends.
func startSeeder(t *testing.T, q fakebt.Quirks, has func(int) bool) (*metainfo.Torrent, string) {
	t.Helper()
	data := testFile()
	tor := testTorrent(t, data)
	s := &fakebt.Seeder{InfoHash: tor.InfoHash, PieceLength: testPieceLength, Data: data, Has: has, Quirks: q}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return tor, ln.Addr().String()
}

func fastOptions(tor *metainfo.Torrent) Options {
	return Options{Options: check.Options{Timeout: time.Second, Pace: 5 * time.Millisecond}, Torrent: tor}
}

// A correct seeder passes every check, and so do the legal habits of real
// clients: reserved bits, a lazy bitfield or none (haves instead), a
// second unchoke, dropping a peer that asks past the end.
func TestCorrectSeederPasses(t *testing.T) {
	for name, q := range map[string]fakebt.Quirks{
		"correct":         {},
		"reserved bits":   {ReservedBits: true},
		"lazy bitfield":   {LazyBitfield: true},
		"no bitfield":     {NoBitfield: true},
		"unchoke twice":   {UnchokeTwice: true},
		"close past end":  {ClosePastEnd: true},
		"handshake first": {HandshakeFirst: true},
		"unchoke first":   {UnchokeFirst: true},
		"rechokes":        {RechokeEvery: 5},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each against a seeder of its own; most of the time is waiting
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
			if strings.Join(progress, " ") != strings.Join(Names(), " ") {
				t.Errorf("progress %v", progress)
			}
			if !r.OK() || !strings.HasSuffix(text, "PASS: "+addr+" conforms\n") {
				t.Errorf("report:\n%s", text)
			}
			if oc, _ := r.Outcome("claimed-pieces"); !strings.HasPrefix(oc.Detail, "all 6 claimed pieces arrived, SHA-1 right") {
				t.Errorf("claimed-pieces: %s", oc.Detail)
			}
			t.Logf("\n%s", text)
		})
	}
}

// Each quirk fails exactly the checks that are about it, with a detail
// that says what was wrong; checks that cannot be judged are not run and
// say why.
func TestQuirksFailTheirChecks(t *testing.T) {
	tests := []struct {
		name   string
		q      fakebt.Quirks
		has    func(int) bool
		want   map[string]check.Verdict // the rest pass
		detail map[string]string        // a part of the detail
	}{
		{name: "wrong info_hash echo", q: fakebt.Quirks{WrongInfoHash: true},
			want:   map[string]check.Verdict{"handshake": check.Fail},
			detail: map[string]string{"handshake": "its info_hash is "}},
		{name: "accepts any info_hash", q: fakebt.Quirks{AcceptAnyInfoHash: true},
			want:   map[string]check.Verdict{"wrong-info-hash": check.Fail},
			detail: map[string]string{"wrong-info-hash": "it echoed info_hash "}}, // and kept the connection open
		{name: "19-byte peer_id", q: fakebt.Quirks{ShortPeerID: true},
			want:   map[string]check.Verdict{"handshake": check.Fail},
			detail: map[string]string{"handshake": "its peer_id is 19 bytes, want 20: the handshake is 67 bytes"}},
		{name: "bitfield too long", q: fakebt.Quirks{BitfieldExtra: 1},
			want:   map[string]check.Verdict{"bitfield": check.Fail},
			detail: map[string]string{"bitfield": "2 bytes (fc 00) for 6 pieces, want 1"}},
		{name: "spare bits", q: fakebt.Quirks{SpareBits: true},
			want:   map[string]check.Verdict{"bitfield": check.Fail},
			detail: map[string]string{"bitfield": "spare bits set: the last byte is ff, and for 6 pieces its low 2 bits must be zero"}},
		{name: "serves while choked", q: fakebt.Quirks{ServeWhileChoked: true},
			want:   map[string]check.Verdict{"choking": check.Fail},
			detail: map[string]string{"choking": "it served a request while choking us"}},
		{name: "never unchokes", q: fakebt.Quirks{NeverUnchoke: true},
			want: map[string]check.Verdict{"choking": check.Fail, "claimed-pieces": check.Skip, "keepalive": check.Skip,
				"split-message": check.Skip, "packed-messages": check.Skip, "past-piece-end": check.Skip,
				"past-file-end": check.Skip, "oversize-request": check.Skip},
			detail: map[string]string{"choking": "no unchoke within 1s of our interested",
				"claimed-pieces": "not run: it did not unchoke us after interested (see choking)"}},
		{name: "serves past the end", q: fakebt.Quirks{ServePastEnd: true},
			want: map[string]check.Verdict{"past-piece-end": check.Fail, "past-file-end": check.Fail},
			detail: map[string]string{"past-piece-end": "it served it: 16384 bytes",
				"past-file-end": "past the end of the file: it served it: 1000 bytes"}},
		{name: "serves an oversize request", q: fakebt.Quirks{ServeOversize: true},
			want:   map[string]check.Verdict{"oversize-request": check.Warn},
			detail: map[string]string{"oversize-request": "it served it: 32768 bytes; the spec's clients drop a peer that asks for more than 128 KiB"}},
		{name: "corrupt", q: fakebt.Quirks{Corrupt: map[int]bool{4: true}},
			want:   map[string]check.Verdict{"claimed-pieces": check.Fail},
			detail: map[string]string{"claimed-pieces": "all 6 claimed pieces: 5 of 6 right; piece 4: its SHA-1 does not match"}},
		{name: "closes on keep-alive", q: fakebt.Quirks{CloseOnKeepAlive: true},
			want:   map[string]check.Verdict{"keepalive": check.Fail},
			detail: map[string]string{"keepalive": "after our keep-alive, request 0 0 16384: the peer closed the connection"}},
		{name: "one recv per message", q: fakebt.Quirks{OneRecv: true},
			want: map[string]check.Verdict{"split-message": check.Fail, "packed-messages": check.Fail},
			detail: map[string]string{"split-message": "it read the first part alone as a message",
				"packed-messages": "served 1 of 3, then: the peer stopped answering"}},
		{name: "handshake first, any info_hash", q: fakebt.Quirks{HandshakeFirst: true, AcceptAnyInfoHash: true},
			want:   map[string]check.Verdict{"wrong-info-hash": check.Fail},
			detail: map[string]string{"wrong-info-hash": "it sent a handshake and kept the connection open after ours named another torrent"}},
		{name: "have before the bitfield", q: fakebt.Quirks{HaveBeforeBitfield: true},
			want:   map[string]check.Verdict{"bitfield": check.Fail},
			detail: map[string]string{"bitfield": "the bitfield came after have: it may only come right after the handshake"}},
		{name: "claims nothing", has: func(int) bool { return false },
			want: map[string]check.Verdict{"choking": check.Skip, "claimed-pieces": check.Skip,
				"split-message": check.Skip, "packed-messages": check.Skip, "past-piece-end": check.Skip,
				"past-file-end": check.Skip, "oversize-request": check.Skip},
			detail: map[string]string{"choking": "not run: the peer claims no piece of the torrent",
				"keepalive": "the connection stayed open after a keep-alive (no piece to ask for)"}},
		{name: "closes on a request while choked", q: fakebt.Quirks{CloseOnChokedRequest: true},
			want:   map[string]check.Verdict{"choking": check.Warn},
			detail: map[string]string{"choking": "a request while choked: the peer closed the connection; the spec has a choked peer's requests discarded, not the connection"}},
		{name: "deaf after a request past the end", q: fakebt.Quirks{DeafAfterPastEnd: true},
			want:   map[string]check.Verdict{"past-piece-end": check.Warn, "past-file-end": check.Warn},
			detail: map[string]string{"past-piece-end": "not served, but then the connection did not work: our request 0 0 16384 after it: the peer stopped answering"}},
		{name: "claims only some", has: func(i int) bool { return i == 5 },
			want:   map[string]check.Verdict{"past-piece-end": check.Skip},
			detail: map[string]string{"past-piece-end": "not run: it claims no piece but the last (see past-file-end)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each against a seeder of its own; most of the time is waiting
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
				t.Errorf("OK %v, died in %q, no handshake in %q", r.OK(), r.DiedIn, r.NoHandshake)
			}
			t.Logf("\n%s", text)
		})
	}
}

// A peer that does not serve our torrent closes on our handshake: the
// handshake check says so, once, and the rest are not run, pointing at it.
func TestNoHandshakeIsTheRootCause(t *testing.T) {
	_, addr := startSeeder(t, fakebt.Quirks{}, nil)
	other := testTorrent(t, []byte("another file"))
	r, text := runSuite(t, addr, fastOptions(other))
	checktest.ExpectRootCause(t, r, text, "handshake", "handshake", "handshake: waiting for its handshake: the peer closed the connection")
}

// A peer that reads our handshake and never answers: the handshake check
// says so, after one timeout, and the rest are not run.
func TestSilentPeerIsTheRootCause(t *testing.T) {
	r, _ := runSuite(t, checktest.SilentServer(t), fastOptions(testTorrent(t, testFile())))
	hs, _ := r.Outcome("handshake")
	if want := "handshake: waiting for its handshake: the peer stopped answering (nothing within 1s)"; r.NoHandshake != "handshake" || hs.Detail != want {
		t.Errorf("no handshake in %q; handshake: %q, want %q", r.NoHandshake, hs.Detail, want)
	}
	if c := r.Counts(); c.Fail != 1 || c.NotRun != len(Names())-1 {
		t.Errorf("counts %+v", c)
	}
}

// A torrent with more claimed pieces than FetchAll: a sample, the first
// and the last included, and the report names them.
func TestClaimedPiecesSample(t *testing.T) {
	tor, addr := startSeeder(t, fakebt.Quirks{}, nil)
	o := fastOptions(tor)
	o.FetchAll, o.Sample = 3, 2
	e, err := newEnv(context.Background(), addr, o, check.TCP{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := probeClaimed(e)
	if want := "a sample of 4 of the 6 claimed pieces (0, 1, 3, 5) arrived, SHA-1 right"; r.Verdict != check.Pass || !strings.HasPrefix(r.Detail, want) {
		t.Errorf("%s %q, want %q", r.Verdict, r.Detail, want)
	}
}
