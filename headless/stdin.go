package headless

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxCommandLine is the longest command line read from stdin, terminator
// excluded. It is twice the codec's maximum protocol line, so that an
// over-long line can still be typed to test a peer's limit.
const MaxCommandLine = 256 << 10

// input is one line of stdin, or a problem with one.
type input struct {
	line string
	err  error
}

// readLines reads r line by line in a goroutine and sends each line, without
// its LF or CRLF, on the returned channel, which is closed at the end of r.
// A line longer than max is skipped and reported, and reading goes on; a
// read error is reported and ends the reading. The goroutine ends after its
// next Read returns once stop is closed.
func readLines(r io.Reader, max int, stop <-chan struct{}) <-chan input {
	ch := make(chan input)
	send := func(in input) bool {
		select {
		case ch <- in:
			return true
		case <-stop:
			return false
		}
	}
	go func() {
		defer close(ch)
		br := bufio.NewReaderSize(r, 64<<10)
		var line []byte
		tooLong := false
		for {
			frag, err := br.ReadSlice('\n')
			// ReadSlice hands out at most a buffer's worth: gather the
			// fragments of a long line, but never more than max (+ CRLF).
			if len(line)+len(frag) > max+2 {
				tooLong, line = true, line[:0]
			}
			if !tooLong {
				line = append(line, frag...)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if len(line) > 0 || tooLong {
				text := trimEOL(line)
				in := input{line: string(text)}
				if tooLong || len(text) > max {
					in = input{err: fmt.Errorf("input line longer than %d bytes; ignored", max)}
				}
				if !send(in) {
					return
				}
			}
			line, tooLong = line[:0], false
			if err != nil {
				if !errors.Is(err, io.EOF) {
					send(input{err: fmt.Errorf("reading stdin: %w", err)})
				}
				return
			}
		}
	}()
	return ch
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
