package bitclone

import (
	"bytes"
	"testing"
)

// The shortcut must answer exactly as the parser and Pong.AppendWire would,
// and only for lines the parser reads as a ping.
func checkPongFor(t *testing.T, frame []byte) bool {
	t.Helper()
	got, ok := AppendPongFor(nil, frame)
	if !ok {
		return false
	}
	m, err := Parse(trimLineEnd(frame)) // as the line reader hands it over
	if err != nil {
		t.Fatalf("AppendPongFor answered %q, which the parser refuses: %v", frame, err)
	}
	ping, isPing := m.(Ping)
	if !isPing {
		t.Fatalf("AppendPongFor answered %q, which the parser reads as %T", frame, m)
	}
	if want := (Pong{Nonce: ping.Nonce}).AppendWire(nil); !bytes.Equal(got, want) {
		t.Fatalf("AppendPongFor(%q) = %q, the parser's answer is %q", frame, got, want)
	}
	return true
}

func TestAppendPongFor(t *testing.T) {
	for _, tt := range []struct {
		frame string
		fast  bool
	}{
		{"ping|42\r\n", true},
		{"ping|42\n", true},
		{"ping|42", true},
		{"ping|0\r\n", true},
		{"ping|9999999999999999999\r\n", true},   // 19 digits
		{"ping|18446744073709551615\r\n", false}, // 20 digits: the parser decides
		{"ping|18446744073709551616\r\n", false}, // overflows
		{"ping|007\r\n", false},                  // leading zeros: the parser writes pong|7
		{"ping|\r\n", false},
		{"ping|4x\r\n", false},
		{"ping|4 \r\n", false},
		{"ping|42\r\r\n", false},
		{"ping|1|2\r\n", false},
		{"PING|42\r\n", false},
		{"pong|42\r\n", false},
		{"ping\r\n", false},
		{"", false},
	} {
		if got := checkPongFor(t, []byte(tt.frame)); got != tt.fast {
			t.Errorf("AppendPongFor(%q) took the shortcut: %v, want %v", tt.frame, got, tt.fast)
		}
	}
}

func TestAppendPongForAppends(t *testing.T) {
	got, ok := AppendPongFor([]byte("x"), []byte("ping|5\r\n"))
	if !ok || string(got) != "xpong|5\r\n" {
		t.Fatalf("got %q, %v", got, ok)
	}
}

func FuzzAppendPongFor(f *testing.F) {
	for _, s := range []string{"ping|42\r\n", "ping|007\n", "ping|18446744073709551615", "ping|1|2\r\n", "pong|1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		checkPongFor(t, frame)
	})
}

// checkAnswerPing holds AnswerPing to the line reader and AppendPongFor: it
// answers exactly when the first line of buffered is complete and one that
// AppendPongFor answers, with that line as Reader.Next returns it, its
// length on the wire, and AppendPongFor's answer.
func checkAnswerPing(t *testing.T, buffered []byte) bool {
	t.Helper()
	n, frame, out := AnswerPing(buffered, []byte("x"))
	var want []byte
	var line []byte
	if nl := bytes.IndexByte(buffered, '\n'); nl >= 0 {
		r := NewReader(bytes.NewReader(buffered), 0)
		if l, err := r.Next(); err == nil {
			line = l
			if pong, ok := AppendPongFor([]byte("x"), l); ok {
				want = pong
			}
			if want != nil && len(r.Raw()) != n {
				t.Fatalf("AnswerPing(%q) consumed %d bytes, the line is %d", buffered, n, len(r.Raw()))
			}
		}
	}
	if n == 0 {
		if want != nil {
			t.Fatalf("AnswerPing(%q) did not answer %q, which AppendPongFor answers", buffered, line)
		}
		if string(out) != "x" || frame != nil {
			t.Fatalf("AnswerPing(%q) answered nothing but returned %q, %q", buffered, frame, out)
		}
		return false
	}
	if want == nil || !bytes.Equal(frame, line) || !bytes.Equal(out, want) {
		t.Fatalf("AnswerPing(%q) = %d, %q, %q; the reader's line is %q, AppendPongFor's answer %q", buffered, n, frame, out, line, want)
	}
	return true
}

func TestAnswerPing(t *testing.T) {
	for _, tt := range []struct {
		buffered string
		answers  bool
	}{
		{"ping|42\r\nping|43\r\n", true},
		{"ping|42\nversion|3", true},
		{"ping|9999999999999999999\r\n", true},
		{"ping|0\r\n", true},
		{"ping|42", false},   // not complete yet
		{"ping|42\r", false}, // nor this
		{"ping|18446744073709551615\r\n", false},
		{"ping|123456789012345678901234\r\n", false},
		{"ping|007\r\n", false},
		{"ping|\r\n", false},
		{"ping|4x\r\n", false},
		{"ping|42\r\r\n", false},
		{"ping|1|2\r\n", false},
		{"pong|42\r\n", false},
		{"ping\r\n", false},
		{"pin", false},
		{"", false},
	} {
		if got := checkAnswerPing(t, []byte(tt.buffered)); got != tt.answers {
			t.Errorf("AnswerPing(%q) answered: %v, want %v", tt.buffered, got, tt.answers)
		}
	}
}

func FuzzAnswerPing(f *testing.F) {
	for _, s := range []string{"ping|42\r\nping|1\r\n", "ping|42", "ping|007\n", "ping|18446744073709551615\n", "pong|1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, buffered []byte) {
		checkAnswerPing(t, buffered)
	})
}
