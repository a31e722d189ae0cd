package pex

import (
	"cmp"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/check/checktest"
	wire "github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// theSuite is this package's suite, for the shared test helpers.
var theSuite = checktest.Suite[Options]{Run: Run, Names: Names, Settings: Settings}

func runSuite(t *testing.T, addr string, o Options) (*check.Report, string) {
	t.Helper()
	return theSuite.Report(t, addr, o)
}

func expect(t *testing.T, r *check.Report, text string, want map[string]check.Verdict, detail map[string]string) {
	t.Helper()
	theSuite.Expect(t, r, text, want, detail)
}

// testPieces are two pieces of the course's size, each different.
func testPieces() map[wire.Hash][]byte { return piecesOf(wire.DefaultPieceSize) }

// piecesOf are two pieces of size bytes, by their hash.
func piecesOf(size int) map[wire.Hash][]byte {
	m := map[wire.Hash][]byte{}
	for seed := range byte(2) {
		p := nodetest.Pattern(size, seed+1)
		m[wire.HashOf(p)] = p
	}
	return m
}

func keys(m map[wire.Hash][]byte) []wire.Hash {
	var hs []wire.Hash
	for h := range m {
		hs = append(hs, h)
	}
	return hs
}

func fastOptions(pieces []wire.Hash) Options {
	return Options{Options: check.Options{Timeout: time.Second, Pace: 5 * time.Millisecond}, Pieces: pieces}
}

// A correct node, which answers a peer message with a peer list on the
// same connection, passes every check, over IPv4 and IPv6.
func TestCorrectNodePasses(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			pieces := testPieces()
			n := &fakeNode{pieces: pieces}
			addr := n.start(t, host)
			r, text := runSuite(t, addr, fastOptions(keys(pieces)))
			expect(t, r, text, nil, map[string]string{
				"peer-message": "little-endian: an empty peer list back on our connection (it knows no one else yet)",
				"own-address":  "1 peer list came to us (on our connection), none lists our listener",
				"ask-piece":    "2 gives of 131072 bytes, SHA-256 right",
				"ask-missing":  "was answered: it read ours and stayed silent",
				"truncated":    "; the peer still accepts connections",
				"byte-order":   "it speaks little-endian, as the course's node (host order on every classroom machine): a peer message in it got an empty peer list back on our connection",
			})
			if !r.OK() || !strings.HasSuffix(text, "PASS: "+addr+" conforms\n") {
				t.Errorf("not OK")
			}
		})
	}
}

// The course's node answers a peer message only by dialling the port in
// it, once, and says nothing to an ask for a piece it lacks: it passes,
// with and without a piece to ask for (then the liveness check can only
// see that its connections stay open).
func TestCourseNodePasses(t *testing.T) {
	for name, withPieces := range map[string]bool{"with --piece": true, "without": false} {
		t.Run(name, func(t *testing.T) {
			pieces := testPieces()
			n := &fakeNode{pieces: pieces, quirks: quirks{course: true}}
			addr := n.start(t, "::1")
			o := fastOptions(nil)
			want := map[string]check.Verdict{"ask-piece": check.Skip}
			missing := "no give for "
			if withPieces {
				o.Pieces, want = keys(pieces), nil
				missing = "was answered: it read ours and stayed silent"
			}
			r, text := runSuite(t, addr, o)
			expect(t, r, text, want, map[string]string{
				"peer-message": "little-endian: a dial to our listener [::1]:",
				"own-address":  "1 peer list came to us (on its connection to us), none lists our listener",
				"ask-missing":  missing,
				"byte-order":   "it speaks little-endian, as the course's node",
			})
			if !r.OK() {
				t.Errorf("not OK")
			}
		})
	}
}

