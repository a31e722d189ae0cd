package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestClipShortensAndKeepsBytes(t *testing.T) {
	if got := Clip([]byte("reject|400|\x1b[2J\xff|x\r\n")); got != "reject|400|\x1b[2J\xff|x\r\n" {
		t.Errorf("clip: %q", got)
	}
	long := Clip(bytes.Repeat([]byte("é"), 200))
	if !strings.HasSuffix(long, "… (400 bytes)") || !strings.HasPrefix(long, "éé") || !utf8.ValidString(long) {
		t.Errorf("long: %q", long)
	}
}

func sampleReport() *Report {
	return &Report{
		Target: "127.0.0.1:9", Started: time.Date(2026, 11, 21, 21, 30, 0, 0, time.UTC), Duration: 1500 * time.Millisecond,
		DiedIn: "getaddr", DiedAt: time.Second, Down: "connection refused",
		Outcomes: []Outcome{
			{Name: "version", Group: "handshake", Result: Result{Verdict: Pass, Detail: "9 fields", Sent: "version|…", Got: "version|…"}},
			{Name: "verack", Group: "handshake", Spec: "spec §Verack Message; notes: verack nonce", Expect: "an echo", Result: Result{Verdict: Warn, Detail: "carries 9000", Got: "verack|9000\r\n"}},
			{Name: "getaddr", Group: "messages", Spec: "spec §Getaddr Message, §Addr Message; notes: addr count field", Expect: "an addr", Result: Result{Verdict: Fail, Detail: "no addr", Sent: "getaddr\r\n"}},
			{Name: "garbage", Group: "robustness", DownSince: "getaddr", Result: Result{Verdict: Skip, Detail: "skipped: the peer is down since getaddr"}},
			{Name: "advertise", Group: "timed", Result: Result{Verdict: Skip, Detail: "not run: a timed check (--slow)"}},
		},
	}
}

// names are the checks of the suite the sample comes from: the longest
// sets the width of the name column.
var names = []string{"version", "version-recipient", "verack", "getaddr", "garbage", "advertise"}

func TestTextReport(t *testing.T) {
	r := sampleReport()
	var plain bytes.Buffer
	r.WriteText(&plain, names, "timeout 5s", TextOptions{})
	want := `bitclone check 127.0.0.1:9  (timeout 5s)
handshake
  PASS  version            9 fields
  WARN  verack             carries 9000
        got     verack|9000\r\n
        expect  an echo (spec §Verack Message; notes: verack nonce)
messages
  FAIL  getaddr            no addr
        sent    getaddr\r\n
        expect  an addr (spec §Getaddr Message, §Addr Message; notes: addr count field)
robustness
  SKIP  garbage            skipped: the peer is down since getaddr
timed
  SKIP  advertise          not run: a timed check (--slow)

1 passed, 1 warning, 1 failed, 1 skipped (peer down), 1 not run in 1.5s
the peer died during getaddr (started at +1s): connection refused
FAIL: 127.0.0.1:9 does not conform
`
	if plain.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", plain.String(), want)
	}

	var color bytes.Buffer
	r.WriteText(&color, names, "timeout 5s", TextOptions{Color: true, Verbose: true})
	for _, want := range []string{"\x1b[32mPASS\x1b[0m  version", "\x1b[33mWARN\x1b[0m", "\x1b[31mFAIL\x1b[0m  getaddr", "\x1b[31mSKIP\x1b[0m  garbage", "\x1b[2mSKIP\x1b[0m  advertise", "        sent    version|…\n"} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("coloured, verbose report lacks %q:\n%s", want, color.String())
		}
	}
}

func TestJSONReport(t *testing.T) {
	var out bytes.Buffer
	if err := sampleReport().WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var got jsonReport
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.OK || got.DiedIn != "getaddr" || got.Summary != (jsonSummary{Pass: 1, Warn: 1, Fail: 1, Down: 1, NotRun: 1}) ||
		len(got.Checks) != 5 || got.Checks[3].DownSince != "getaddr" || got.Checks[1].Got != "verack|9000\r\n" {
		t.Errorf("json:\n%s", out.String())
	}
}

// What the liveness check saw can quote the peer: it is escaped like
// every other piece of peer text, never written to the terminal raw.
func TestTextReportEscapesHowThePeerDied(t *testing.T) {
	r := sampleReport()
	r.Down = "it sent \x1b[2J\x07 instead"
	var plain bytes.Buffer
	r.WriteText(&plain, names, "timeout 5s", TextOptions{})
	if strings.ContainsAny(plain.String(), "\x1b\x07") {
		t.Errorf("raw control bytes in the report:\n%q", plain.String())
	}
	if !strings.Contains(plain.String(), `it sent \x1b[2J\a instead`) && !strings.Contains(plain.String(), `it sent \x1b[2J\x07 instead`) {
		t.Errorf("the escaped text is missing:\n%s", plain.String())
	}
}
