package transcript

import (
	"errors"
	"strings"
	"testing"
)

func TestReadSkipsBadLinesWithNumbers(t *testing.T) {
	in := strings.Join([]string{
		`{"time":"2026-11-21T21:30:01Z","conn":1,"peer":"p","dir":"out","kind":"connected"}`,
		`not json`,
		``,
		`{"time":"2026-11-21T21:30:01Z","conn":1,"peer":"p","dir":"out","kind":"send","raw":"cGluZ3wxDQo=","text":"ping|1"}`,
		`{"time":"2026-11-21T21:30:01Z","conn":1,"peer":"p","dir":"out","kind":"tele\u0007port"}`,
		`{"time":"2026-11-21T21:30:01Z","conn":1,"peer":"p","dir":"sideways","kind":"connected"}`,
		`{"time":"2026-11-21T21:30:01Z","conn":1,"peer":"p","dir":"out","kind":"recv"}`,
		`{"time":"2026-11-21T21:30:02Z","conn":1,"peer":"p","dir":"out","kind":"re`, // killed mid-write
	}, "\n")
	entries, problems, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || string(entries[1].Raw) != "ping|1\r\n" {
		t.Errorf("entries: %+v", entries)
	}
	want := []string{
		"line 2: invalid character 'o' in literal null (expecting 'u')",
		`line 5: unknown kind "tele\x07port"`, // escaped as in the log, never \a
		`line 6: dir "sideways": want in or out`,
		"line 7: recv without raw bytes",
		"line 8: truncated last line, ignored",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems: %v", problems)
	}
	for i, p := range problems {
		if p.Error() != want[i] {
			t.Errorf("problem %d: %q, want %q", i, p, want[i])
		}
	}
	var le *LineError
	if !errors.As(problems[4], &le) || !le.Truncated || le.Line != 8 {
		t.Errorf("last problem: %#v", problems[4])
	}
}

// A last line that is whole but lacks its newline is fine.
func TestReadLastLineWithoutNewline(t *testing.T) {
	in := `{"time":"2026-11-21T21:30:01Z","conn":2,"peer":"p","dir":"in","kind":"closed","reason":"EOF"}`
	entries, problems, err := Read(strings.NewReader(in))
	if err != nil || len(problems) != 0 || len(entries) != 1 || entries[0].Reason != "EOF" {
		t.Errorf("entries %+v, problems %v, err %v", entries, problems, err)
	}
}
