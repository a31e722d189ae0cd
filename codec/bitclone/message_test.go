package bitclone

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestAppendWire(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"version", exampleVersionMsg, exampleVersion},
		{"version IPv6 and mapped", withVersion(func(v *Version) {
			v.Recipient = ap("[2001:db8::1]:8333")
			v.Sender = ap("[::ffff:10.0.0.1]:9")
		}), "version|3|1|1507490964|[2001:db8::1]:8333|10.0.0.1:9|8192|houser|9000"},
		{"verack", Verack{9000}, "verack|9000"},
		{"getaddr", GetAddr{}, "getaddr"},
		{"addr nil", Addr{}, "addr|0"},
		{"addr empty", Addr{Entries: []AddrEntry{}}, "addr|0"},
		{"addr", Addr{[]AddrEntry{{1507490964, ap("192.168.1.10:2989")}, {7, ap("[::1]:1")}}},
			"addr|2|1507490964|192.168.1.10:2989|7|[::1]:1"},
		{"ping", Ping{23456}, "ping|23456"},
		{"ping max", Ping{1<<64 - 1}, "ping|18446744073709551615"},
		{"pong", Pong{0}, "pong|0"},
		{"reject", Reject{400, "Invalid command", "x"}, "reject|400|Invalid command|x"},
		{"reject no detail", Reject{Code: 500, Reason: "down"}, "reject|500|down|"},
		{"message", Info{100, "peer statistics", "43 requests"}, "message|100|peer statistics|43 requests"},
		{"pointer", &Ping{5}, "ping|5"},
		// AppendWire refuses nothing; Check is where these are caught.
		{"pipe in text", Info{100, "a|b", ""}, "message|100|a|b|"},
		{"negative time", Addr{[]AddrEntry{{-1, ap("1.2.3.4:5")}}}, "addr|1|-1|1.2.3.4:5"},
		{"zero address", Version{Nonce: 1, UserAgent: "u"}, "version|0|0|0|||1|u|0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			if got := string(tt.m.AppendWire(prefix)); got != "prefix"+tt.want+"\r\n" {
				t.Errorf("AppendWire = %q, want %q", got, "prefix"+tt.want+"\r\n")
			}
			if got := Format(tt.m); got != tt.want {
				t.Errorf("Format = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{Version{}, "version"}, {Verack{}, "verack"}, {GetAddr{}, "getaddr"}, {Addr{}, "addr"},
		{Ping{}, "ping"}, {Pong{}, "pong"}, {Reject{}, "reject"}, {Info{}, "message"},
	}
	for _, tt := range tests {
		if got := tt.m.Command(); got != tt.want {
			t.Errorf("%T.Command() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestAppendWireAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	for _, m := range []Message{Ping{1234567890}, exampleVersionMsg, Reject{400, "r", "d"}} {
		n := testing.AllocsPerRun(100, func() { buf = m.AppendWire(buf[:0]) })
		if n != 0 {
			t.Errorf("%T.AppendWire into a big enough buffer: %v allocs", m, n)
		}
	}
}

func TestCheck(t *testing.T) {
	manyEntries := make([]AddrEntry, MaxAddrs+1)
	for i := range manyEntries {
		manyEntries[i] = AddrEntry{1, ap("1.2.3.4:5")}
	}
	tests := []struct {
		name          string
		m             Message
		field, reason string // "" for valid
	}{
		{"version", exampleVersionMsg, "", ""},
		{"version mapped address is fine", withVersion(func(v *Version) { v.Sender = ap("[::ffff:1.2.3.4]:5") }), "", ""},
		{"version pointer", &exampleVersionMsg, "", ""},
		{"ping 0", Ping{}, "", ""},
		{"verack", Verack{}, "", ""},
		{"pong", Pong{}, "", ""},
		{"getaddr", GetAddr{}, "", ""},
		{"addr nil", Addr{}, "", ""},
		{"addr 1000", Addr{manyEntries[:MaxAddrs]}, "", ""},
		{"reject", Reject{Code: 599}, "", ""},
		{"message", Info{Code: 100, Summary: "\x1b[2J é"}, "", ""},

		{"version nonce 0", withVersion(func(v *Version) { v.Nonce = 0 }), "nonce", "must not be 0"},
		{"version empty agent", withVersion(func(v *Version) { v.UserAgent = "" }), "user agent", "empty"},
		{"version pipe in agent", withVersion(func(v *Version) { v.UserAgent = "a|b" }), "user agent", "contains '|'"},
		{"version LF in agent", withVersion(func(v *Version) { v.UserAgent = "a\n" }), "user agent", "contains a line break"},
		{"version negative time", withVersion(func(v *Version) { v.Time = -1 }), "time", "negative"},
		{"version zero recipient", withVersion(func(v *Version) { v.Recipient = netip.AddrPort{} }), "recipient", "empty"},
		{"version port 0", withVersion(func(v *Version) { v.Sender = ap("1.2.3.4:0") }), "sender", "port 0"},
		{"version zone", withVersion(func(v *Version) { v.Sender = ap("[fe80::1%eth0]:1") }), "sender", "zone not allowed"},
		{"addr too many", Addr{manyEntries}, "count", "more than 1000"},
		{"addr negative time", Addr{[]AddrEntry{{1, ap("1.2.3.4:5")}, {-5, ap("1.2.3.4:5")}}}, "entry 2 time", "negative"},
		{"addr zero address", Addr{[]AddrEntry{{1, netip.AddrPort{}}}}, "entry 1 address", "empty"},
		{"reject 399", Reject{Code: 399}, "code", "out of range 400-599"},
		{"reject 600", Reject{Code: 600}, "code", "out of range 400-599"},
		{"reject pipe", Reject{400, "a|b", ""}, "reason", "contains '|'"},
		{"reject CR", Reject{400, "", "x\r"}, "detail", "contains a line break"},
		{"message 200", Info{Code: 200}, "code", "out of range 100-199"},
		{"message LF", &Info{100, "a\nb", ""}, "summary", "contains a line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.m)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check(%#v) = %v", tt.m, err)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%#v) = %v, want a *ParseError", tt.m, err)
			}
			want := ParseError{Command: tt.m.Command(), Field: tt.field, Reason: tt.reason}
			if *pe != want {
				t.Errorf("Check error\n got %#v\nwant %#v", *pe, want)
			}
		})
	}
	if err := Check(nil); err == nil {
		t.Error("Check(nil) = nil")
	}
	if err := Check(foreign{}); err != nil {
		t.Errorf("Check(foreign) = %v", err)
	}
}

