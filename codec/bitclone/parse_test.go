package bitclone

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var ap = netip.MustParseAddrPort

const exampleVersion = "version|3|1|1507490964|192.168.1.10:8090|130.111.135.12:2098|8192|houser|9000"

var exampleVersionMsg = Version{
	Version: 3, Services: 1, Time: 1507490964,
	Recipient: ap("192.168.1.10:8090"), Sender: ap("130.111.135.12:2098"),
	Nonce: 8192, UserAgent: "houser", BlockID: 9000,
}

// withVersion returns the example version with one change.
func withVersion(change func(*Version)) Version {
	v := exampleVersionMsg
	change(&v)
	return v
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Message
	}{
		// The spec's examples.
		{"version", exampleVersion, exampleVersionMsg},
		{"verack", "verack|9000", Verack{9000}},
		{"getaddr", "getaddr", GetAddr{}},
		{"addr", "addr|2|1507490964|192.168.1.10:2989|1507490964|130.111.135.1:8767",
			Addr{[]AddrEntry{{1507490964, ap("192.168.1.10:2989")}, {1507490964, ap("130.111.135.1:8767")}}}},
		{"ping", "ping|23456", Ping{23456}},
		{"pong", "pong|23456", Pong{23456}},
		{"reject", `reject|400|Invalid command|The command "send me flowers" was not recognized.`,
			Reject{400, "Invalid command", `The command "send me flowers" was not recognized.`}},
		{"message", "message|100|peer statistics|43 requests, 10 rejections, 76% correct",
			Info{100, "peer statistics", "43 requests, 10 rejections, 76% correct"}},

		// Edges of the values.
		{"nonce 0 outside version", "ping|0", Ping{0}},
		{"max uint64", "pong|18446744073709551615", Pong{1<<64 - 1}},
		{"verack 0", "verack|0", Verack{0}},
		{"max time", "addr|1|9223372036854775807|1.2.3.4:5", Addr{[]AddrEntry{{1<<63 - 1, ap("1.2.3.4:5")}}}},
		{"addr 0 is nil entries", "addr|0", Addr{}},
		{"addr IPv6", "addr|2|1|[2001:db8::1]:8333|2|[::1]:1",
			Addr{[]AddrEntry{{1, ap("[2001:db8::1]:8333")}, {2, ap("[::1]:1")}}}},
		{"reject 599 empty texts", "reject|599||", Reject{Code: 599}},
		{"message 199", "message|199|s|d", Info{199, "s", "d"}},
		{"text keeps controls and unicode", "message|100|\x1b[2J é|\x00日本",
			Info{100, "\x1b[2J é", "\x00日本"}},
		{"version with spaces in agent", strings.Replace(exampleVersion, "houser", "my peer 1.0", 1),
			withVersion(func(v *Version) { v.UserAgent = "my peer 1.0" })},
		{"version unspecified sender", strings.Replace(exampleVersion, "130.111.135.12", "0.0.0.0", 1),
			withVersion(func(v *Version) { v.Sender = ap("0.0.0.0:2098") })},

		// Leniencies.
		{"trailing CR", "ping|23456\r", Ping{23456}},
		{"trailing CR getaddr", "getaddr\r", GetAddr{}},
		{"leading zeros", "ping|000123", Ping{123}},
		{"ip,port", strings.Replace(exampleVersion, "192.168.1.10:8090", "192.168.1.10,8090", 1), exampleVersionMsg},
		{"bracketed IPv6", strings.Replace(exampleVersion, "192.168.1.10:8090", "[fe80::1]:8090", 1),
			withVersion(func(v *Version) { v.Recipient = ap("[fe80::1]:8090") })},
		{"unbracketed IPv6", strings.Replace(exampleVersion, "192.168.1.10:8090", "fe80::1:8090", 1),
			withVersion(func(v *Version) { v.Recipient = ap("[fe80::1]:8090") })},
		{"IPv6 with comma", strings.Replace(exampleVersion, "192.168.1.10:8090", "::1,8090", 1),
			withVersion(func(v *Version) { v.Recipient = ap("[::1]:8090") })},
		{"IPv4-mapped is unmapped", strings.Replace(exampleVersion, "192.168.1.10:8090", "[::ffff:192.168.1.10]:8090", 1),
			exampleVersionMsg},
		{"port leading zeros", "addr|1|1|1.2.3.4:00080", Addr{[]AddrEntry{{1, ap("1.2.3.4:80")}}}},
		{"reject without detail", "reject|400|bad", Reject{400, "bad", ""}},
		{"message without detail", "message|100|hello", Info{100, "hello", ""}},
		{"reject without detail, empty reason", "reject|400|", Reject{Code: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.line))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tt.line, got, tt.want)
			}
			if err := Check(got); err != nil {
				t.Errorf("Check(Parse(%q)): %v", tt.line, err)
			}
			var d Decoder
			p, err := d.Parse([]byte(tt.line))
			if err != nil || !reflect.DeepEqual(deref(p), tt.want) {
				t.Errorf("Decoder.Parse(%q) = %#v, %v", tt.line, p, err)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name    string
		line    string
		command string
		field   string
		reason  string
		unknown bool
	}{
		// Commands.
		{"upper case", "PING|1", "PING", "", "unknown command", true},
		{"no such command", "foo", "foo", "", "unknown command", true},
		{"leading space", " ping|1", " ping", "", "unknown command", true},
		{"empty command", "|1", "", "", "unknown command", true},
		{"ANSI command is escaped", "\x1b[2J\x1b]0;title\x07|1", `\x1b[2J\x1b]0;title\x07`, "", "unknown command", true},
		{"long command is cut", long + "|1", long[:32], "", "unknown command", true},
		{"cut on a rune boundary", strings.Repeat("a", 31) + "é", strings.Repeat("a", 31), "", "unknown command", true},
		{"two CRs leave one", "getaddr\r\r", `getaddr\r`, "", "unknown command", true},

		// Field counts.
		{"ping no nonce", "ping", "ping", "", "want 2 fields, got 1", false},
		{"ping extra", "ping|1|2", "ping", "", "want 2 fields, got 3", false},
		{"pong extra empty", "pong|1|", "pong", "", "want 2 fields, got 3", false},
		{"verack none", "verack", "verack", "", "want 2 fields, got 1", false},
		{"getaddr with field", "getaddr|", "getaddr", "", "want 1 field, got 2", false},
		{"version short", "version|3|1|1507490964|192.168.1.10:8090|130.111.135.12:2098|8192", "version", "",
			"want 9 fields, got 7", false},
		{"version long", exampleVersion + "|x", "version", "", "want 9 fields, got 10", false},
		{"reject short", "reject|400", "reject", "", "want 3 or 4 fields, got 2", false},
		{"reject long", "reject|400|a|b|c", "reject", "", "want 3 or 4 fields, got 5", false},
		{"message long", "message|100|a|b|c", "message", "", "want 3 or 4 fields, got 5", false},
		{"addr alone", "addr", "addr", "", "want at least 2 fields, got 1", false},

		// Numbers.
		{"empty nonce", "ping|", "ping", "nonce", "empty", false},
		{"negative", "ping|-1", "ping", "nonce", "not a number", false},
		{"plus", "pong|+1", "pong", "nonce", "not a number", false},
		{"space", "ping| 1", "ping", "nonce", "not a number", false},
		{"trailing space", "ping|1 ", "ping", "nonce", "not a number", false},
		{"hex", "verack|0x10", "verack", "nonce", "not a number", false},
		{"overflow", "ping|18446744073709551616", "ping", "nonce", "out of range", false},
		{"overflow then junk", "ping|99999999999999999999x", "ping", "nonce", "not a number", false},
		{"unicode digit", "ping|١٢", "ping", "nonce", "not a number", false},
		{"version version", strings.Replace(exampleVersion, "|3|", "|x|", 1), "version", "version", "not a number", false},
		{"version services", strings.Replace(exampleVersion, "|3|1|", "|3||", 1), "version", "services", "empty", false},
		{"version time too big", strings.Replace(exampleVersion, "1507490964", "9223372036854775808", 1),
			"version", "time", "out of range", false},
		{"version nonce 0", strings.Replace(exampleVersion, "|8192|", "|0|", 1), "version", "nonce", "must not be 0", false},
		{"version nonce 000", strings.Replace(exampleVersion, "|8192|", "|000|", 1), "version", "nonce", "must not be 0", false},
		{"version block id", strings.Replace(exampleVersion, "|9000", "|", 1), "version", "block id", "empty", false},

		// Addresses.
		{"host name", strings.Replace(exampleVersion, "192.168.1.10", "localhost", 1), "version", "recipient", "not an IP address", false},
		{"no port", strings.Replace(exampleVersion, "192.168.1.10:8090", "192.168.1.10", 1), "version", "recipient", "missing port", false},
		{"port 0", strings.Replace(exampleVersion, "130.111.135.12:2098", "130.111.135.12:0", 1), "version", "sender", "port 0", false},
		{"port too big", strings.Replace(exampleVersion, ":2098", ":65536", 1), "version", "sender", "port out of range", false},
		{"port junk", strings.Replace(exampleVersion, ":2098", ":20x8", 1), "version", "sender", "bad port", false},
		{"zone", strings.Replace(exampleVersion, "192.168.1.10:8090", "[fe80::1%eth0]:8090", 1), "version", "recipient", "zone not allowed", false},
		{"empty address", strings.Replace(exampleVersion, "192.168.1.10:8090", "", 1), "version", "recipient", "empty", false},

		// Text.
		{"empty user agent", strings.Replace(exampleVersion, "houser", "", 1), "version", "user agent", "empty", false},
		{"LF in text", "message|100|a\nb|c", "message", "summary", "contains a line break", false},
		{"CR in text", "reject|400|a|b\rc", "reject", "detail", "contains a line break", false},
		{"CR at end of text", "reject|400|a|b\r\r", "reject", "detail", "contains a line break", false},

		// Codes.
		{"reject 399", "reject|399|a|b", "reject", "code", "out of range 400-599", false},
		{"reject 600", "reject|600|a|b", "reject", "code", "out of range 400-599", false},
		{"reject huge", "reject|99999999999999999999|a|b", "reject", "code", "out of range 400-599", false},
		{"reject junk", "reject|4OO|a|b", "reject", "code", "not a number", false},
		{"message 200", "message|200|a|b", "message", "code", "out of range 100-199", false},
		{"message 99", "message|099|a", "message", "code", "out of range 100-199", false},
		{"message empty code", "message||a|b", "message", "code", "empty", false},

		// addr.
		{"count junk", "addr|x", "addr", "count", "not a number", false},
		{"count empty", "addr|", "addr", "count", "empty", false},
		{"count over limit", "addr|1001", "addr", "count", "more than 1000", false},
		{"count says more", "addr|3|1|1.2.3.4:5|2|1.2.3.4:6", "addr", "count", "says 3, found 2 entries", false},
		{"count says fewer", "addr|1|1|1.2.3.4:5|2|1.2.3.4:6", "addr", "count", "says 1, found 2 entries", false},
		{"count says some, none", "addr|2", "addr", "count", "says 2, found 0 entries", false},
		{"count says 0, found 1", "addr|0|1|1.2.3.4:5", "addr", "count", "says 0, found 1 entry", false},
		{"odd trailing field", "addr|1|123|1.2.3.4:5|999", "addr", "entry 2 address", "missing", false},
		{"trailing pipe", "addr|0|", "addr", "entry 1 address", "missing", false},
		{"entry time", "addr|2|1|1.2.3.4:5|x|1.2.3.4:6", "addr", "entry 2 time", "not a number", false},
		{"entry time negative", "addr|1|-1|1.2.3.4:5", "addr", "entry 1 time", "not a number", false},
		{"entry address", "addr|2|1|1.2.3.4:5|1|host:6", "addr", "entry 2 address", "not an IP address", false},
		{"entry port 0", "addr|1|1|[::1]:0", "addr", "entry 1 address", "port 0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.line))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %#v, %v; want a *ParseError", tt.line, m, err)
			}
			if m != nil {
				t.Errorf("Parse(%q) returned a message with its error: %#v", tt.line, m)
			}
			want := ParseError{Command: tt.command, Field: tt.field, Reason: tt.reason, Unknown: tt.unknown}
			if *pe != want {
				t.Errorf("Parse(%q) error\n got %#v\nwant %#v", tt.line, *pe, want)
			}
			var d Decoder
			if _, err2 := d.Parse([]byte(tt.line)); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Decoder.Parse(%q) = %v, want %v", tt.line, err2, err)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	tests := []struct{ line, want string }{
		{"ping|x", "ping: nonce: not a number"},
		{"version|3|1|1507490964|192.168.1.10:8090|130.111.135.12:2098|8192", "version: want 9 fields, got 7"},
		{"foo|bar", `unknown command "foo"`},
		{"\x1b]0;pwned\x07", `unknown command "\x1b]0;pwned\x07"`},
		{"addr|3|1|1.2.3.4:5|2|1.2.3.4:6", "addr: count: says 3, found 2 entries"},
		{"addr|1|1|nowhere:5", "addr: entry 1 address: not an IP address"},
		{strings.Replace(exampleVersion, "192.168.1.10", "localhost", 1), "version: recipient: not an IP address"},
		{"reject|200|a|b", "reject: code: out of range 400-599"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.line))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %q", tt.line, err, tt.want)
		}
	}
}

