package bitclone

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll collects every line until the first error, the partial line
// that comes with io.ErrUnexpectedEOF included.
func readAll(t *testing.T, r *Reader) ([]string, error) {
	t.Helper()
	var lines []string
	for {
		line, err := r.Next()
		if err != nil && err != io.ErrUnexpectedEOF && line != nil {
			t.Errorf("Next returned %q with %v", line, err)
		}
		if err == nil || err == io.ErrUnexpectedEOF {
			lines = append(lines, string(line))
		}
		if err != nil {
			return lines, err
		}
	}
}

// chunkReader hands out its data in chunks of the given sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(c.sizes[c.i%len(c.sizes)], len(p), len(c.data))
	c.i++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// The ways a stream can be cut into reads.
var splitters = []struct {
	name string
	wrap func(string) io.Reader
}{
	{"whole", func(s string) io.Reader { return strings.NewReader(s) }},
	{"one byte", func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }},
	{"half", func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) }},
	{"odd chunks", func(s string) io.Reader { return &chunkReader{data: []byte(s), sizes: []int{3, 1, 7, 2, 5, 11}} }},
	{"data with EOF", func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) }},
}

func TestReaderLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  error
	}{
		{"empty stream", "", nil, io.EOF},
		{"several in one write", "ping|1\r\npong|2\r\ngetaddr\r\n", []string{"ping|1", "pong|2", "getaddr"}, io.EOF},
		{"bare LF", "ping|1\npong|2\n", []string{"ping|1", "pong|2"}, io.EOF},
		{"mixed endings", "a\r\nb\nc\r\n", []string{"a", "b", "c"}, io.EOF},
		{"only one CR stripped", "a\r\r\n", []string{"a\r"}, io.EOF},
		{"CR inside kept", "a\rb\n", []string{"a\rb"}, io.EOF},
		{"empty lines", "\r\n\n\r\n", []string{"", "", ""}, io.EOF},
		{"partial last line", "ping|1\r\nping|2", []string{"ping|1", "ping|2"}, io.ErrUnexpectedEOF},
		{"partial CR", "ping|1\r", []string{"ping|1\r"}, io.ErrUnexpectedEOF},
		{"long line grows", strings.Repeat("x", 10000) + "\r\nshort\n",
			[]string{strings.Repeat("x", 10000), "short"}, io.EOF},
		{"many long lines", strings.Repeat(strings.Repeat("y", 5000)+"\n", 3),
			[]string{strings.Repeat("y", 5000), strings.Repeat("y", 5000), strings.Repeat("y", 5000)}, io.EOF},
	}
	for _, tt := range tests {
		for _, sp := range splitters {
			t.Run(tt.name+"/"+sp.name, func(t *testing.T) {
				r := NewReader(sp.wrap(tt.in), 0)
				lines, err := readAll(t, r)
				if !errors.Is(err, tt.err) {
					t.Errorf("error = %v, want %v", err, tt.err)
				}
				if !slices.Equal(lines, tt.want) {
					t.Errorf("lines = %q, want %q", lines, tt.want)
				}
				// The error sticks (after a partial line, without the line).
				if line, err2 := r.Next(); err2 != err || line != nil {
					t.Errorf("after %v, Next = %q, %v", err, line, err2)
				}
			})
		}
	}
}

func TestReaderLimit(t *testing.T) {
	for _, maxLine := range []int{1, 10, readSize - 1, readSize, readSize + 1, 3 * readSize, MaxLine} {
		limit := maxLine
		if maxLine == MaxLine {
			limit = 0 // the default
		}
		exact := strings.Repeat("a", maxLine)
		over := exact + "b"
		tests := []struct {
			name string
			in   string
			want []string
			err  error
		}{
			{"exact LF", exact + "\no\n", []string{exact, "o"}, io.EOF},
			{"exact CRLF", exact + "\r\no\r\n", []string{exact, "o"}, io.EOF},
			{"exact partial", "o\n" + exact, []string{"o", exact}, io.ErrUnexpectedEOF},
			{"over LF", "o\n" + over + "\nnever\n", []string{"o"}, ErrLineTooLong},
			{"over CRLF", "o\n" + over + "\r\nnever\n", []string{"o"}, ErrLineTooLong},
			{"over CR CRLF", exact + "\r\r\n", nil, ErrLineTooLong},
			{"over partial", over, nil, ErrLineTooLong},
			{"far over", strings.Repeat("z", maxLine+readSize+100) + "\n", nil, ErrLineTooLong},
		}
		for _, tt := range tests {
			for _, sp := range splitters[:4] {
				r := NewReader(sp.wrap(tt.in), limit)
				lines, err := readAll(t, r)
				if err != tt.err || !slices.Equal(lines, tt.want) {
					t.Errorf("maxLine %d, %s, %s: got %d lines, %v; want %d lines, %v",
						maxLine, tt.name, sp.name, len(lines), err, len(tt.want), tt.err)
				}
				if err == ErrLineTooLong {
					if _, err := r.Next(); err != ErrLineTooLong {
						t.Errorf("ErrLineTooLong did not stick: %v", err)
					}
				}
			}
		}
	}
}