type foreign struct{}

func (foreign) Command() string            { return "foreign" }
func (foreign) AppendWire(b []byte) []byte { return append(b, "foreign\r\n"...) }

// TestCheckMatchesParse: whatever Check accepts, Parse reads back; whatever
// it refuses (for a reason Parse can see), Parse refuses too, with the same
// field.
func TestCheckMatchesParse(t *testing.T) {
	msgs := []Message{
		withVersion(func(v *Version) { v.Nonce = 0 }),
		withVersion(func(v *Version) { v.UserAgent = "" }),
		withVersion(func(v *Version) { v.UserAgent = "a\rb" }),
		withVersion(func(v *Version) { v.Time = -1 }),
		withVersion(func(v *Version) { v.Sender = ap("1.2.3.4:0") }),
		withVersion(func(v *Version) { v.Recipient = netip.AddrPort{} }),
		Addr{[]AddrEntry{{-5, ap("1.2.3.4:5")}}},
		Reject{Code: 600},
		Info{Code: 100, Detail: "x\n"},
	}
	for _, m := range msgs {
		cerr := Check(m).(*ParseError)
		line := strings.TrimSuffix(string(m.AppendWire(nil)), "\r\n")
		_, err := Parse([]byte(line))
		perr, ok := err.(*ParseError)
		if !ok || perr.Field != cerr.Field {
			t.Errorf("%q: Check says %v, Parse says %v", line, cerr, err)
		}
	}
}
