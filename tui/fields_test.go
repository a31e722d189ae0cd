package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/bitclone/bitclone/peer"
)

// connRows are the connections pane's header and rows as drawn, without
// colour.
func connRows(t *testing.T, m *Model) []string {
	t.Helper()
	rows := strings.Split(screen(m), "\n")
	f := m.frame()
	return rows[f.conns.y+1 : f.conns.y+f.conns.h]
}

// A dialect's connection fields are columns titled by their labels in
// capitals, numbers right-aligned, words left-aligned; the neutral columns
// the dialect leaves blank (user agent, ping) are hidden.
func TestConnFieldsAreColumns(t *testing.T) {
	s := pieceSnapshot()
	for i := range s.Conns {
		s.Conns[i].Fields = append(s.Conns[i].Fields, peer.Field{Label: "choked", Value: []string{"yes", "no", "yes"}[i]})
	}
	m := newPieceModel(t, 160, 40, s)
	rows := connRows(t, m)
	head := rows[0]
	for _, want := range []string{"PIECES", "DOWN", "UP", "IN FLIGHT", "CHOKED"} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %q: %q", want, head)
		}
	}
	for _, gone := range []string{"AGENT", "PING", "LISTEN"} {
		if strings.Contains(head, gone) {
			t.Errorf("header shows the blank column %q: %q", gone, head)
		}
	}
	// PIECES is right-aligned: its values end where its title ends.
	end := strings.Index(head, "PIECES") + len("PIECES")
	for _, r := range rows[1:4] {
		cell := []rune(r)
		if cell[end-1] != '4' || cell[end] != ' ' { // 16384/16384, 1480/16384
			t.Errorf("PIECES not right-aligned at %d: %q / %q", end, head, r)
		}
	}
	// CHOKED is words: left-aligned under its title.
	at := strings.Index(head, "CHOKED")
	if at < 0 {
		t.FailNow()
	}
	if r := []rune(rows[2]); string(r[at:at+2]) != "no" {
		t.Errorf("CHOKED not left-aligned: %q / %q", head, rows[2])
	}
}

// On a narrow pane the neutral columns drop first, then the dialect's
// from the last; address, direction and state stay.
func TestConnFieldColumnsCutLastFirst(t *testing.T) {
	for _, c := range []struct {
		w          int
		want, gone []string
	}{
		{120, []string{"AGE", "RECV", "MSGS", "BYTES", "PIECES", "DOWN", "UP", "IN FLIGHT"}, nil},
		{80, []string{"RECV", "PIECES", "DOWN", "UP", "IN FLIGHT"}, []string{"AGE", "MSGS", "BYTES"}},
		{60, []string{"DIR", "ADDRESS", "STATE", "PIECES", "DOWN"}, []string{"RECV", "UP", "IN FLIGHT"}},
		{45, []string{"STATE", "PIECES"}, []string{"DOWN", "UP"}},
		{40, []string{"DIR", "ADDRESS", "STATE"}, []string{"PIECES", "DOWN", "UP"}},
	} {
		m := newPieceModel(t, c.w, 40, pieceSnapshot())
		head := connRows(t, m)[0]
		for _, want := range c.want {
			if !strings.Contains(head, want) {
				t.Errorf("%d columns: header lacks %q: %q", c.w, want, head)
			}
		}
		for _, gone := range c.gone {
			if strings.Contains(head, gone) {
				t.Errorf("%d columns: header shows %q: %q", c.w, gone, head)
			}
		}
	}
}

// Field values are escaped, long ones cut with …; :peers lists the same
// columns in the log.
func TestConnFieldsAreEscapedAndListed(t *testing.T) {
	s := pieceSnapshot()
	s.Conns[0].Fields = append(s.Conns[0].Fields, peer.Field{Label: "client\x1b[2J", Value: "\x1b[31mevil" + strings.Repeat("x", 100)})
	m := newPieceModel(t, 200, 40, s)
	v := m.View().Content
	if strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b[31mevil") {
		t.Fatalf("a field reached the screen raw:\n%q", v)
	}
	head := connRows(t, m)[0]
	if !strings.Contains(head, `CLIENT\X1B[2J`) {
		t.Errorf("header %q", head)
	}
	if r := connRows(t, m)[1]; !strings.Contains(r, `\x1b[31mevilxxx`) || !strings.Contains(r, "…") || strings.Contains(r, strings.Repeat("x", 30)) {
		t.Errorf("row %q: want the value escaped and cut at %d columns", r, maxFieldWidth)
	}
	typeText(m, ":peers")
	press(m, "enter")
	log := strings.Join(logLines(m), "\n")
	if !strings.Contains(log, "PIECES") || !strings.Contains(log, "1480/16384") {
		t.Errorf(":peers lacks the field columns:\n%s", log)
	}
}

// The detail screen lists every field of the connection, in order, and
// leaves out BitClone's lines that the dialect leaves empty.
func TestDetailShowsConnFields(t *testing.T) {
	m := newPieceModel(t, 120, 40, pieceSnapshot())
	press(m, "esc", "down", "down", "enter")
	scr := screen(m)
	want := "  pieces               1480/16384\n  down                 0 B/s\n  up                   1.1 MiB/s\n  in flight            0\n"
	if !strings.Contains(scr, "Connection 3") || !strings.Contains(scr, want) {
		t.Errorf("detail screen lacks\n%s\n%s", want, scr)
	}
	for _, gone := range []string{"user agent", "protocol version", "ping last", "addresses taken", "last reject"} {
		if strings.Contains(scr, gone) {
			t.Errorf("detail screen shows %q, which the dialect leaves empty:\n%s", gone, scr)
		}
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if !strings.Contains(screen(m), "  in flight            0") {
		t.Errorf("80x24 detail:\n%s", screen(m))
	}
}
