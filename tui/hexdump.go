package tui

import (
	"strconv"
	"strings"
)

// hexWidth is how many columns a dump row of n bytes takes:
// "00000000  70 69 6e 67 7c 34 32 0d  0a 00 ...  |ping|42..|".
func hexWidth(n int) int { return 8 + 1 + (n+7)/8 + 3*n + 2 + n + 1 }

// hexPerRow is how many bytes a dump row holds in w columns: 16 like
// hexdump -C when they fit, else 8, else 4 (a very narrow pane is cut).
func hexPerRow(w int) int {
	for _, n := range []int{16, 8} {
		if hexWidth(n) <= w {
			return n
		}
	}
	return 4
}

// hexDump lays b out as hexdump -C does, n bytes a row: the offset, the
// bytes in hex (a gap every 8) and the bytes as ASCII, '.' for anything
// else, so nothing a peer sent reaches the terminal and CR, LF and the
// like stand out as 0d, 0a. Short last rows are padded, so columns align.
func hexDump(b string, n int) []string {
	const digits = "0123456789abcdef"
	rows := make([]string, 0, (len(b)+n-1)/n)
	var r strings.Builder
	for off := 0; off < len(b); off += n {
		chunk := b[off:min(off+n, len(b))]
		r.Reset()
		r.Grow(hexWidth(n))
		offset := strconv.FormatUint(uint64(off), 16)
		r.WriteString(strings.Repeat("0", max(0, 8-len(offset))))
		r.WriteString(offset)
		r.WriteString(" ")
		for i := range n {
			if i%8 == 0 {
				r.WriteByte(' ')
			}
			if i < len(chunk) {
				r.WriteByte(digits[chunk[i]>>4])
				r.WriteByte(digits[chunk[i]&0xf])
				r.WriteByte(' ')
			} else {
				r.WriteString("   ")
			}
		}
		r.WriteString(" |")
		for i := 0; i < len(chunk); i++ {
			if c := chunk[i]; c >= 0x20 && c <= 0x7e {
				r.WriteByte(c)
			} else {
				r.WriteByte('.')
			}
		}
		r.WriteByte('|')
		rows = append(rows, r.String())
	}
	return rows
}
