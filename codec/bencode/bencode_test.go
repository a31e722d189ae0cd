package bencode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDecodeValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Value
	}{
		{"i0e", Int(0)},
		{"i42e", Int(42)},
		{"i-7e", Int(-7)},
		{"i9223372036854775807e", Int(9223372036854775807)},
		{"i-9223372036854775808e", Int(-9223372036854775808)},
		{"0:", String("")},
		{"4:spam", String("spam")},
		{"3:\x00e:", String("\x00e:")},
		{"le", List()},
		{"l4:spami42ee", List(String("spam"), Int(42))},
		{"de", Dict()},
		{"d3:bar4:spam3:fooi42ee", Dict(Entry{"bar", String("spam")}, Entry{"foo", Int(42)})},
		{"d1:a0:2:aa0:1:bli1eee", Dict(Entry{"a", String("")}, Entry{"aa", String("")}, Entry{"b", List(Int(1))})},
		{"d0:i1ee", Dict(Entry{"", Int(1)})},
		{"lllleeee", List(List(List(List())))},
	} {
		for _, dec := range []func([]byte) (Value, error){Decode, DecodeLenient} {
			got, err := dec([]byte(tc.in))
			if err != nil {
				t.Errorf("%q: %v", tc.in, err)
				continue
			}
			if !got.Equal(tc.want) {
				t.Errorf("%q: got %+v, want %+v", tc.in, got, tc.want)
			}
			if string(got.Raw) != tc.in || got.Offset != 0 {
				t.Errorf("%q: Raw %q at %d", tc.in, got.Raw, got.Offset)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "want a value (i, l, d or a digit), got the end of the input"},
		{"x", 0, "want a value (i, l, d or a digit), got 'x'"},
		{"\x00", 0, "got byte 0x00"},
		{"ie", 1, "want a digit, got 'e'"},
		{"i-e", 2, "want a digit, got 'e'"},
		{"i-0e", 0, "integer -0"},
		{"i03e", 1, "integer with a leading zero"},
		{"i-03e", 2, "integer with a leading zero"},
		{"i00e", 1, "integer with a leading zero"},
		{"i1", 2, "want a digit or 'e', got the end of the input"},
		{"i1x", 2, "want a digit or 'e', got 'x'"},
		{"i+1e", 1, "want a digit, got '+'"},
		{"i 1e", 1, "want a digit, got ' '"},
		{"i9223372036854775808e", 0, "integer out of the range of int64"},
		{"i-9223372036854775809e", 0, "integer out of the range of int64"},
		{"04:spam", 0, "string length with a leading zero"},
		{"00:", 0, "string length with a leading zero"},
		{"4spam", 1, "want a digit or ':' in a string length, got 's'"},
		{"5:spam", 0, "string of 5 bytes, but only 4 remain"},
		{"99999999999999999999999:", 0, "string length of 23 digits, but only 0 bytes remain"},
		{"l", 1, "want a value or 'e' to end the list, got the end of the input"},
		{"li1e", 4, "want a value or 'e' to end the list"},
		{"lxe", 1, "want a value (i, l, d or a digit), got 'x'"},
		{"d", 1, "want a byte-string key or 'e' to end the dictionary, got the end of the input"},
		{"di1ei2ee", 1, "want a byte-string key or 'e' to end the dictionary, got 'i'"},
		{"d1:a", 4, "want the value of key \"a\", got the end of the input"},
		{"d1:ae", 4, "want a value (i, l, d or a digit), got 'e'"},
		{"d1:bi1e1:ai2ee", 7, `key "a" after "b": keys must be in sorted order`},
		{"d1:ai1e1:ai2ee", 7, `key "a" twice`},
		{"i1ei2e", 3, "trailing data after the value (3 bytes)"},
		{"lee", 2, "trailing data after the value (1 bytes)"},
		{"4:spam\n", 6, "trailing data"},
		{"e", 0, "want a value (i, l, d or a digit), got 'e'"},
	} {
		_, err := Decode([]byte(tc.in))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v, want *Error", tc.in, err)
			continue
		}
		if e.Offset != tc.offset || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("%q: %v; want byte %d: %s", tc.in, err, tc.offset, tc.msg)
		}
		if !strings.HasPrefix(err.Error(), "bencode: byte ") {
			t.Errorf("%q: %q", tc.in, err)
		}
	}
}

