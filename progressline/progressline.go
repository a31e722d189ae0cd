// Package progressline writes a download's progress (a peer.Progress) as
// one line of text, the same in every front end: the TUI's piece pane and
// the headless summary of any piece-based dialect.
//
//	12.0/64.0 MiB 18%  ↓ 3.2 MiB/s ↑ 1.1 MiB/s  ETA 0:16  pieces 3072/16384
//	64.0/64.0 MiB 100%  seeding  ↑ 1.1 MiB/s  pieces 16384/16384
//
// Sizes and rates are in binary units (KiB, MiB) with one decimal; the
// percentage is rounded down, so 100% means complete; ETA is "-" while
// nothing arrives.
package progressline

import (
	"strconv"
	"strings"
	"time"

	"github.com/bitclone/bitclone/peer"
)

// Format is p as one line.
func Format(p peer.Progress) string {
	have, _, _ := p.Counts()
	var b strings.Builder
	b.WriteString(Size(p.BytesDone, p.BytesTotal))
	b.WriteString(" ")
	b.WriteString(strconv.Itoa(Percent(p)))
	b.WriteString("%  ")
	if p.Complete() {
		b.WriteString("seeding  ↑ ")
		b.WriteString(Rate(p.UpRate))
	} else {
		b.WriteString("↓ ")
		b.WriteString(Rate(p.DownRate))
		b.WriteString(" ↑ ")
		b.WriteString(Rate(p.UpRate))
		b.WriteString("  ETA ")
		if eta, ok := p.ETA(); ok {
			b.WriteString(Clock(eta))
		} else {
			b.WriteString("-")
		}
	}
	b.WriteString("  pieces ")
	b.WriteString(strconv.Itoa(have))
	b.WriteString("/")
	b.WriteString(strconv.Itoa(len(p.Pieces)))
	return b.String()
}

// Percent is the share of bytes done, rounded down (a download 99.9% done
// is not 100%).
func Percent(p peer.Progress) int {
	if p.Complete() {
		return 100
	}
	return min(99, int(p.Fraction()*100))
}

// units are the binary units, from bytes up.
var units = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}

// scale is the unit for n bytes: the largest whose value is at least 1.
func scale(n float64) (div float64, unit string) {
	div, i := 1.0, 0
	for n >= div*1024 && i < len(units)-1 {
		div *= 1024
		i++
	}
	return div, units[i]
}

// number is v in the unit div: whole bytes, else one decimal.
func number(v, div float64) string {
	if div == 1 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v/div, 'f', 1, 64)
}

// Size is done/total in the unit of total ("12.0/64.0 MiB"), or just done
// ("12.0 MiB done") when the total is unknown.
func Size(done, total int64) string {
	if total <= 0 {
		div, unit := scale(float64(max(done, 0)))
		return number(float64(max(done, 0)), div) + " " + unit + " done"
	}
	div, unit := scale(float64(total))
	return number(float64(max(done, 0)), div) + "/" + number(float64(total), div) + " " + unit
}

// Rate is a throughput in bytes per second ("3.2 MiB/s", "0 B/s").
func Rate(bps float64) string {
	bps = max(bps, 0)
	div, unit := scale(bps)
	return number(bps, div) + " " + unit + "/s"
}

// Clock is a duration as M:SS, or H:MM:SS from an hour ("0:16", "1:02:03").
func Clock(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	two := func(n int64) string {
		if n < 10 {
			return "0" + strconv.FormatInt(n, 10)
		}
		return strconv.FormatInt(n, 10)
	}
	if s < 3600 {
		return strconv.FormatInt(s/60, 10) + ":" + two(s%60)
	}
	return strconv.FormatInt(s/3600, 10) + ":" + two(s/60%60) + ":" + two(s%60)
}
