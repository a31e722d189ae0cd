package bitclone

import "testing"

func TestTypedEndsWithCRLF(t *testing.T) {
	for line, want := range map[string]string{
		"ping|42":  "ping|42\r\n",
		" ping|1 ": " ping|1 \r\n", // spaces go on the wire as typed
		"":         "\r\n",
	} {
		if got := string(Typed(line)); got != want {
			t.Errorf("Typed(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestLineEnd(t *testing.T) {
	for raw, want := range map[string]string{
		"ping|1\r\n": "ends with CRLF",
		"ping|1\n":   "ends with a bare LF",
		"ping|1":     "no line end",
		"ping|1\r":   "no line end",
	} {
		if got := LineEnd([]byte(raw)); got != want {
			t.Errorf("LineEnd(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestTrimEOL(t *testing.T) {
	for in, want := range map[string]string{
		"ping|1\r\n": "ping|1", "ping|1\n": "ping|1", "ping|1\r": "ping|1",
		"ping|1": "ping|1", "\r\n": "", "": "", "a\n\n": "a\n",
	} {
		if got := string(TrimEOL([]byte(in))); got != want {
			t.Errorf("TrimEOL(%q) = %q, want %q", in, got, want)
		}
	}
}