// endless is an io.Reader of one byte repeated forever, counting what it gave.
type endless struct {
	b    byte
	read int
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.b
	}
	e.read += len(p)
	return len(p), nil
}

// TestReaderStopsEarly: a line with no end is refused as soon as it is too
// long, and the buffer never grows past the limit.
func TestReaderStopsEarly(t *testing.T) {
	for _, maxLine := range []int{10, readSize, MaxLine} {
		src := &endless{b: 'a'}
		r := NewReader(src, maxLine)
		if _, err := r.Next(); err != ErrLineTooLong {
			t.Fatalf("maxLine %d: Next = %v", maxLine, err)
		}
		if src.read > maxLine+2+readSize {
			t.Errorf("maxLine %d: read %d bytes before refusing", maxLine, src.read)
		}
	}
	// Watch the buffer while a long line is being read.
	const maxLine = 20000
	src := &chunkReader{data: []byte(strings.Repeat("q", maxLine) + "\r\nshort\n"), sizes: []int{999}}
	r := NewReader(src, maxLine)
	line, err := r.Next()
	if err != nil || len(line) != maxLine {
		t.Fatalf("Next = %d bytes, %v", len(line), err)
	}
	if len(r.buf) > maxLine+2 {
		t.Errorf("buffer grew to %d for a limit of %d", len(r.buf), maxLine)
	}
}

// TestReaderShrinks: after a long line the Reader goes back to its small
// buffer.
func TestReaderShrinks(t *testing.T) {
	in := strings.Repeat("L", 50000) + "\nping|1\nping|2\n"
	r := NewReader(iotest.HalfReader(strings.NewReader(in)), 0)
	if line, err := r.Next(); err != nil || len(line) != 50000 {
		t.Fatalf("Next = %d bytes, %v", len(line), err)
	}
	if len(r.buf) <= readSize {
		t.Fatalf("buffer did not grow for the long line: %d", len(r.buf))
	}
	if line, err := r.Next(); err != nil || string(line) != "ping|1" {
		t.Fatalf("Next = %q, %v", line, err)
	}
	if len(r.buf) != readSize {
		t.Errorf("buffer is %d bytes after the long line, want %d", len(r.buf), readSize)
	}
}

// repeat is an io.Reader that serves data over and over.
type repeat struct {
	data []byte
	off  int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

func TestReaderAllocs(t *testing.T) {
	r := NewReader(&repeat{data: []byte("ping|1234567890\r\npong|1\nversion|3|1|1507490964|1.2.3.4:5|6.7.8.9:10|1|x|0\r\n")}, 0)
	n := testing.AllocsPerRun(1000, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("Next allocates %v times per line", n)
	}
}

// errAt returns data until offset, then err.
type errAt struct {
	data   []byte
	offset int
	err    error
}

func (e *errAt) Read(p []byte) (int, error) {
	if e.offset == 0 {
		return 0, e.err
	}
	n := copy(p, e.data[:min(e.offset, len(e.data))])
	e.data, e.offset = e.data[n:], e.offset-n
	return n, nil
}

// TestReaderErrorAtEveryOffset injects an I/O error at each byte offset:
// the lines completed before it come out, then the error, never a panic.
func TestReaderErrorAtEveryOffset(t *testing.T) {
	in := "version|3|1|1507490964|1.2.3.4:5|6.7.8.9:10|1|x|0\r\nverack|1\ngetaddr\r\n\r\n" +
		strings.Repeat("a", 5000) + "\nping|1\r\n"
	injected := errors.New("injected")
	var want []string
	for i := 0; i <= len(in); i++ {
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
		} {
			r := NewReader(wrap(&errAt{data: []byte(in), offset: i, err: injected}), 0)
			lines, err := readAll(t, r)
			if err != injected {
				t.Fatalf("offset %d: error %v", i, err)
			}
			if !slices.Equal(lines, want) {
				t.Fatalf("offset %d: got %d lines, want %d", i, len(lines), len(want))
			}
		}
		if i < len(in) && in[i] == '\n' {
			want = append(want, strings.TrimSuffix(in[strings.LastIndexByte(in[:i], '\n')+1:i], "\r"))
		}
	}
}

