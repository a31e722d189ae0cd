package bitclone

import (
	"context"
	"sync"
	"testing"

	"github.com/bitclone/bitclone/check"
)

// Two runs at once on one shared listener both name its address, pass
// every check, and leave the outbound check not run (a shared listener
// cannot tell the peer's first dial); the listener outlives them.
func TestSharedListener(t *testing.T) {
	a, b := startNode(t), startNode(t)
	ctx := context.Background()
	o := fastOptions()
	ln, err := Listen(ctx, "127.0.0.1:0", o, check.TCP{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	o.Shared = ln
	reports := make([]*check.Report, 2)
	var wg sync.WaitGroup
	for i, target := range []string{a, b} {
		wg.Go(func() {
			r, err := Run(ctx, target, o)
			if err != nil {
				t.Errorf("%s: %v", target, err)
			}
			reports[i] = r
		})
	}
	wg.Wait()
	for _, r := range reports {
		if r == nil {
			continue
		}
		if r.Us != ln.Addr() {
			t.Errorf("%s: the run named %s, not the shared listener's %s", r.Target, r.Us, ln.Addr())
		}
		if !r.OK() || r.Counts().Fail != 0 {
			t.Errorf("%s: %+v", r.Target, r.Counts())
			for _, oc := range r.Outcomes {
				if oc.Verdict == check.Fail {
					t.Logf("  %s: %s", oc.Name, oc.Detail)
				}
			}
		}
		if oc, _ := r.Outcome("outbound"); oc.Verdict != check.Skip || oc.Detail != "not run: on a shared listener the peer's first dial to us cannot be told apart" {
			t.Errorf("%s: outbound %v %q", r.Target, oc.Verdict, oc.Detail)
		}
	}
	// After the runs, the listener still answers a visit.
	v, err := VisitPeer(ctx, a, o, check.TCP{})
	if err != nil || v.Us != ln.Addr().String() || v.Version == nil || v.Version.UserAgent != "selftest" || len(v.Addrs) == 0 {
		t.Errorf("visit after the runs: %+v, %v", v, err)
	}
}
