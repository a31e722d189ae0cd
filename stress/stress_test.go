package stress

import (
	"context"
	"os"
	"testing"
)

// size is the CI size of an attack, or the full size when
// BITCLONE_STRESS_FULL=1 (minutes, not seconds).
func size(ci, full int) int {
	if os.Getenv("BITCLONE_STRESS_FULL") == "1" {
		return full
	}
	return ci
}

func run(t *testing.T, sc Scenario) Report {
	t.Helper()
	rep, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s x%d: sent %d (%d answered) in %s; target closed %d %v, refused %d; honest kept=%v pongs=%d worst wait %s; newcomer in %s; heap %d -> peak %d; book %d/%d",
		rep.Attack, rep.Count, rep.Sent, rep.Answered, rep.Took, rep.Closed, rep.Reasons, rep.Refused, rep.HonestKept, rep.HonestPongs,
		rep.HonestWorstWait, rep.NewcomerWait, rep.HeapBefore, rep.HeapPeak, rep.Book, rep.Limit)
	if !rep.OK() {
		t.Errorf("the honest peer suffered or the book overflowed: %+v", rep)
	}
	if rep.HonestPongs == 0 {
		t.Error("the honest peer got no pong during the attack")
	}
	return rep
}

func TestConnectionsThatNeverHandshake(t *testing.T) {
	n := size(200, 500)
	rep := run(t, Scenario{Attack: AttackHandshakes, Count: n})
	if rep.Sent != n {
		t.Fatalf("opened %d connections, want %d", rep.Sent, n)
	}
	// Every one was evicted to make room or closed at the handshake timeout.
	if rep.Reasons["evicted"]+rep.Reasons["handshake timeout"] != n {
		t.Errorf("closed %d %v, refused %d; want all %d evicted or timed out", rep.Closed, rep.Reasons, rep.Refused, n)
	}
	// And an honest newcomer got in meanwhile, without waiting them out.
	if rep.NewcomerErr != nil || rep.NewcomerWait >= rep.HandshakeTimeout {
		t.Errorf("newcomer: %v after %s", rep.NewcomerErr, rep.NewcomerWait)
	}
}

func TestPingFlood(t *testing.T) {
	n := size(60_000, 1_000_000)
	rep := run(t, Scenario{Attack: AttackPings, Count: n})
	if rep.Reasons["flood"] != 1 {
		t.Errorf("the flooder was not dropped as a flood: %v", rep.Reasons)
	}
}

func TestAddrFlood(t *testing.T) {
	n := size(100, 1000)
	rep := run(t, Scenario{Attack: AttackAddrs, Count: n})
	if rep.Sent != n {
		t.Errorf("sent %d addr messages, want %d", rep.Sent, n)
	}
	if rep.Book > rep.Limit || rep.Book < 1000 {
		t.Errorf("address book holds %d, want the burst of 1000 and at most %d", rep.Book, rep.Limit)
	}
}

func TestPingFloodAnsweredWithoutLimit(t *testing.T) {
	n := size(100_000, 1_000_000)
	rep := run(t, Scenario{Attack: AttackPings, Count: n, NoFloodLimit: true})
	if rep.Sent != n || rep.Answered != n {
		t.Errorf("sent %d pings, %d answered; want all %d", rep.Sent, rep.Answered, n)
	}
}
