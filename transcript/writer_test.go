package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

var t0 = time.Date(2026, 11, 21, 21, 30, 1, 123456789, time.UTC)

func TestWriterRoundTrip(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, &bitclone.Dialect, nil)
	raw := []byte("message|100|\x1b[2J\xff|x\r\n")
	w.Record(peer.Record{At: t0, ConnID: 3, Peer: "127.0.0.1:8082", Dir: peer.Outbound, Kind: peer.KindConnected})
	w.Record(peer.Record{At: t0.Add(time.Millisecond), ConnID: 3, Peer: "127.0.0.1:8082", Dir: peer.Outbound, Kind: peer.KindSend, Bytes: []byte("ping|42\r\n")})
	w.Record(peer.Record{At: t0.Add(2 * time.Millisecond), ConnID: 3, Peer: "127.0.0.1:8082", Dir: peer.Outbound, Kind: peer.KindRecv, Bytes: raw})
	w.Record(peer.Record{At: t0.Add(3 * time.Millisecond), ConnID: 3, Peer: "127.0.0.1:8082", Dir: peer.Outbound, Kind: peer.KindRecv, Bytes: []byte("pong|4")})
	w.Record(peer.Record{At: t0.Add(4 * time.Millisecond), ConnID: 3, Peer: "127.0.0.1:8082", Dir: peer.Outbound, Kind: peer.KindClosed, Text: "EOF"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// The field order is that of headless --json events: time, kind, peer, conn, dir.
	lines := strings.SplitN(out.String(), "\n", 3)
	for i, want := range []string{
		`{"time":"2026-11-21T21:30:01.123456789Z","kind":"connected","peer":"127.0.0.1:8082","conn":3,"dir":"out","dialect":"bitclone"}`,
		`{"time":"2026-11-21T21:30:01.124456789Z","kind":"send","peer":"127.0.0.1:8082","conn":3,"dir":"out","raw":"cGluZ3w0Mg0K","text":"ping|42"}`,
	} {
		if lines[i] != want {
			t.Errorf("line %d:\n%s\nwant:\n%s", i+1, lines[i], want)
		}
	}
	entries, problems, err := Read(&out)
	if err != nil || len(problems) != 0 {
		t.Fatalf("read: %v %v", err, problems)
	}
	want := []Entry{
		{Time: t0, Conn: 3, Peer: "127.0.0.1:8082", Dir: "out", Kind: KindConnected, Dialect: "bitclone"},
		{Time: t0.Add(time.Millisecond), Conn: 3, Peer: "127.0.0.1:8082", Dir: "out", Kind: KindSend, Raw: []byte("ping|42\r\n"), Text: "ping|42"},
		{Time: t0.Add(2 * time.Millisecond), Conn: 3, Peer: "127.0.0.1:8082", Dir: "out", Kind: KindRecv, Raw: raw, Text: `message|100|\x1b[2J\xff|x`},
		{Time: t0.Add(3 * time.Millisecond), Conn: 3, Peer: "127.0.0.1:8082", Dir: "out", Kind: KindRecv, Raw: []byte("pong|4"), Text: "pong|4"},
		{Time: t0.Add(4 * time.Millisecond), Conn: 3, Peer: "127.0.0.1:8082", Dir: "out", Kind: KindClosed, Reason: "EOF"},
	}
	if !reflect.DeepEqual(entries, want) {
		t.Errorf("entries:\n%+v\nwant:\n%+v", entries, want)
	}
	if d := DialectOf(entries); d != "bitclone" {
		t.Errorf("DialectOf = %q", d)
	}
}

// A transcript names its dialect; one from before dialects is BitClone's.
func TestDialectOf(t *testing.T) {
	nibble := []Entry{{Kind: KindSend, Conn: 1}, {Kind: KindConnected, Conn: 2, Dialect: "nibble"}}
	if d := DialectOf(nibble); d != "nibble" {
		t.Errorf("got %q, want nibble", d)
	}
	if d := DialectOf([]Entry{{Kind: KindConnected, Conn: 1}}); d != "bitclone" {
		t.Errorf("an old file: got %q, want bitclone", d)
	}
}

// A dialect's Wire goes on its connected entries and comes back with
// WireOf, so that a replay reads the frames as they were written.
func TestWireIsRecorded(t *testing.T) {
	var out bytes.Buffer
	d := peer.Dialect{Name: "pex", Wire: "big/4096"}
	w := NewWriter(&out, &d, nil)
	w.Record(peer.Record{At: t0, ConnID: 1, Peer: "127.0.0.1:8100", Dir: peer.Outbound, Kind: peer.KindConnected})
	w.Close()
	entries, _, err := Read(&out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	if DialectOf(entries) != "pex" || WireOf(entries) != "big/4096" {
		t.Errorf("dialect %q wire %q, want pex big/4096", DialectOf(entries), WireOf(entries))
	}
	if WireOf([]Entry{{Kind: KindConnected, Conn: 1, Dialect: "pex"}}) != "" {
		t.Error("no wire recorded, yet one read back")
	}
}

// signalWriter reports each write on a channel.
type signalWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	wrote  chan struct{}
	failed error
}

func (s *signalWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		select {
		case s.wrote <- struct{}{}:
		default:
		}
	}()
	if s.failed != nil {
		return 0, s.failed
	}
	return s.buf.Write(p)
}