type brokenReader struct{ n int }

func (b brokenReader) Read(p []byte) (int, error) { return b.n, nil }

func TestReaderBrokenSource(t *testing.T) {
	if _, err := NewReader(brokenReader{0}, 0).Next(); err != io.ErrNoProgress {
		t.Errorf("endless empty reads: %v, want io.ErrNoProgress", err)
	}
	if _, err := NewReader(brokenReader{-1}, 0).Next(); err == nil {
		t.Error("negative count accepted")
	}
	if _, err := NewReader(brokenReader{1 << 20}, 0).Next(); err == nil {
		t.Error("count beyond the buffer accepted")
	}
}

// TestReaderParse runs the spec's example lines through a Reader and Parse
// together, the way a connection does.
func TestReaderParse(t *testing.T) {
	var stream bytes.Buffer
	msgs := []Message{exampleVersionMsg, Verack{8192}, GetAddr{}, Ping{1}, Pong{1},
		Addr{[]AddrEntry{{1, ap("1.2.3.4:5")}}}, Reject{400, "r", "d"}, Info{100, "s", ""}}
	for _, m := range msgs {
		stream.Write(m.AppendWire(nil))
	}
	stream.WriteString("ping|7\n") // bare LF from a sloppy peer
	r := NewReader(iotest.OneByteReader(&stream), 0)
	var d Decoder
	for i := 0; ; i++ {
		line, err := r.Next()
		if err == io.EOF {
			if i != len(msgs)+1 {
				t.Errorf("read %d messages, want %d", i, len(msgs)+1)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		m, err := d.Parse(line)
		if err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		want := Message(Ping{7})
		if i < len(msgs) {
			want = msgs[i]
		}
		if Format(m) != Format(want) {
			t.Errorf("line %d: %s, want %s", i, Format(m), Format(want))
		}
	}
}

func TestReaderRaw(t *testing.T) {
	r := NewReader(strings.NewReader("ping|1\r\nping|2\nping|3"), 0)
	for _, want := range []struct{ line, raw string }{{"ping|1", "ping|1\r\n"}, {"ping|2", "ping|2\n"}, {"ping|3", "ping|3"}} {
		line, err := r.Next()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatal(err)
		}
		if string(line) != want.line || string(r.Raw()) != want.raw {
			t.Errorf("line %q raw %q, want %q and %q", line, r.Raw(), want.line, want.raw)
		}
	}
}

// sizedReads serves one chunk per Read and records the room each Read was
// given.
type sizedReads struct {
	chunks [][]byte
	rooms  []int
}

func (s *sizedReads) Read(p []byte) (int, error) {
	s.rooms = append(s.rooms, len(p))
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.chunks[0])
	if s.chunks[0] = s.chunks[0][n:]; len(s.chunks[0]) == 0 {
		s.chunks = s.chunks[1:]
	}
	return n, nil
}

// TestReaderReadsIntoTheWholeBufferOnceDrained: when every line of a read
// has been returned, the next read gets the whole buffer, not what was left
// after the last one: a peer that sends 3 KiB at a time must not cost two
// system calls per 4 KiB.
func TestReaderReadsIntoTheWholeBufferOnceDrained(t *testing.T) {
	burst := []byte(strings.Repeat("ping|123456789\r\n", 3000/16)) // 3000 bytes
	src := &sizedReads{chunks: [][]byte{burst, slices.Clone(burst), slices.Clone(burst)}}
	r := NewReader(src, 0)
	if _, err := readAll(t, r); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	for i, room := range src.rooms {
		if room != readSize {
			t.Errorf("read %d was given %d bytes of room, want the whole %d-byte buffer (rooms %v)", i, room, readSize, src.rooms)
		}
	}
}

// TestIndexNewlineIsIndexByte: the reader's word-at-a-time search finds the
// first '\n' exactly where bytes.IndexByte does, at every position and
// length, with bytes around it that differ from '\n' in one bit.
func TestIndexNewlineIsIndexByte(t *testing.T) {
	fill := []byte{'\n' ^ 1, '\n' ^ 0x80, '\n' - 1, '\n' + 1, 0, 0xff, 'a'}
	for n := range 40 {
		for at := -1; at < n; at++ {
			for _, f := range fill {
				b := bytes.Repeat([]byte{f}, n)
				if at >= 0 {
					b[at] = '\n'
					if at+3 < n {
						b[at+3] = '\n' // a second one after the first
					}
				}
				if got, want := indexNewline(b), bytes.IndexByte(b, '\n'); got != want {
					t.Fatalf("indexNewline(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}
