package peer

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Command
		err  string
	}{
		{in: "ping|42", want: Command{Op: OpSend, Line: "ping|42"}},
		{in: "  ping|42 \r\n", want: Command{Op: OpSend, Line: "ping|42"}},
		{in: "message|100|two words|  spaced  ", want: Command{Op: OpSend, Line: "message|100|two words|  spaced"}},
		{in: "@127.0.0.1:8081 ping|1", want: Command{Op: OpSend, Targets: []string{"127.0.0.1:8081"}, Line: "ping|1"}},
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
