package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/stress"
)

func TestAllPhases(t *testing.T) {
	for in, want := range map[string][]bool{"live": {false}, "stalled": {true}, "both": {false, true}} {
		if got, err := allPhases(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("allPhases(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := allPhases("paused"); err == nil {
		t.Error("allPhases accepted an unknown front end")
	}
}

// A report with every figure set, so that each row shows its own.
func sampleAllReport(stalled bool, p99 time.Duration) stress.AllReport {
	return stress.AllReport{
		All:        stress.All{Duration: 30 * time.Second, FDLimit: 1024, PingInterval: 100 * time.Millisecond, Stalled: stalled},
		Took:       30 * time.Second,
		HonestKept: true,
		RTT:        stress.RTT{Samples: 300, P99: p99, Worst: 2 * p99},
		MemBefore:  stress.Memory{Heap: 1 << 20, Sys: 8 << 20},
		MemPeak:    stress.Memory{Heap: 10 << 20, Sys: 20 << 20},
		Dials:      3000, DialsPeak: 900,
		LogBytes: 30 << 20, Backlog: 123456,
		Reasons: map[string]int{"evicted": 438, "flood": 2, "handshake timeout": 62},
		Silent:  stress.SilentResult{Opened: 900, Exhausted: 77, FullAfter: 250 * time.Millisecond},
		Book:    1003, Limit: 2048,
	}
}

func TestWriteAllReport(t *testing.T) {
	var out strings.Builder
	ok := writeAllReport(&out, []stress.AllReport{sampleAllReport(false, 5*time.Millisecond), sampleAllReport(true, 50*time.Millisecond)})
	got := out.String()
	t.Log("\n" + got)
	if ok {
		t.Error("a stalled phase with a 50ms p99 was reported as meeting the targets")
	}
	for _, want := range []string{
		"front end  ", "live", "stalled",
		"honest round trip p99     5.0 ms", "50.0 ms", "honest round trip worst   10.0 ms",
		"peak heap (before)        10.0 MiB (1.0 MiB)", "peak Sys (before)         20.0 MiB (8.0 MiB)",
		"node dials                3000: 100/s, at most 900 in a second",
		"log bytes                 30.0 MiB: 1024 KiB/s", "- (nobody reads)",
		"123456",
		"438 evicted, 62 handshake timeout, 2 flood",
		"table full after 250ms, 77 dials out of descriptors",
		"book 1003 of 2048",
		"met", "MISSED: honest p99 round trip 50ms, want under 20ms",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	out.Reset()
	if !writeAllReport(&out, []stress.AllReport{sampleAllReport(false, 5*time.Millisecond)}) {
		t.Errorf("a run within every target was reported as missing one:\n%s", out.String())
	}
}
