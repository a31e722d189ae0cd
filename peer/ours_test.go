package peer

import (
	"net/netip"
	"testing"
)

// A tracker names us by the address our announce came from: bound to
// every interface, any local address with our port is us; bound to one,
// only that one.
func TestHostOurs(t *testing.T) {
	h := &Host{}
	if h.Ours(netip.MustParseAddrPort("127.0.0.1:6881")) {
		t.Error("a host not yet listening owns an address")
	}
	for _, tc := range []struct {
		listen, a string
		want      bool
	}{
		{"0.0.0.0:6881", "127.0.0.1:6881", true},
		{"[::]:6881", "127.0.0.1:6881", true},
		{"[::]:6881", "[::1]:6881", true},
		{"0.0.0.0:6881", "127.0.0.1:6882", false},
		{"0.0.0.0:6881", "192.0.2.7:6881", false}, // TEST-NET: nobody's address here
		{"127.0.0.1:6881", "127.0.0.1:6881", true},
		{"127.0.0.1:6881", "127.0.0.2:6881", false},
		{"127.0.0.1:6881", "[::ffff:127.0.0.1]:6881", true},
	} {
		h.listen = netip.MustParseAddrPort(tc.listen)
		if got := h.Ours(netip.MustParseAddrPort(tc.a)); got != tc.want {
			t.Errorf("listening on %s, Ours(%s) = %v, want %v", tc.listen, tc.a, got, tc.want)
		}
	}
}
