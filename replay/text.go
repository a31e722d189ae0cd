package replay

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bitclone/bitclone/codec"
)

// column is the width of each side of the comparison.
const column = 56

// Line marks in the comparison.
const (
	markSame    = "=" // the same line
	markLike    = "~" // the same command, other values (a nonce, a time)
	markDiffers = "!" // another command
	markNew     = "+" // only now
	markGone    = "-" // only then
)

// WriteText prints the comparison: for each sent line, what came back now
// (left) beside what came back originally (right), one mark per pair.
func (s *Session) WriteText(w io.Writer, to string, o Options) error {
	bw := bufio.NewWriter(w)
	timing := "original timing"
	if o.Fast {
		timing = "as fast as possible"
	}
	fmt.Fprintf(bw, "replay of conn %d (%s, recorded with %s) to %s, %s\n", s.Conn, s.Dir, codec.PrintableString(s.Peer), to, timing)
	fmt.Fprintf(bw, "marks: %s same line, %s same command, %s different, %s only now, %s only then\n",
		markSame, markLike, markDiffers, markNew, markGone)
	differ := []string{}
	for i, st := range s.Steps {
		if i == 0 && len(st.Now) == 0 && len(st.Then) == 0 {
			continue
		}
		alike := sameCommands(st.Now, st.Then)
		if !alike {
			differ = append(differ, fmt.Sprintf("#%d", i))
		}
		note := ""
		if !alike {
			note = "   <- differs"
		}
		if i == 0 {
			fmt.Fprintf(bw, "\n#0  before we sent anything%s\n", note)
		} else {
			fmt.Fprintf(bw, "\n#%-2d +%-8s > %s%s\n", i, secs(st.At), s.show(s.frameOf(st.Sent)), note)
		}
		writePairs(bw, st.Now, st.Then)
	}
	fmt.Fprintln(bw)
	fmt.Fprintf(bw, "closed: now %s; then %s\n", orOpen(s.ClosedNow, "still open when the replay stopped"), orOpen(s.ClosedThen, "not recorded"))
	if s.Stopped != "" {
		fmt.Fprintf(bw, "%s\n", s.Stopped)
	}
	if len(differ) == 0 {
		fmt.Fprintf(bw, "%d sent; every window got the same commands as originally\n", s.Sent())
	} else {
		fmt.Fprintf(bw, "%d sent; windows that differ: %s\n", s.Sent(), strings.Join(differ, ", "))
	}
	return bw.Flush()
}

func writePairs(w io.Writer, now, then []Line) {
	if len(now) == 0 && len(then) == 0 {
		return
	}
	fmt.Fprintf(w, "      %-*s  %s\n", column, "now", "then")
	for k := range max(len(now), len(then)) {
		var left, right, mark string
		switch {
		case k >= len(then):
			left, mark = now[k].Text, markNew
		case k >= len(now):
			right, mark = then[k].Text, markGone
		default:
			left, right = now[k].Text, then[k].Text
			switch {
			case left == right:
				mark = markSame
			case now[k].Cmd == then[k].Cmd:
				mark = markLike
			default:
				mark = markDiffers
			}
		}
		fmt.Fprintf(w, "    %s %s  %s\n", mark, pad(clip(left, column), column), clip(right, column))
	}
}

// pad fills s with spaces to n runes.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func orOpen(s, instead string) string {
	if s == "" {
		return instead
	}
	return s
}