// A node that speaks big-endian is reported as such, and the checks speak
// big-endian to it: nothing fails. It hangs up on our little-endian peer
// message, after which a dial back is waited for a short while only, not
// the whole timeout.
func TestBigEndianNodeIsReportedNotFailed(t *testing.T) {
	pieces := testPieces()
	n := &fakeNode{pieces: pieces, o: wire.Options{Order: wire.Big}}
	addr := n.start(t, "127.0.0.1")
	o := fastOptions(keys(pieces))
	o.Timeout = 10 * maxQuiet
	r, text := runSuite(t, addr, o)
	// The run takes about 2*maxQuiet here; well under the timeout is what
	// tells a short wait from the whole one on a loaded machine.
	if r.Duration > o.Timeout/2 {
		t.Errorf("took %s; a hang-up should cost about %s, not the timeout %s", r.Duration, maxQuiet, o.Timeout)
	}
	expect(t, r, text, nil, map[string]string{
		"peer-message": "big-endian: an empty peer list back on our connection (it knows no one else yet); little-endian, tried first, was not understood (little-endian: the peer closed the connection): the checks below speak big-endian (see byte-order)",
		"ask-piece":    "2 gives of 131072 bytes, SHA-256 right",
		"byte-order":   "it speaks big-endian: a peer message in it got an empty peer list back on our connection (it knows no one else yet); one in little-endian got the peer closed the connection (its size prefix, 13 00 00 00, reads 318767104 big-endian)",
	})
	if !r.OK() {
		t.Errorf("not OK")
	}
}

// bitclone's own node sends its peer list as soon as a connection opens
// and answers a peer message by dialling the listener it names: that first
// list is not taken for an answer, nor, from a big-endian node, for a
// sign that it read our little-endian message.
func TestGreetingNodePasses(t *testing.T) {
	for _, order := range []wire.ByteOrder{wire.Little, wire.Big} {
		t.Run(order.String(), func(t *testing.T) {
			pieces := testPieces()
			n := &fakeNode{pieces: pieces, o: wire.Options{Order: order}, quirks: quirks{greets: true}}
			addr := n.start(t, "127.0.0.1")
			pm := "little-endian: a dial to our listener 127.0.0.1:"
			if order == wire.Big {
				pm = "big-endian: a dial to our listener 127.0.0.1:"
			}
			r, text := runSuite(t, addr, fastOptions(keys(pieces)))
			expect(t, r, text, nil, map[string]string{
				"peer-message": pm,
				"byte-order":   "it speaks " + order.String() + "-endian",
			})
			if oc, _ := r.Outcome("peer-message"); order == wire.Big &&
				!strings.Contains(oc.Detail, "little-endian, tried first, was not understood (little-endian: the peer closed the connection (it writes big-endian: peer (no peers))") {
				t.Errorf("peer-message: %s", oc.Detail)
			}
			if !r.OK() {
				t.Errorf("not OK")
			}
		})
	}
}

// A node that hands its peer list to whoever connects and never dials:
// that it read our peer message shows in the list a second connection of
// ours gets. Its lists never come where it knows us: own-address is not
// run, and says why.
func TestRecordingNodePasses(t *testing.T) {
	pieces := testPieces()
	n := &fakeNode{pieces: pieces, quirks: quirks{greets: true, recordsOnly: true}}
	addr := n.start(t, "127.0.0.1")
	r, text := runSuite(t, addr, fastOptions(keys(pieces)))
	expect(t, r, text, map[string]check.Verdict{"own-address": check.Skip}, map[string]string{
		"peer-message": "little-endian: its peer list on a second connection of ours, listing our listener: it recorded us (peer [::1]:",
		"own-address":  "not run: no peer list came to us within 1s, on a connection where the node knew us",
	})
	if !r.OK() {
		t.Errorf("not OK")
	}
}

