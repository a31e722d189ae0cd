package sim

import (
	"context"
	"testing"
	"time"
)

// The CI-sized network: twenty nodes converge and the figures are sane.
func TestTwentyNodes(t *testing.T) {
	rep, err := Run(context.Background(), Options{
		Nodes: 20, PingInterval: 300 * time.Millisecond, AdvertiseInterval: 300 * time.Millisecond,
		IdleTimeout: 2 * time.Second, Steady: time.Second, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Connected <= 0 || rep.Known <= 0 {
		t.Errorf("convergence times %s / %s", rep.Connected, rep.Known)
	}
	if rep.ConnEnds < 20*5 {
		t.Errorf("%d connection ends at steady state, want at least 100", rep.ConnEnds)
	}
	// Every node pings and advertises to each of its peers about three times
	// a second: at least 5 peers x 2 messages x 3/s x 60 s a minute.
	if rep.MsgsPerNodeMin < 5*2*3*60*0.8 {
		t.Errorf("%.0f messages per node per minute, want about 1800 or more", rep.MsgsPerNodeMin)
	}
	// A connection end is a reader and a writer goroutine.
	if rep.GoroutinesPerConn < 1.5 || rep.GoroutinesPerConn > 2.5 {
		t.Errorf("%.2f goroutines per connection end, want about 2", rep.GoroutinesPerConn)
	}
	if rep.HeapPerConn <= 0 || rep.HeapPerNode <= 0 {
		t.Errorf("heap per node %.0f, per connection %.0f", rep.HeapPerNode, rep.HeapPerConn)
	}
}