func TestParseSentinels(t *testing.T) {
	tests := []struct {
		name string
		line []byte
		want error
	}{
		{"nil", nil, ErrEmptyLine},
		{"empty", []byte{}, ErrEmptyLine},
		{"CR only", []byte("\r"), ErrEmptyLine},
		{"too long", []byte("ping|" + strings.Repeat("1", MaxLine)), ErrLineTooLong},
		{"too long, no pipes", []byte(strings.Repeat("|", MaxLine+1)), ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := Parse(tt.line); err != tt.want || m != nil {
				t.Errorf("Parse = %v, %v; want %v", m, err, tt.want)
			}
			var d Decoder
			if m, err := d.Parse(tt.line); err != tt.want || m != nil {
				t.Errorf("Decoder.Parse = %v, %v; want %v", m, err, tt.want)
			}
		})
	}
	// Exactly MaxLine is still parsed (and fails on content, not length).
	line := []byte("reject|400|" + strings.Repeat("r", MaxLine-len("reject|400|")))
	if m, err := Parse(line); err != nil {
		t.Errorf("Parse(MaxLine bytes) = %v, %v", m, err)
	}
	if m, err := Parse(append(line, '\r')); err != nil {
		t.Errorf("Parse(MaxLine bytes + CR) = %v, %v", m, err)
	}
}