// Lenient accepts keys out of order, and nothing else Decode refuses.
func TestDecodeLenient(t *testing.T) {
	in := "d1:bi1e1:ad1:zi0e1:yi0eee"
	if _, err := Decode([]byte(in)); err == nil {
		t.Fatalf("Decode accepted unsorted keys")
	}
	v, err := DecodeLenient([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Dict(Entry{"b", Int(1)}, Entry{"a", Dict(Entry{"z", Int(0)}, Entry{"y", Int(0)})})
	if !v.Equal(want) {
		t.Fatalf("got %+v, want the input order", v)
	}
	a, _ := v.Get("a")
	if string(a.Raw) != "d1:zi0e1:yi0ee" || a.Offset != 10 {
		t.Errorf("the inner dictionary's Raw %q at %d", a.Raw, a.Offset)
	}
	// Encode sorts; the result is canonical.
	out, err := Encode(v)
	if err != nil || string(out) != "d1:ad1:yi0e1:zi0ee1:bi1ee" {
		t.Errorf("Encode = %q, %v", out, err)
	}
	for _, bad := range []string{"d1:bi1e1:ai2e1:bi3ee", "d1:bi1e1:ai2e1:ai3ee", "i-0e", "i01e", "01:a", "i1ei1e"} {
		if _, err := DecodeLenient([]byte(bad)); err == nil {
			t.Errorf("DecodeLenient(%q) accepted it", bad)
		}
	}
	if _, err := DecodeLenient([]byte("d1:bi1e1:ai2e1:bi3ee")); err == nil || !strings.Contains(err.Error(), `key "b" twice`) {
		t.Errorf("an unsorted duplicate: %v", err)
	}
}

func TestDecodeLimits(t *testing.T) {
	deep := strings.Repeat("l", MaxDepth) + strings.Repeat("e", MaxDepth)
	if _, err := Decode([]byte(deep)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	deeper := strings.Repeat("l", MaxDepth+1) + strings.Repeat("e", MaxDepth+1)
	if _, err := Decode([]byte(deeper)); err == nil || !strings.Contains(err.Error(), "byte 64: nested more than 64 deep") {
		t.Errorf("depth %d: %v", MaxDepth+1, err)
	}
	many := "l" + strings.Repeat("le", MaxValues) + "e" // MaxValues+1 values
	if _, err := Decode([]byte(many)); err == nil || !strings.Contains(err.Error(), "more than 1048576 values") {
		t.Errorf("%d values: %v", MaxValues+1, err)
	}
	if _, err := Decode([]byte("l" + strings.Repeat("le", MaxValues-1) + "e")); err != nil {
		t.Errorf("%d values: %v", MaxValues, err)
	}
	big := make([]byte, MaxSize+1)
	if _, err := Decode(big); err == nil || !strings.Contains(err.Error(), "input of 16777217 bytes, at most 16777216") {
		t.Errorf("MaxSize+1 bytes: %v", err)
	}
	// A string as long as the input allows.
	s := append([]byte("16777207:"), make([]byte, MaxSize-9)...)
	if v, err := Decode(s); err != nil || len(v.Str) != MaxSize-9 {
		t.Errorf("a string filling MaxSize: %v", err)
	}
}

func TestRawAndOffsets(t *testing.T) {
	in := []byte("d8:announce3:url4:infod4:name1:x6:lengthi5eee")
	_, err := Decode(in)
	if err == nil {
		t.Fatal("unsorted info keys accepted")
	}
	in = []byte("d8:announce3:url4:infod6:lengthi5e4:name1:xee")
	v, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	info, ok := v.Get("info")
	if !ok || string(info.Raw) != "d6:lengthi5e4:name1:xe" || info.Offset != 22 {
		t.Fatalf("info %q at %d", info.Raw, info.Offset)
	}
	name, _ := info.Get("name")
	if string(name.Raw) != "1:x" || string(name.Str) != "x" || name.Offset != 40 {
		t.Errorf("name %q %q at %d", name.Raw, name.Str, name.Offset)
	}
	if _, ok := info.Get("nope"); ok {
		t.Errorf("Get found a missing key")
	}
	if _, ok := Int(1).Get("x"); ok {
		t.Errorf("Get on an integer")
	}
	// Raw cannot grow into the rest of the input.
	name.Raw = append(name.Raw, '!')
	if !bytes.Equal(in, []byte("d8:announce3:url4:infod6:lengthi5e4:name1:xee")) {
		t.Errorf("appending to Raw changed the input: %q", in)
	}
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Int(-3), "i-3e"},
		{Int(0), "i0e"},
		{String(""), "0:"},
		{Bytes([]byte{0, 1}), "2:\x00\x01"},
		{List(), "le"},
		{Value{Kind: KindList}, "le"},
		{Dict(Entry{"z", Int(1)}, Entry{"a", List(String("x"))}, Entry{"m", Dict()}), "d1:al1:xe1:mde1:zi1ee"},
		{Dict(Entry{"b", Int(1)}, Entry{"a\xff", Int(2)}, Entry{"a", Int(3)}), "d1:ai3e2:a\xffi2e1:bi1ee"},
	} {
		got, err := Encode(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("Encode(%+v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
	orig := []Entry{{"b", Int(1)}, {"a", Int(2)}}
	if _, err := Encode(Dict(orig...)); err != nil || orig[0].Key != "b" {
		t.Errorf("Encode reordered the caller's entries: %v", orig)
	}
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Value{}, "bencode: a value of no kind"},
		{List(Int(1), Value{}), "bencode: [1]: a value of no kind"},
		{Dict(Entry{"a", Dict(Entry{"x", Int(1)}, Entry{"x", Int(2)})}), `bencode: .a: key "x" twice`},
	} {
		if _, err := Encode(tc.v); err == nil || err.Error() != tc.want {
			t.Errorf("Encode(%+v): %v, want %s", tc.v, err, tc.want)
		}
	}
	deep := List()
	for range MaxDepth {
		deep = List(deep)
	}
	if _, err := Encode(deep); err == nil || !strings.Contains(err.Error(), "nested more than 64 deep") {
		t.Errorf("depth %d: %v", MaxDepth+1, err)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindInt: "integer", KindString: "byte string", KindList: "list", KindDict: "dictionary", 0: "no value"} {
		if k.String() != want {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}
