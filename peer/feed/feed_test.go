package feed

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
)

// nlReader frames newline-ended lines and keeps the last one raw.
type nlReader struct {
	br  *bufio.Reader
	raw []byte
}

func (r *nlReader) Next() ([]byte, error) {
	b, err := r.br.ReadBytes('\n')
	r.raw = b
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return b, err
	}
	return b[:len(b)-1], nil
}

func (r *nlReader) Raw() []byte { return r.raw }

func TestFeedFramesThenEnd(t *testing.T) {
	ours, theirs := net.Pipe()
	f := Start(ours, &nlReader{br: bufio.NewReader(ours)}, 4)
	defer f.Close()
	go func() {
		theirs.Write([]byte("one\ntwo\npart"))
		theirs.Close()
	}()
	var got []Frame
	for fr := range f.C {
		got = append(got, fr)
	}
	if len(got) != 3 || string(got[0].Frame) != "one" || string(got[0].Raw) != "one\n" ||
		string(got[2].Raw) != "part" || !got[2].Partial || got[1].Partial || got[0].At.IsZero() {
		t.Fatalf("frames %+v", got)
	}
	if !errors.Is(f.Err(), io.ErrUnexpectedEOF) {
		t.Errorf("err %v", f.Err())
	}
}

// Close ends a reader that is blocked on a full channel or on the socket.
func TestFeedCloseWhileBlocked(t *testing.T) {
	for _, backlog := range []int{0, 1} {
		ours, theirs := net.Pipe()
		f := Start(ours, &nlReader{br: bufio.NewReader(ours)}, backlog)
		theirs.Write([]byte("a\n"))
		f.Close()
		theirs.Close()
		for range f.C { // closed by Close
		}
	}
}
