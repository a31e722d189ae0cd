package bitclone

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// gen makes random valid messages.
type gen struct{ rng *rand.Rand }

// Pieces of text, chosen to include what terminals and parsers choke on;
// '|', CR and LF are the only bytes a text field cannot hold.
var textPieces = []string{"a", "Z", "0", " ", "-", ":", ",", "\"", "\\", "%", "é", "日本", "😀",
	"\x1b[2J", "\x00", "\t", "\x7f", "\u0085", "\u202e", "\u2028", "\xff", "\xc3"}

func (g gen) text(mayBeEmpty bool) string {
	n := g.rng.IntN(8)
	if !mayBeEmpty {
		n++
	}
	var sb strings.Builder
	for range n {
		sb.WriteString(textPieces[g.rng.IntN(len(textPieces))])
	}
	return sb.String()
}

func (g gen) uint() uint64 {
	switch g.rng.IntN(8) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return g.rng.Uint64N(1000)
	}
	return g.rng.Uint64()
}

func (g gen) time() int64 {
	switch g.rng.IntN(8) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64
	}
	return g.rng.Int64N(1 << 40)
}

// addr may return an IPv4-mapped address; the wire form, and so Parse,
// gives it as IPv4: see normalize.
func (g gen) addr() netip.AddrPort {
	port := uint16(1 + g.rng.IntN(65535))
	var a netip.Addr
	switch g.rng.IntN(4) {
	case 0, 1:
		a = netip.AddrFrom4([4]byte{byte(g.rng.Uint32()), byte(g.rng.Uint32()), byte(g.rng.Uint32()), byte(g.rng.Uint32())})
	case 2:
		var b [16]byte
		for i := range b {
			if g.rng.IntN(3) > 0 { // plenty of zeros, to exercise "::"
				b[i] = byte(g.rng.Uint32())
			}
		}
		a = netip.AddrFrom16(b)
	case 3:
		a = netip.AddrFrom16(netip.AddrFrom4([4]byte{10, byte(g.rng.Uint32()), 0, 1}).As16())
	}
	return netip.AddrPortFrom(a, port)
}

func (g gen) message() Message {
	switch g.rng.IntN(8) {
	case 0:
		return Version{
			Version: g.uint(), Services: g.uint(), Time: g.time(),
			Recipient: g.addr(), Sender: g.addr(),
			Nonce: max(1, g.uint()), UserAgent: g.text(false), BlockID: g.uint(),
		}
	case 1:
		return Verack{g.uint()}
	case 2:
		return GetAddr{}
	case 3:
		n := g.rng.IntN(6)
		if g.rng.IntN(20) == 0 {
			n = g.rng.IntN(MaxAddrs + 1)
		}
		var a Addr
		for range n {
			a.Entries = append(a.Entries, AddrEntry{g.time(), g.addr()})
		}
		return a
	case 4:
		return Ping{g.uint()}
	case 5:
		return Pong{g.uint()}
	case 6:
		return Reject{400 + g.rng.IntN(200), g.text(true), g.text(true)}
	}
	return Info{100 + g.rng.IntN(100), g.text(true), g.text(true)}
}

// normalize returns m as Parse gives it back: addresses unmapped.
func normalize(m Message) Message {
	unmap := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) }
	switch m := m.(type) {
	case Version:
		m.Recipient, m.Sender = unmap(m.Recipient), unmap(m.Sender)
		return m
	case Addr:
		if len(m.Entries) == 0 {
			return Addr{}
		}
		entries := make([]AddrEntry, len(m.Entries))
		for i, e := range m.Entries {
			entries[i] = AddrEntry{e.Time, unmap(e.Addr)}
		}
		return Addr{entries}
	}
	return m
}

// TestRoundTrip: for random valid messages m, Parse(wire(m)) == m and
// Format(Parse(line)) == line; then the same through a Reader.
func TestRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	var stream bytes.Buffer
	var want []Message
	for range 5000 {
		m := g.message()
		if err := Check(m); err != nil {
			t.Fatalf("Check(%#v) = %v", m, err)
		}
		wire := m.AppendWire(nil)
		if !bytes.HasSuffix(wire, crlf) || bytes.IndexByte(wire, '\n') != len(wire)-1 {
			t.Fatalf("wire form %q is not one CRLF line", wire)
		}
		line := wire[:len(wire)-2]
		got, err := Parse(line)
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if !reflect.DeepEqual(got, normalize(m)) {
			t.Fatalf("Parse(%q)\n got %#v\nwant %#v", line, got, normalize(m))
		}
		if s := Format(got); s != string(line) {
			t.Fatalf("Format(Parse(%q)) = %q", line, s)
		}
		// The trailing CR Parse tolerates.
		if got, err := Parse(wire[:len(wire)-1]); err != nil || !reflect.DeepEqual(got, normalize(m)) {
			t.Fatalf("Parse(%q) = %v", wire[:len(wire)-1], err)
		}
		stream.Write(wire)
		want = append(want, normalize(m))
	}

	r := NewReader(&chunkReader{data: stream.Bytes(), sizes: []int{1, 4000, 17, 65536, 3}}, 0)
	var d Decoder
	for i := 0; ; i++ {
		line, err := r.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("read %d lines, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		m, err := d.Parse(line)
		if err != nil || !reflect.DeepEqual(deref(m), want[i]) {
			t.Fatalf("line %d: %#v, %v; want %#v", i, m, err, want[i])
		}
	}
}
