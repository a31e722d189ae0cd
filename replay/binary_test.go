package replay

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/transcript"
)

// binFraming is a binary dialect shaped like NibbleTorrent's: version 0x01,
// a type byte, a 16-bit big-endian length, the data. Nothing in it is a
// line: '\n', '\r' and 0x00 are ordinary bytes.
var binFraming = peer.Framing{
	NewReader: func(r io.Reader) peer.FrameReader { return &binReader{r: r} },
	Command: func(frame []byte) string {
		if len(frame) < binHeader {
			return "?"
		}
		return fmt.Sprintf("type-%d", frame[1])
	},
	Text: func(frame []byte) []byte {
		if len(frame) < binHeader {
			return frame
		}
		return frame[binHeader:]
	},
}

const binHeader = 4

type binReader struct {
	r   io.Reader
	buf []byte
}

func (b *binReader) Next() ([]byte, error) {
	b.buf = append(b.buf[:0], make([]byte, binHeader)...)
	if _, err := io.ReadFull(b.r, b.buf); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(b.buf[2:]))
	b.buf = append(b.buf, make([]byte, n)...)
	if _, err := io.ReadFull(b.r, b.buf[binHeader:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return b.buf, nil
}

func binFrame(typ byte, data string) []byte {
	return append([]byte{0x01, typ, byte(len(data) >> 8), byte(len(data))}, data...)
}

// binEcho answers each frame with its data under the next type, and tells
// exactly what bytes it read.
func binEcho(t *testing.T) (addr string, read func() []byte) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got bytes.Buffer
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rd := &binReader{r: c}
		for {
			f, err := rd.Next()
			if err != nil {
				return
			}
			mu.Lock()
			got.Write(f)
			mu.Unlock()
			c.Write(binFrame(f[1]+1, string(f[binHeader:])))
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String(), func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Clone(got.Bytes())
	}
}

// A recording of binary frames goes through the --record file and back to
// the peer byte for byte, and the answers are framed by the dialect, not cut
// at '\n'.
func TestBinaryFramesReplayExactly(t *testing.T) {
	sent := [][]byte{
		binFrame(2, "\x00\x00\x00\x29"),
		binFrame(4, "line\r\nbreak\n\xff\x00"),
		binFrame(6, string(bytes.Repeat([]byte{'\n'}, 300))),
	}
	var file bytes.Buffer
	w := transcript.NewWriter(&file, &peer.Dialect{Name: "bin", Framing: binFraming}, nil)
	at := t0
	rec := func(kind peer.Kind, b []byte) {
		at = at.Add(5 * time.Millisecond)
		w.Record(peer.Record{At: at, ConnID: 1, Peer: "127.0.0.1:6881", Dir: peer.Outbound, Kind: kind, Bytes: b})
	}
	rec(peer.KindConnected, nil)
	for _, f := range sent {
		rec(peer.KindSend, f)
		rec(peer.KindRecv, binFrame(f[1]+1, string(f[binHeader:])))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, problems, err := transcript.Read(&file)
	if err != nil || len(problems) > 0 {
		t.Fatalf("read: %v %v", err, problems)
	}
	s, err := Pick(entries, 0, binFraming)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range sent {
		if !bytes.Equal(s.Steps[i+1].Sent, f) {
			t.Errorf("step %d recorded as % x, sent % x", i+1, s.Steps[i+1].Sent, f)
		}
	}
	to, read := binEcho(t)
	if err := Run(context.Background(), s, to, Options{Fast: true, Wait: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if want := bytes.Join(sent, nil); !bytes.Equal(read(), want) {
		t.Errorf("the peer read\n% x\nwant\n% x", read(), want)
	}
	var now, then []Line
	for _, st := range s.Steps {
		now, then = append(now, st.Now...), append(then, st.Then...)
	}
	if len(now) != len(sent) || len(then) != len(sent) {
		t.Fatalf("now %+v\nthen %+v", now, then)
	}
	for i := range now {
		if now[i].Cmd != fmt.Sprintf("type-%d", sent[i][1]+1) || now[i].Cmd != then[i].Cmd || now[i].Text != then[i].Text {
			t.Errorf("frame %d: now %+v, then %+v", i, now[i], then[i])
		}
	}
	if want := `line\r\nbreak\n\xff\x00`; then[1].Text != want {
		t.Errorf("then[1] shown as %q, want %q", then[1].Text, want)
	}
}
