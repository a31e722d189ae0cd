package peer

import (
	"testing"
	"time"
)

func TestAddrInfoStatus(t *testing.T) {
	until := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		a    AddrInfo
		want string
	}{
		{AddrInfo{}, "stale"},
		{AddrInfo{Live: true}, "live"},
		{AddrInfo{Live: true, DroppedUntil: until}, "dropped"},
		{AddrInfo{Banned: true, DroppedUntil: until}, "banned"},
	} {
		if got := tc.a.Status(); got != tc.want {
			t.Errorf("%+v: status %q, want %q", tc.a, got, tc.want)
		}
	}
}