// TestParseManyPipes checks that a line of nothing but separators is
// refused cheaply, without a slice per field.
func TestParseManyPipes(t *testing.T) {
	line := []byte("addr|" + strings.Repeat("|", MaxLine-10))
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := Parse(line); err == nil {
			t.Fatal("parsed")
		}
	})
	if allocs > 2 {
		t.Errorf("%v allocations to refuse a line of pipes", allocs)
	}
	line = []byte("version" + strings.Repeat("|", MaxLine-10))
	if _, err := Parse(line); err == nil || !strings.Contains(err.Error(), "want 9 fields, got") {
		t.Errorf("Parse(version|||...) = %v", err)
	}
}

func TestCommandOf(t *testing.T) {
	tests := []struct{ line, want string }{
		{"version|3|1", CmdVersion},
		{"verack|1", CmdVerack},
		{"getaddr", CmdGetAddr},
		{"getaddr\r", CmdGetAddr},
		{"addr|0", CmdAddr},
		{"ping|1", CmdPing},
		{"pong|", CmdPong},
		{"reject", CmdReject},
		{"message|100|a|b", CmdMessage},
		{"", ""},
		{"|x", ""},
		{"Ping|1", "Ping"},
		{"foo\r", "foo"},
		{"foo\r|x", `foo\r`},
		{"\x1b[2J|x", `\x1b[2J`},
		{strings.Repeat("z", 100), strings.Repeat("z", 32)},
	}
	for _, tt := range tests {
		if got := CommandOf([]byte(tt.line)); got != tt.want {
			t.Errorf("CommandOf(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
	line := []byte("message|100|peer statistics|43 requests")
	if n := testing.AllocsPerRun(100, func() { _ = CommandOf(line) }); n != 0 {
		t.Errorf("CommandOf(known) allocates %v times", n)
	}
}

func TestDecoderAllocs(t *testing.T) {
	var d Decoder
	for _, line := range []string{"ping|1234567890", "pong|1234567890", "verack|1234567890", "getaddr"} {
		b := []byte(line)
		n := testing.AllocsPerRun(100, func() {
			if _, err := d.Parse(b); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("Decoder.Parse(%q): %v allocs, want 0", line, n)
		}
	}
}

func TestDecoderReuse(t *testing.T) {
	var d Decoder
	m1, _ := d.Parse([]byte("ping|1"))
	p1 := m1.(*Ping)
	m2, _ := d.Parse([]byte("ping|2"))
	if m2.(*Ping) != p1 || p1.Nonce != 2 {
		t.Errorf("Decoder does not reuse its Ping: %v %v", m1, m2)
	}
	// An addr's Entries last until the next call only (see
	// TestDecodersKeepTheirEntriesUntilTheirNextParse).
	a1, _ := d.Parse([]byte("addr|1|1|1.2.3.4:5"))
	if entries := a1.(*Addr).Entries; len(entries) != 1 || entries[0] != (AddrEntry{1, ap("1.2.3.4:5")}) {
		t.Errorf("Decoder.Parse(addr) entries = %v", entries)
	}
	// An error leaves nothing behind for the caller.
	if m, err := d.Parse([]byte("ping|x")); m != nil || err == nil {
		t.Errorf("Decoder.Parse(bad) = %v, %v", m, err)
	}
}

// deref turns what a Decoder returns into what Parse returns.
func deref(m Message) Message {
	if m == nil {
		return nil
	}
	if v := reflect.ValueOf(m); v.Kind() == reflect.Pointer {
		return v.Elem().Interface().(Message)
	}
	return m
}

// addrLine is a full addr whose entries are 10.i.i.1:first+i.
func addrLine(first int) []byte {
	var b strings.Builder
	b.WriteString("addr|" + strconv.Itoa(MaxAddrs))
	for i := range MaxAddrs {
		fmt.Fprintf(&b, "|1700000000|10.%d.%d.1:%d", i>>8, i&255, first+i)
	}
	return []byte(b.String())
}

// TestDecoderAddrAllocatesNothing checks that a Decoder parses a full addr
// without allocating (no copy of the line, entries in a shared buffer), and
// that the entries do not share the line's bytes, which the reader reuses.
func TestDecoderAddrAllocatesNothing(t *testing.T) {
	line := addrLine(1000)
	var d Decoder
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := d.Parse(line); err != nil {
			t.Fatal(err)
		}
	})
	if allocs >= 1 {
		t.Errorf("parsing an addr of %d entries allocates %v times, want none", MaxAddrs, allocs)
	}

	m, err := d.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	entries := m.(*Addr).Entries
	for i := range line {
		line[i] = '9' // the reader overwrites its buffer with the next lines
	}
	last := entries[MaxAddrs-1]
	want := netip.MustParseAddrPort(fmt.Sprintf("10.%d.%d.1:%d", (MaxAddrs-1)>>8, (MaxAddrs-1)&255, 1000+MaxAddrs-1))
	if last.Addr != want || last.Time != 1700000000 {
		t.Errorf("last entry after the line was overwritten = %+v, want %v at 1700000000", last, want)
	}
}

// TestDecodersKeepTheirEntriesUntilTheirNextParse checks that the shared
// entry buffers are not shared too soon: one connection's addr stays intact
// while another's is parsed, and a Decoder's next message frees its buffer.
func TestDecodersKeepTheirEntriesUntilTheirNextParse(t *testing.T) {
	var d1, d2 Decoder
	m1, err := d1.Parse(addrLine(1000))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := d2.Parse(addrLine(20000)); err != nil {
			t.Fatal(err)
		}
		if _, err := d2.Parse([]byte("ping|1")); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range m1.(*Addr).Entries {
		if int(e.Addr.Port()) != 1000+i {
			t.Fatalf("entry %d of the first decoder's addr became %v after the second decoder's", i, e.Addr)
		}
	}
	if _, err := d1.Parse([]byte("ping|1")); err != nil {
		t.Fatal(err)
	}
	if d1.entries != nil || len(d1.addr.Entries) != 0 {
		t.Errorf("a ping left the last addr's buffer with the decoder")
	}
}
