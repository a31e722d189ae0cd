package bitclone

import (
	"net/netip"
	"testing"
)

// --listen: an IP:PORT as given; a PORT, or nothing (a free port), on the
// IP the first seed is reached from.
func TestListenAddr(t *testing.T) {
	seed := netip.MustParseAddrPort("127.0.0.1:1")
	for _, c := range []struct{ listen, want string }{
		{"", "127.0.0.1:0"},
		{"9000", "127.0.0.1:9000"},
		{"127.0.0.2:9000", "127.0.0.2:9000"},
		{"[::1]:9000", "[::1]:9000"},
	} {
		got, err := listenAddr(c.listen, seed)
		if err != nil || got != c.want {
			t.Errorf("listenAddr(%q): %q, %v; want %q", c.listen, got, err, c.want)
		}
	}
	got, err := listenAddr("9000", netip.MustParseAddrPort("[::1]:1"))
	switch {
	case err != nil:
		t.Logf("no IPv6 loopback here: %v", err)
	case got != "[::1]:9000":
		t.Errorf("an IPv6 seed: %q", got)
	}
}
