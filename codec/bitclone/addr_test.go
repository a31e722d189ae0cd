package bitclone

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	valid := []struct{ in, want string }{
		{"1.2.3.4:80", "1.2.3.4:80"},
		{"1.2.3.4,80", "1.2.3.4:80"},
		{"0.0.0.0:1", "0.0.0.0:1"},
		{"255.255.255.255:65535", "255.255.255.255:65535"},
		{"1.2.3.4:0080", "1.2.3.4:80"},
		{"[::1]:80", "[::1]:80"},
		{"[::1],80", "[::1]:80"},
		{"::1:80", "[::1]:80"},
		{"::1,80", "[::1]:80"},
		{"fe80::1:80", "[fe80::1]:80"},
		{"2001:db8::1:8333", "[2001:db8::1]:8333"},
		{"[2001:db8:0:0:0:0:0:1]:8333", "[2001:db8::1]:8333"},
		{"[::ffff:1.2.3.4]:80", "1.2.3.4:80"},
		{"::ffff:1.2.3.4:80", "1.2.3.4:80"},
		{"[1.2.3.4]:80", "1.2.3.4:80"},
	}
	for _, tt := range valid {
		got, err := ParseAddr(tt.in)
		if err != nil || got != ap(tt.want) {
			t.Errorf("ParseAddr(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s := FormatAddr(got); s != tt.want {
			t.Errorf("FormatAddr(ParseAddr(%q)) = %q, want %q", tt.in, s, tt.want)
		}
	}

	invalid := []struct{ in, why string }{
		{"", "empty"},
		{"1.2.3.4", "missing port"},
		{"1.2.3.4:", "missing port"},
		{"1.2.3.4,", "missing port"},
		{"::1", "missing port"},
		{"[::1]", "missing port"},
		{"fe80::1", "missing port"},
		{"1.2.3.4:0", "port 0"},
		{"[::1]:00", "port 0"},
		{"1.2.3.4:65536", "port out of range"},
		{"1.2.3.4:99999999999999999999", "port out of range"},
		{"1.2.3.4:-1", "bad port"},
		{"1.2.3.4:+1", "bad port"},
		{"1.2.3.4: 80", "bad port"},
		{"1.2.3.4:http", "bad port"},
		{"1.2.3.4:80 ", "bad port"},
		{"localhost:80", "not an IP address"},
		{"example.com,80", "not an IP address"},
		{" 1.2.3.4:80", "not an IP address"},
		{"1.2.3:80", "not an IP address"},
		{"01.2.3.4:80", "not an IP address"},
		{"256.1.1.1:80", "not an IP address"},
		{"[::1]80", "not an IP address"},
		{"[[::1]]:80", "not an IP address"},
		{"1.2.3.4:80:90", "not an IP address"},
		{"[fe80::1%eth0]:80", "zone not allowed"},
		{"fe80::1%eth0:80", "zone not allowed"},
		{"x", "not an IP address"},
		{":", "not an IP address"},
		{",", "not an IP address"},
	}
	for _, tt := range invalid {
		got, err := ParseAddr(tt.in)
		if err == nil {
			t.Errorf("ParseAddr(%q) = %v, want error %q", tt.in, got, tt.why)
			continue
		}
		if !strings.HasSuffix(err.Error(), ": "+tt.why) {
			t.Errorf("ParseAddr(%q) error = %q, want reason %q", tt.in, err, tt.why)
		}
		if got != (netip.AddrPort{}) {
			t.Errorf("ParseAddr(%q) returned %v with its error", tt.in, got)
		}
	}

	// Escaped as everywhere else: BEL is \x07, not Go's \a.
	_, err := ParseAddr("evil\x1b[2J\x07:80")
	if want := `address "evil\x1b[2J\x07:80": not an IP address`; err == nil || err.Error() != want {
		t.Errorf("ParseAddr error = %v, want %s", err, want)
	}
}

func TestFormatAddr(t *testing.T) {
	tests := []struct {
		in   netip.AddrPort
		want string
	}{
		{ap("1.2.3.4:5"), "1.2.3.4:5"},
		{ap("[::1]:5"), "[::1]:5"},
		{ap("[::ffff:1.2.3.4]:5"), "1.2.3.4:5"},
		{ap("[2001:db8::1]:8333"), "[2001:db8::1]:8333"},
		{netip.AddrPort{}, ""},
	}
	for _, tt := range tests {
		if got := FormatAddr(tt.in); got != tt.want {
			t.Errorf("FormatAddr(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
