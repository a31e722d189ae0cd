package bitclone

import (
	"strings"
	"testing"
)

func TestStrictAcceptsTheSpecsExamples(t *testing.T) {
	for _, line := range []string{
		exampleVersion,
		"verack|9000",
		"getaddr",
		"addr|2|1507490964|192.168.1.10:2989|1507490964|130.111.135.1:8767",
		"ping|23456",
		"pong|23456",
		`reject|400|Invalid command|The command "send me flowers" was not recognized.`,
		"message|100|peer statistics|43 requests, 10 rejections, 76% correct",
		"message|100|peer statistics|43 requests\r\n", // the spec's terminator
		"addr|1|1|[2001:db8::1]:8333",                 // IPv6 as net.JoinHostPort writes it
		strings.Replace(exampleVersion, "|3|1|", "|4|3|", 1),
		"reject|500|down|", // an empty detail is still a field
		"ping|007",         // still a number
	} {
		devs, err := Strict([]byte(line))
		if err != nil || devs != nil {
			t.Errorf("Strict(%q) = %v, %v; want no deviation", line, devs, err)
		}
	}
}

func TestStrictListsEveryLeniency(t *testing.T) {
	tests := []struct {
		line string
		want []string // Deviation.String()s, in order
	}{
		{"ping|1\n", []string{devBareLF}},
		{"ping|1\r\r\n", []string{devExtraCR}},
		{"ping|1\r\n", nil},
		{"message|100|a", []string{"detail: missing: the spec wants a code, a summary and a detail (message|100|SUMMARY|DETAIL)"}},
		{"message|100||", []string{"summary: empty: the spec wants a short version of the message"}},
		{"reject|400|bad", []string{"detail: missing: the spec wants a code, a reason and a detail (reject|400|REASON|DETAIL)"}},
		{"reject|400|", []string{
			"reason: empty: the spec wants a reason for the rejection",
			"detail: missing: the spec wants a code, a reason and a detail (reject|400|REASON|DETAIL)"}},
		{strings.Replace(exampleVersion, "192.168.1.10:8090", "192.168.1.10,8090", 1), []string{"recipient: " + devComma}},
		{strings.Replace(exampleVersion, "130.111.135.12:2098", "fe80::1:2098", 1), []string{"sender: " + devBareIPv6 + "[fe80::1]:2098"}},
		{strings.Replace(exampleVersion, "130.111.135.12:2098", "[130.111.135.12]:2098", 1), []string{"sender: " + devBracketed4 + "130.111.135.12:2098"}},
		{strings.Replace(exampleVersion, "|3|1|", "|7|9|", 1), []string{"version: 7: " + devVersion, "services: 9: " + devServices}},
		{"addr|2|1|1.2.3.4:5|2|::1:80\n", []string{devBareLF, "entry 2 address: " + devBareIPv6 + "[::1]:80"}},
		{"addr|1|1|::ffff:1.2.3.4:80", []string{"entry 1 address: " + devBareIPv6 + "1.2.3.4:80"}},
	}
	for _, tt := range tests {
		devs, err := Strict([]byte(tt.line))
		if err != nil {
			t.Errorf("Strict(%q): %v", tt.line, err)
			continue
		}
		var got []string
		for _, d := range devs {
			got = append(got, d.String())
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("Strict(%q):\n got %q\nwant %q", tt.line, got, tt.want)
		}
	}
}

func TestStrictReturnsParsesError(t *testing.T) {
	for _, line := range []string{"ping|x", "message|200|a|b", "addr|2|1|1.2.3.4:5", "hello", "", "ping|1|2\n"} {
		_, perr := Parse([]byte(strings.TrimSuffix(line, "\n")))
		devs, err := Strict([]byte(line))
		if err == nil || devs != nil || err.Error() != perr.Error() {
			t.Errorf("Strict(%q) = %v, %v; want Parse's error %v", line, devs, err, perr)
		}
	}
}
