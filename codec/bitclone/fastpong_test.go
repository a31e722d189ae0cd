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
