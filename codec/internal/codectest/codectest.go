// Package codectest holds what the codecs' tests share: streams that read
// in awkward ways, and the specs' hex notation.
package codectest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// Chunked returns B in reads of the given Sizes, in turn (I counts the
// reads), then io.EOF.
type Chunked struct {
	B     []byte
	Sizes []int
	I     int
}

func (c *Chunked) Read(p []byte) (int, error) {
	if len(c.B) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.B), c.Sizes[c.I%len(c.Sizes)])
	c.I++
	copy(p, c.B[:n])
	c.B = c.B[n:]
	return n, nil
}

// NoProgress is a broken reader: every read returns 0, nil.
type NoProgress struct{}

func (NoProgress) Read([]byte) (int, error) { return 0, nil }

// Unhex reads the specs' hex notation ("01 02 00 01 c0").
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// FrameReader is a dialect's frame reader.
type FrameReader interface {
	Next() ([]byte, error)
	Raw() []byte
}

// ReadAll collects copies of r's frames until its first error, which it
// returns; a frame that Raw does not repeat is an error.
func ReadAll(r FrameReader) ([][]byte, error) {
	var got [][]byte
	for {
		f, err := r.Next()
		if err != nil {
			return got, err
		}
		if !bytes.Equal(f, r.Raw()) {
			return got, errors.New("Raw differs from the frame")
		}
		got = append(got, bytes.Clone(f))
	}
}