func TestWriterFlushesWithoutClose(t *testing.T) {
	sw := &signalWriter{wrote: make(chan struct{}, 1)}
	w := NewWriter(sw, &bitclone.Dialect, nil)
	defer w.Close()
	w.Record(peer.Record{At: t0, ConnID: 1, Peer: "p", Dir: peer.Inbound, Kind: peer.KindSend, Bytes: []byte("getaddr\r\n")})
	select {
	case <-sw.wrote:
	case <-time.After(10 * FlushInterval):
		t.Fatal("nothing written within 10 flush intervals")
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if !strings.Contains(sw.buf.String(), `"text":"getaddr"`) {
		t.Errorf("written: %q", sw.buf.String())
	}
}

func TestWriterReportsErrorOnce(t *testing.T) {
	sw := &signalWriter{wrote: make(chan struct{}, 1), failed: errors.New("disk full")}
	var reports []error
	var mu sync.Mutex
	w := NewWriter(sw, &bitclone.Dialect, func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() })
	for i := range 3 {
		w.Record(peer.Record{At: t0, ConnID: 1, Peer: "p", Dir: peer.Inbound, Kind: peer.KindRecv, Bytes: []byte("ping|1\r\n")})
		if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("flush %d: %v", i, err)
		}
	}
	err := w.Close()
	if err == nil || err.Error() != "transcript: disk full (recording stopped)" {
		t.Errorf("close: %v", err)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("second close: %v, want the same error", err2)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 1 {
		t.Errorf("onError called %d times, want once: %v", len(reports), reports)
	}
}

// Connections record from their own goroutines; every entry arrives whole.
func TestWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, &bitclone.Dialect, nil)
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 200 {
				w.Record(peer.Record{At: time.Now(), ConnID: uint64(c + 1), Peer: "127.0.0.1:1", Dir: peer.Inbound, Kind: peer.KindRecv, Bytes: fmt.Appendf(nil, "ping|%d\r\n", i)})
				if i%50 == 0 {
					w.Flush()
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Record(peer.Record{At: time.Now(), ConnID: 1, Kind: peer.KindRecv, Dir: peer.Inbound, Bytes: []byte("late\r\n")})
	entries, problems, err := Read(&out)
	if err != nil || len(problems) != 0 {
		t.Fatalf("read: %v %v", err, problems)
	}
	if len(entries) != 8*200 {
		t.Errorf("%d entries, want %d", len(entries), 8*200)
	}
}

func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	w, err := Create(path, &bitclone.Dialect, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Record(peer.Record{At: t0, ConnID: 1, Peer: "p", Dir: peer.Inbound, Kind: peer.KindConnected})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "missing", "t.jsonl"), &bitclone.Dialect, nil); err == nil {
		t.Error("Create in a missing directory: no error")
	}
}

// A binary dialect's entries carry the frame in its words beside the exact
// bytes: the text is what the dialect says, not the bytes cut at a line end.
func TestEntryTextIsTheDialectsWords(t *testing.T) {
	words := func(frame []byte) []byte { return fmt.Appendf(nil, "piece-request %d", frame[len(frame)-1]) }
	raw := []byte{0x01, 0x03, 0x00, 0x01, 0x29, '\n'}
	e := EntryOf(peer.Record{At: t0, ConnID: 1, Peer: "p", Dir: peer.Outbound, Kind: peer.KindSend, Bytes: raw[:5]}, words)
	if e.Text != "piece-request 41" || !bytes.Equal(e.Raw, raw[:5]) {
		t.Errorf("entry text %q raw % x, want the words and the bytes", e.Text, e.Raw)
	}
	if e := EntryOf(peer.Record{Kind: peer.KindRecv, Bytes: raw}, nil); e.Text != `\x01\x03\x00\x01)\n` {
		t.Errorf("without words the text is the bytes, escaped: %q", e.Text)
	}
}