// Each quirk fails (or warns on) exactly the check that is about it.
func TestQuirksFailTheirChecks(t *testing.T) {
	tests := []struct {
		name      string
		q         quirks
		pieceSize int // of the pieces it shares (0: the course's)
		want      map[string]check.Verdict
		detail    map[string]string
	}{
		{name: "corrupt piece", q: quirks{corrupt: true},
			want:   map[string]check.Verdict{"ask-piece": check.Fail},
			detail: map[string]string{"ask-piece": "0 of 2 pieces right; "}},
		{name: "short piece", pieceSize: wire.DefaultPieceSize / 2,
			want:   map[string]check.Verdict{"ask-piece": check.Warn},
			detail: map[string]string{"ask-piece": "a short give: 65536 of 131072 bytes (the course's node asserts a full piece)"}},
		{name: "gives a piece it lacks", q: quirks{giveAnything: true},
			want:   map[string]check.Verdict{"ask-missing": check.Fail},
			detail: map[string]string{"ask-missing": "it answered an ask for a piece no node has with a give of 131072 bytes that hash to fa43239b…, not to the SHA-256 asked for"}},
		{name: "hangs up on a piece it lacks", q: quirks{closeOnMissing: true},
			want:   map[string]check.Verdict{"ask-missing": check.Warn},
			detail: map[string]string{"ask-missing": "it closed the connection after an ask for a piece it lacks"}},
		{name: "broken peer lists", q: quirks{brokenLists: true},
			want: map[string]check.Verdict{"peer-message": check.Fail, "own-address": check.Skip, "ask-piece": check.Skip,
				"ask-missing": check.Skip, "truncated": check.Skip, "oversize": check.Skip, "byte-order": check.Skip},
			detail: map[string]string{"peer-message": " (it sent only peer; peer: a peer list is a type byte and 18 bytes per peer",
				"ask-piece": "not run: no answer to a peer message (see peer-message)"}},
		{name: "echoes the asker", q: quirks{echo: true},
			want:   map[string]check.Verdict{"own-address": check.Warn},
			detail: map[string]string{"own-address": "our own listener"}},
		{name: "crashes on a truncated message", q: quirks{crashOnTruncated: true},
			want: map[string]check.Verdict{"truncated": check.Fail, "oversize": check.Skip, "byte-order": check.Skip},
			detail: map[string]string{"truncated": "; then the peer went down: a new connection fails: connect: connection refused",
				"oversize": "skipped: the peer is down since truncated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := piecesOf(cmp.Or(tt.pieceSize, wire.DefaultPieceSize))
			n := &fakeNode{pieces: pieces, quirks: tt.q}
			addr := n.start(t, "127.0.0.1")
			r, text := runSuite(t, addr, fastOptions(keys(pieces)))
			expect(t, r, text, tt.want, tt.detail)
			failed := false
			for _, v := range tt.want {
				failed = failed || v == check.Fail
			}
			if r.OK() == failed {
				t.Errorf("OK %v", r.OK())
			}
		})
	}
}

// A node that reads and never answers: peer-message says so once, after a
// timeout in each byte order, and the rest are not run.
func TestSilentNodeIsTheRootCause(t *testing.T) {
	addr := checktest.SilentServer(t)
	start := time.Now()
	r, text := runSuite(t, addr, fastOptions(nil))
	took := time.Since(start)
	pm, _ := r.Outcome("peer-message")
	want := "handshake: waiting for a peer list or a dial to " + r.Us.String() +
		": little-endian: no peer list within 1s, no dial to " + r.Us.String() + ", and no peer list listing it" +
		"; big-endian: no peer list within 1s, no dial to " + r.Us.String() + ", and no peer list listing it"
	if r.NoHandshake != "peer-message" || pm.Verdict != check.Fail || pm.Detail != want {
		t.Errorf("no handshake in %q; peer-message %s %q, want %q", r.NoHandshake, pm.Verdict, pm.Detail, want)
	}
	if c := r.Counts(); c.Fail != 1 || c.NotRun != len(Names())-1 {
		t.Errorf("counts %+v", c)
	}
	if !strings.Contains(text, "no answer to a peer message in peer-message (see there)") {
		t.Errorf("report:\n%s", text)
	}
	if took > 4*time.Second {
		t.Errorf("took %s against a silent node, want about 2 timeouts", took)
	}
}
