package peer

import (
	"testing"
	"time"
)

func TestOrDefault(t *testing.T) {
	d, n, f := time.Duration(0), -3, 2.5
	OrDefault(&d, time.Second)
	OrDefault(&n, 7)
	OrDefault(&f, 9.0)
	if d != time.Second || n != 7 || f != 2.5 {
		t.Errorf("got %v, %d, %v; want 1s and 7 (unset, negative), 2.5 kept", d, n, f)
	}
}
