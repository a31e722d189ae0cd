package nibble

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The baseline of the swarm benchmark: the least a program must do to move
// a file in NibbleTorrent frames over loopback. Senders answer pipelined
// piece requests from memory; one receiver keeps baselineWindow requests in
// flight on each connection, splits the pieces between the connections in
// stripes, and writes each piece at its offset in a file. No hello, no
// hashing, no bookkeeping, no events.

// baselineWindow is the requests in flight per connection.
const baselineWindow = 16

// baselineSender answers piece requests on every connection of ln from
// data, until ln closes. Each answer is one write (header and piece).
func baselineSender(tb testing.TB, ln net.Listener, data []byte, pieceSize int) {
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serveBaseline(c, data, pieceSize)
			}()
		}
	}()
}

func serveBaseline(c net.Conn, data []byte, pieceSize int) {
	r := bufio.NewReader(c)
	out := make([]byte, 4+pieceSize)
	var h [4]byte
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		idx := make([]byte, binary.BigEndian.Uint16(h[2:]))
		if _, err := io.ReadFull(r, idx); err != nil {
			return
		}
		i := 0
		for _, b := range idx {
			i = i<<8 | int(b)
		}
		piece := data[i*pieceSize : min(len(data), (i+1)*pieceSize)]
		out = append(out[:0], 1, 4, byte(len(piece)>>8), byte(len(piece)))
		out = append(out, piece...)
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// baselineReceive fetches every piece from the senders at addrs, piece i
// from addrs[i%len(addrs)], into the file at path.
func baselineReceive(addrs []string, path string, size, pieceSize int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	pieces := (size + pieceSize - 1) / pieceSize
	errs := make(chan error, len(addrs))
	for k, addr := range addrs {
		go func() { errs <- receiveStripe(addr, f, k, len(addrs), pieces, pieceSize) }()
	}
	var first error
	for range addrs {
		first = errors.Join(first, <-errs)
	}
	return errors.Join(first, f.Close())
}

// receiveStripe fetches pieces k, k+n, k+2n, ... over one connection.
func receiveStripe(addr string, f *os.File, k, n, pieces, pieceSize int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	var want []int
	for i := k; i < pieces; i += n {
		want = append(want, i)
	}
	sent := 0
	request := func() error {
		i := want[sent]
		sent++
		_, err := c.Write([]byte{1, 3, 0, 2, byte(i >> 8), byte(i)})
		return err
	}
	for sent < min(baselineWindow, len(want)) {
		if err := request(); err != nil {
			return err
		}
	}
	r := bufio.NewReaderSize(c, 64<<10)
	buf := make([]byte, pieceSize)
	var h [4]byte
	for _, i := range want {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return err
		}
		piece := buf[:binary.BigEndian.Uint16(h[2:])]
		if _, err := io.ReadFull(r, piece); err != nil {
			return err
		}
		if _, err := f.WriteAt(piece, int64(i*pieceSize)); err != nil {
			return err
		}
		if sent < len(want) {
			if err := request(); err != nil {
				return err
			}
		}
	}
	return nil
}

// swarmFile is the benchmark's file: size bytes of a fixed pattern.
func swarmFile(size int) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	return data
}

// swarmSize and swarmPiece are the figures: 64 MiB in the spec's
// 4096-byte pieces.
const (
	swarmSize  = 64 << 20
	swarmPiece = 4096
)

// The baseline is only a yardstick if it really moves the file.
func TestBaselineMovesTheFileExactly(t *testing.T) {
	data := swarmFile(1<<20 + 123) // a short last piece
	var addrs []string
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		baselineSender(t, ln, data, swarmPiece)
		addrs = append(addrs, ln.Addr().String())
	}
	path := filepath.Join(t.TempDir(), "copy")
	if err := baselineReceive(addrs, path, len(data), swarmPiece); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the copy differs")
	}
}

func BenchmarkSwarm(b *testing.B) {
	data := swarmFile(swarmSize)
	b.Run("baseline=frames", func(b *testing.B) {
		var addrs []string
		for range 3 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			baselineSender(b, ln, data, swarmPiece)
			addrs = append(addrs, ln.Addr().String())
		}
		dir := b.TempDir()
		b.SetBytes(swarmSize)
		b.ResetTimer()
		for n := range b.N {
			path := filepath.Join(dir, fmt.Sprint(n))
			if err := baselineReceive(addrs, path, swarmSize, swarmPiece); err != nil {
				b.Fatal(err)
			}
			os.Remove(path)
		}
	})
}
