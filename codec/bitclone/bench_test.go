package bitclone

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

func benchParse(b *testing.B, line []byte) {
	b.Run("Parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			if _, err := Parse(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decoder", func(b *testing.B) {
		var d Decoder
		b.ReportAllocs()
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			if _, err := d.Parse(line); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParsePing(b *testing.B) { benchParse(b, []byte("ping|1234567890")) }

func BenchmarkParseVersion(b *testing.B) { benchParse(b, []byte(exampleVersion)) }

func BenchmarkParseAddr1000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("addr|1000")
	for i := range 1000 {
		if i%4 == 3 {
			sb.WriteString("|1507490964|[2001:db8::" + strconv.Itoa(i) + "]:8333")
		} else {
			sb.WriteString("|1507490964|10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + ":8333")
		}
	}
	benchParse(b, []byte(sb.String()))
}

func benchFormat(b *testing.B, m Message) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendWire(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkFormatPing(b *testing.B) { benchFormat(b, Ping{1234567890}) }

func BenchmarkFormatVersion(b *testing.B) { benchFormat(b, exampleVersionMsg) }

// shortLines is the traffic of a quiet network: pings, pongs, small addrs.
const shortLines = "ping|1234567890\r\npong|1234567890\r\n" +
	"addr|2|1507490964|192.168.1.10:2989|1507490964|130.111.135.1:8767\r\n" +
	"verack|8192\r\ngetaddr\r\n"

// BenchmarkReader and BenchmarkBaselineBufioLines read the same endless
// stream of short lines, one line per op, so their ratio is the cost of
// Reader against the standard library.
func BenchmarkReader(b *testing.B) {
	r := NewReader(&repeat{data: []byte(shortLines)}, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(shortLines)) / 5)
	for b.Loop() {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineBufioLines(b *testing.B) {
	s := bufio.NewScanner(&repeat{data: []byte(shortLines)})
	s.Buffer(make([]byte, readSize), MaxLine+2)
	b.ReportAllocs()
	b.SetBytes(int64(len(shortLines)) / 5)
	for b.Loop() {
		if !s.Scan() {
			b.Fatal(s.Err())
		}
		_ = s.Bytes()
	}
}
