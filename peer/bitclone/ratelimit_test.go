package bitclone

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// rateConfig limits each peer to 100 messages/s after a burst of 100.
func rateConfig() Config {
	return Config{MaxMsgRate: 100, MaxMsgBurst: 100, IdleTimeout: time.Hour, PingInterval: time.Hour, AdvertiseInterval: time.Hour}
}

// countPongs counts the pongs r receives until it has n or the
// connection closes, and sends the count on the returned channel.
func countPongs(r *remote, n int) <-chan int {
	got := make(chan int, 1)
	go func() {
		pongs := 0
		for line := range r.lines {
			if strings.HasPrefix(line, "pong|") {
				if pongs++; pongs == n {
					break
				}
			}
		}
		got <- pongs
	}()
	return got
}

func TestPeerAboveTheRateIsSlowedNotDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, rateConfig())
		r := pn.handshakeIn("192.0.2.7:9001")
		// 600 pings at 150/s, one at a time: 4 s at the peer's own pace.
		const n = 600
		answered := countPongs(r, n)
		start := time.Now()
		for i := range n {
			if _, err := fmt.Fprintf(r.conn, "ping|%d\r\n", i); err != nil {
				t.Fatalf("ping %d: %v", i, err)
			}
			time.Sleep(time.Second / 150)
		}
		if got := <-answered; got != n {
			t.Fatalf("%d pongs, want %d", got, n)
		}
		// The burst lasts 2 s at 150/s against 100/s (300 pings); the other
		// 300 go at 100/s: 5 s in all, while the peer would have taken 4.
		t.Logf("600 pings took %s", time.Since(start))
		if took := time.Since(start); took < 4900*time.Millisecond {
			t.Errorf("600 pings at 1.5 times the limit took %s, want about 5s (slowed to the limit)", took)
		}
		synctest.Wait()
		if pn.hasEvent(peer.KindClosed, "") {
			t.Errorf("dropped: %v", pn.eventTexts(peer.KindClosed))
		}
		if s := pn.Snapshot(); s.Inbound != 1 {
			t.Errorf("%d inbound connections, want the peer still there", s.Inbound)
		}
	})
}

func TestPeerFarAboveTheRateIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pn := startPipeNode(t, rateConfig())
		r := pn.handshakeIn("192.0.2.7:9001")
		// 2000 pings as fast as the pipe takes them: the burst of 100 is
		// gone in no time at all.
		go func() {
			for range 10 {
				if _, err := r.conn.Write([]byte(strings.Repeat("ping|1\r\n", 200))); err != nil {
					return // dropped
				}
			}
		}()
		r.expectClosed()
		synctest.Wait()
		if !pn.hasEvent(peer.KindClosed, "flood: ") {
			t.Errorf("closed events: %v, want a flood", pn.eventTexts(peer.KindClosed))
		}
	})
}

func TestRateLimitOffNeverSlowsOrDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := rateConfig()
		cfg.MaxMsgRate = -1 // what --max-msg-rate 0 asks for
		pn := startPipeNode(t, cfg)
		r := pn.handshakeIn("192.0.2.7:9001")
		const n = 3000
		answered := countPongs(r, n)
		start := time.Now()
		for range n / 300 {
			if _, err := r.conn.Write([]byte(strings.Repeat("ping|1\r\n", 300))); err != nil {
				t.Fatal(err)
			}
		}
		if got := <-answered; got != n {
			t.Fatalf("%d pongs, want %d", got, n)
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("3000 pings took %s, want no waiting at all", took)
		}
		synctest.Wait()
		if pn.hasEvent(peer.KindClosed, "") {
			t.Errorf("dropped: %v", pn.eventTexts(peer.KindClosed))
		}
	})
}

// TestUnlimitedPipelinedPingsAreAnsweredInOrderAndCounted: without a flood
// limit, the connection answers a run of pings itself (Conn.AnswerQuickly)
// once the peer is established: every ping still gets its own pong, in
// order, non-canonical ones among them through the parser, and the
// connection's counts are exact.
func TestUnlimitedPipelinedPingsAreAnsweredInOrderAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := rateConfig()
		cfg.MaxMsgRate = -1
		pn := startPipeNode(t, cfg)
		r := pn.handshakeIn("192.0.2.7:9001")
		var burst strings.Builder
		var want []string
		for i := range 1000 {
			nonce := fmt.Sprint(i + 1)
			if i%97 == 0 {
				nonce = "0" + nonce // leading zero: the parser answers pong|N
			}
			fmt.Fprintf(&burst, "ping|%s\r\n", nonce)
			want = append(want, fmt.Sprintf("pong|%d", i+1))
		}
		if _, err := r.conn.Write([]byte(burst.String())); err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if got := r.expect("pong|"); got != w {
				t.Fatalf("answer %d is %q, want %q", i, got, w)
			}
		}
		synctest.Wait()
		snap := pn.Snapshot()
		if len(snap.Conns) != 1 {
			t.Fatalf("%d connections", len(snap.Conns))
		}
		c := snap.Conns[0]
		if in, out := c.In["ping"], c.Out["pong"]; in.Msgs != 1000 || in.Bytes != uint64(burst.Len()) || out.Msgs != 1000 {
			t.Errorf("counted %d pings (%d bytes) in and %d pongs out, want 1000 (%d bytes) and 1000", in.Msgs, in.Bytes, out.Msgs, burst.Len())
		}
	})
}
