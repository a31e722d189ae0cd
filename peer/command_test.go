package peer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Command
		err  string
	}{
		{in: "ping|42", want: Command{Op: OpSend, Line: "ping|42"}},
		// A raw line goes out as typed: only the line end is cut.
		{in: "  ping|42 \r\n", want: Command{Op: OpSend, Line: "  ping|42 "}},
		{in: "ping|42\t\n", want: Command{Op: OpSend, Line: "ping|42\t"}},
		{in: "message|100|two words|  spaced  ", want: Command{Op: OpSend, Line: "message|100|two words|  spaced  "}},
		{in: "@127.0.0.1:8081 ping|1", want: Command{Op: OpSend, Targets: []string{"127.0.0.1:8081"}, Line: "ping|1"}},
		{in: "  @127.0.0.1:8081 message|100|a|b  ", want: Command{Op: OpSend, Targets: []string{"127.0.0.1:8081"}, Line: "message|100|a|b  "}},
		{in: "  :peers  ", want: Command{Op: OpPeers}},
		{in: "@[::1]:8081   message|100|a b|c", want: Command{Op: OpSend, Targets: []string{"[::1]:8081"}, Line: "message|100|a b|c"}},
		{in: ":connect 127.0.0.1:8081", want: Command{Op: OpConnect, Targets: []string{"127.0.0.1:8081"}}},
		{in: ":drop 127.0.0.1:8081", want: Command{Op: OpDrop, Targets: []string{"127.0.0.1:8081"}}},
		{in: ":forget 127.0.0.1:9999", want: Command{Op: OpForget, Targets: []string{"127.0.0.1:9999"}}},
		{in: ":forget", err: "usage: :forget HOST:PORT"},
		{in: ":peers", want: Command{Op: OpPeers}},
		{in: ":addrs", want: Command{Op: OpAddrs}},
		{in: ":save", want: Command{Op: OpSave}},
		{in: ":quit", want: Command{Op: OpQuit}},
		{in: ":q", want: Command{Op: OpQuit}},
		{in: ":help", want: Command{Op: OpHelp}},
		{in: "", err: "empty command"},
		{in: "   ", err: "empty command"},
		{in: "@127.0.0.1:8081", err: "usage: @HOST:PORT LINE"},
		{in: "@ ping|1", err: "usage: @HOST:PORT LINE"},
		{in: "@127.0.0.1:8081    ", err: "usage: @HOST:PORT LINE"},
		{in: ":connect", err: "usage: :connect HOST:PORT"},
		{in: ":drop a b", err: "usage: :drop HOST:PORT"},
		{in: ":peers now", err: ":peers takes no arguments"},
		{in: ":frobnicate", err: `unknown command ":frobnicate" (try :help)`},
	} {
		got, err := ParseCommand(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseCommand(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseCommand(""); !errors.Is(err, ErrEmptyCommand) {
		t.Errorf("empty input: %v, want ErrEmptyCommand", err)
	}
}

func TestCommandWarning(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ping|42", ""},
		{"message|100|a b|c d", ""},
		{"ping|42 ", `line has trailing spaces: "ping|42 "`},
		{"ping|42\t", `line has trailing spaces: "ping|42\t"`},
		{" ping|42", `line has leading spaces: " ping|42"`},
		{" ping|42  ", `line has leading and trailing spaces: " ping|42  "`},
		{"@127.0.0.1:8081   ping|1", ""},
		{"@127.0.0.1:8081 ping|1 ", `line has trailing spaces: "ping|1 "`},
		{"message|100|" + strings.Repeat("x", 50) + " ", `line has trailing spaces: "…` + strings.Repeat("x", 39) + ` "`},
		{":peers ", ""},
	} {
		c, err := ParseCommand(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Warning(); got != tc.want {
			t.Errorf("ParseCommand(%q).Warning() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
