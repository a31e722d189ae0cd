package bitclone

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics; its errors are safe to print; whatever it
// accepts passes Check and survives Format and Parse again unchanged; Strict
// refuses exactly what Parse refuses (given the line with CRLF), and finds no fault of form in Format's
// output (only values, which Format keeps, may deviate).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := Parse(line)
		if _, serr := Strict(append(line[:len(line):len(line)], crlf...)); (err == nil) != (serr == nil) {
			t.Fatalf("Strict and Parse disagree: %v / %v", serr, err)
		}
		var d Decoder
		dm, derr := d.Parse(line)
		if (err == nil) != (derr == nil) || (err != nil && err.Error() != derr.Error()) {
			t.Fatalf("Parse and Decoder.Parse disagree: %v / %v", err, derr)
		}
		if err != nil {
			var pe *ParseError
			if err != ErrEmptyLine && err != ErrLineTooLong && !errors.As(err, &pe) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if m != nil {
				t.Fatalf("message %#v returned with error %v", m, err)
			}
			for _, c := range []byte(err.Error()) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("error text %q holds a control byte", err)
				}
			}
			return
		}
		if !reflect.DeepEqual(deref(dm), m) {
			t.Fatalf("Decoder.Parse = %#v, Parse = %#v", dm, m)
		}
		if cmd := CommandOf(line); cmd != m.Command() {
			t.Fatalf("CommandOf = %q, Command = %q", cmd, m.Command())
		}
		if err := Check(m); err != nil {
			t.Fatalf("Check(Parse(%q)) = %v", line, err)
		}
		s := Format(m)
		m2, err := Parse([]byte(s))
		if err != nil {
			t.Fatalf("Parse(Format(Parse(%q))) = %q: %v", line, s, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("%q: parsed %#v, after Format %#v", line, m, m2)
		}
		if s2 := Format(m2); s2 != s {
			t.Fatalf("Format not stable: %q then %q", s, s2)
		}
		devs, _ := Strict([]byte(s + "\r\n"))
		for _, d := range devs {
			if d.Field != "version" && d.Field != "services" && d.Field != "summary" && d.Field != "reason" {
				t.Fatalf("Strict(Format(Parse(%q))) = %v: the canonical form deviates", line, d)
			}
		}
	})
}

// FuzzReader: data cut into reads of the sizes in chunks (cycled) gives
// the lines a simple model predicts: never one beyond maxLine, and
// together with their terminators exactly a prefix of data.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, chunks []byte, limit uint16) {
		sizes := make([]int, 0, len(chunks)+1)
		for _, c := range chunks {
			sizes = append(sizes, int(c)+1)
		}
		if len(sizes) == 0 {
			sizes = append(sizes, len(data)+1)
		}
		maxLine := int(limit % 600) // small limits find edges; 0 means MaxLine
		r := NewReader(&chunkReader{data: data, sizes: sizes}, maxLine)
		if maxLine == 0 {
			maxLine = MaxLine
		}

		rest := data
		for {
			line, err := r.Next()
			if len(line) > maxLine {
				t.Fatalf("line of %d bytes, limit %d", len(line), maxLine)
			}
			want, wantErr, n := modelNext(rest, maxLine)
			if err != wantErr || !bytes.Equal(line, want) {
				t.Fatalf("Next = %q, %v; model says %q, %v", line, err, want, wantErr)
			}
			rest = rest[n:]
			if err != nil {
				return
			}
		}
	})
}

// modelNext is what Reader.Next should return at the start of data, and
// how many bytes that consumes.
func modelNext(data []byte, maxLine int) ([]byte, error, int) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		switch {
		case len(data) == 0:
			return nil, io.EOF, 0
		case len(data) > maxLine:
			return nil, ErrLineTooLong, 0
		}
		return data, io.ErrUnexpectedEOF, len(data)
	}
	line := bytes.TrimSuffix(data[:i], cr)
	if len(line) > maxLine {
		return nil, ErrLineTooLong, 0
	}
	return line, nil, i + 1
}
