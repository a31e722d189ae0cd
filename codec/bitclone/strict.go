package bitclone

import (
	"bytes"
	"strconv"
	"strings"
)

// Deviation is one way a line that Parse accepts departs from the spec:
// bitclone reads it (robustness principle), a peer that follows the spec
// to the letter may not.
type Deviation struct {
	Field string // "detail", "recipient", "entry 2 address"; "" for the whole line
	Text  string // what is off, and what the spec wants
}

// String reads "recipient: ip,port: the spec writes ip-address:port".
func (d Deviation) String() string {
	if d.Field == "" {
		return d.Text
	}
	return d.Field + ": " + d.Text
}

// The words of the deviations; the README lists the same leniencies.
const (
	devBareLF     = "bare LF: the spec ends every line with CRLF"
	devExtraCR    = "CR before the CRLF: the spec ends a line with one CRLF"
	devComma      = "ip,port: the spec writes ip-address:port"
	devBareIPv6   = "IPv6 without brackets (the port is ambiguous): write "
	devBracketed4 = "brackets around IPv4: write "
	devVersion    = "the spec knows version 3 (project 3) and 4 (project 4)"
	devServices   = "the spec defines only the bits 1, 2 and 4"
)

// Strict parses line like Parse and lists how it departs from the spec:
// nil when it is exactly what the spec says. It returns Parse's error
// (and no deviations) for a line bitclone refuses. line may end with its
// terminator: "\r\n" is the spec's, a bare "\n" a deviation; without one
// (a typed line, sent with CRLF) the terminator is not judged.
//
// Not judged either, being no departure from the spec's words: leading
// zeros in numbers, empty details, IPv4-mapped IPv6 addresses, a verack
// nonce that echoes nothing, addr with 0 entries.
func Strict(line []byte) ([]Deviation, error) {
	var devs []Deviation
	switch {
	case bytes.HasSuffix(line, crlf):
		line = line[:len(line)-len(crlf)]
	case bytes.HasSuffix(line, lf):
		line = line[:len(line)-len(lf)]
		devs = append(devs, Deviation{Text: devBareLF})
	}
	if bytes.HasSuffix(line, cr) { // Parse strips it
		devs = append(devs, Deviation{Text: devExtraCR})
	}
	m, err := Parse(line)
	if err != nil {
		return nil, err
	}
	// Parse accepted the line, so its fields are all there and well formed;
	// only their form is left to judge.
	f := strings.Split(string(line), "|")
	switch m := m.(type) {
	case Version:
		if m.Version != 3 && m.Version != 4 {
			devs = append(devs, Deviation{"version", strconv.FormatUint(m.Version, 10) + ": " + devVersion})
		}
		if m.Services&^7 != 0 {
			devs = append(devs, Deviation{"services", strconv.FormatUint(m.Services, 10) + ": " + devServices})
		}
		devs = strictAddr(devs, "recipient", f[4])
		devs = strictAddr(devs, "sender", f[5])
	case Addr:
		for i := range m.Entries {
			devs = strictAddr(devs, entryField(i, "address"), f[3+2*i])
		}
	case Reject:
		devs = strictCoded(devs, f, "reason", "a reason for the rejection",
			"a code, a reason and a detail (reject|400|REASON|DETAIL)")
	case Info:
		devs = strictCoded(devs, f, "summary", "a short version of the message",
			"a code, a summary and a detail (message|100|SUMMARY|DETAIL)")
	}
	return devs, nil
}

var lf = []byte("\n")

// strictCoded judges reject and message: the spec wants all four fields,
// and a text in the second.
func strictCoded(devs []Deviation, f []string, name, wants, shape string) []Deviation {
	if f[2] == "" {
		devs = append(devs, Deviation{name, "empty: the spec wants " + wants})
	}
	if len(f) < 4 {
		devs = append(devs, Deviation{"detail", "missing: the spec wants " + shape})
	}
	return devs
}

// strictAddr judges the form of an address Parse accepted.
func strictAddr(devs []Deviation, field, s string) []Deviation {
	ap, _ := parseAddrPort(s)
	canonical := FormatAddr(ap)
	i := strings.LastIndexAny(s, ",:")
	host := s[:i]
	switch {
	case s[i] == ',':
		devs = append(devs, Deviation{field, devComma})
	case strings.HasPrefix(host, "[") && strings.IndexByte(host, ':') < 0:
		devs = append(devs, Deviation{field, devBracketed4 + canonical})
	case !strings.HasPrefix(host, "[") && strings.IndexByte(host, ':') >= 0:
		devs = append(devs, Deviation{field, devBareIPv6 + canonical})
	}
	return devs
}
