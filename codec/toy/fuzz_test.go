package toy

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// printable reports the first byte of s a terminal would act on.
func checkPrintable(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			t.Fatalf("%s has control byte 0x%02x at %d: %q", what, c, i, s)
		}
	}
}

// checkDatagram holds for any bytes: no panic, a command name from the
// fixed set, a bounded and terminal-safe log line, a verdict; and a known
// message that decodes re-encodes to the same message.
func checkDatagram(t *testing.T, b []byte) {
	t.Helper()
	name := CommandName(b)
	if name != CmdUnknown && !isKnown(name) {
		t.Fatalf("command name %q", name)
	}
	d := Describe(b)
	checkPrintable(t, "Describe", d)
	if !utf8.ValidString(d) {
		t.Fatalf("Describe is not UTF-8: %q", d)
	}
	if len(d) > MaxDescribe+64 && len(b) <= MaxDatagram {
		t.Fatalf("Describe is %d bytes", len(d))
	}
	_ = Judge(b)
	m, err := Decode(b)
	if err != nil || !m.Known() {
		return
	}
	again, err := Encode(m)
	if err != nil {
		t.Fatalf("a decoded %s does not encode: %v", m.Type, err)
	}
	m2, err := Decode(again)
	if err != nil {
		t.Fatalf("re-encoded %s does not decode: %v", m.Type, err)
	}
	m.Raw, m2.Raw = nil, nil
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("re-encoded:\n got %+v\nwant %+v", m2, m)
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range []Message{GetPeerList(1), PeerList(2, 1, []Addr{{"::1", 9000}}), Search(3, "a", 6),
		SearchResult(4, 3, "a", Addr{"h", 1}), GetFile(5, "a", 2), FileContents(6, 5, []byte("x"), 0, 1, 1), Ping(7), Pong(8, 7)} {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDatagram(t, b) })
}

// FuzzParse: any typed line parses or says why, never panics; what it
// makes fits a datagram and holds checkDatagram; a map it parses reads
// back from its own Describe when nothing was cut.
func FuzzParse(f *testing.F) {
	for _, s := range Templates() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		_ = Validate(line, Context{})
		b, err := Parse(line, Context{ID: 1})
		if err != nil {
			checkPrintable(t, "error", err.Error())
			return
		}
		if len(b) > MaxDatagram {
			t.Fatalf("%d bytes", len(b))
		}
		checkDatagram(t, b)
		m, err := DecodeMap(b)
		d := Describe(b)
		if err != nil || !strings.HasPrefix(strings.TrimSpace(line), "{") || !plainASCII(m) || strings.Contains(d, "... (") {
			return
		}
		back, err := ParseRelaxed(d)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("%s reads back as %#v (%v), want %#v", d, back, err, m)
		}
	})
}

// plainASCII says whether every text in v is printable ASCII, which the
// log shows without \u escapes and without a summary.
func plainASCII(v any) bool {
	switch v := v.(type) {
	case string:
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				return false
			}
		}
		return true
	case []any:
		for _, x := range v {
			if !plainASCII(x) {
				return false
			}
		}
		return true
	case Map:
		for _, f := range v {
			if f.Key == KeyFileContents || !plainASCII(f.Key) || !plainASCII(f.Value) {
				return false
			}
		}
		return true
	}
	return true
}
