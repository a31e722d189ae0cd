package cli

import (
	"errors"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bitclone/bitclone/peer/bitclone"
)

func TestDefaults(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	s, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	agent := loginName()
	if checkAgent(agent) != nil {
		agent = "bitclone"
	}
	want := bitclone.Config{
		Port:              8088,
		PeersFile:         filepath.Join(state, "bitclone", "peers-8088.txt"),
		UserAgent:         agent,
		Target:            5,
		PingInterval:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		AdvertiseInterval: 30 * time.Second,
		HandshakeTimeout:  10 * time.Second,
		SaveInterval:      time.Minute,
		DropFor:           2 * time.Minute,
		MaxMsgRate:        2000,
	}
	if !reflect.DeepEqual(s.Config, want) {
		t.Errorf("default config:\n%+v\nwant:\n%+v", s.Config, want)
	}
	if s.Headless || s.JSON || s.Quiet || len(s.Notes) != 0 {
		t.Errorf("default settings: %+v", s)
	}
}

func TestFlagsMapToConfig(t *testing.T) {
	s, err := Parse([]string{
		"-p", "8081", "--host", "[::1]", "--peers-file", "/tmp/p.txt", "--agent", "houser",
		"--target", "3", "--ping-interval", "1s", "--idle-timeout", "3s", "--advertise-interval", "2s",
		"--handshake-timeout", "500ms", "--pace", "10ms", "--save-interval", "5s", "--drop-for", "30s", "--headless", "--json",
		"--quiet", "--max-msg-rate", "500",
		"127.0.0.1:8082", "[::1]:8083", "10.0.0.1,8084", "[::ffff:10.0.0.2]:8085", "127.0.0.1:8082",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := bitclone.Config{
		ListenHost: "::1", Port: 8081, PeersFile: "/tmp/p.txt", UserAgent: "houser", Target: 3,
		PingInterval: time.Second, IdleTimeout: 3 * time.Second, AdvertiseInterval: 2 * time.Second,
		HandshakeTimeout: 500 * time.Millisecond, Pace: 10 * time.Millisecond, SaveInterval: 5 * time.Second,
		DropFor:    30 * time.Second,
		MaxMsgRate: 500, NoMessageEvents: true,
		Seeds: []netip.AddrPort{
			netip.MustParseAddrPort("127.0.0.1:8082"),
			netip.MustParseAddrPort("[::1]:8083"),
			netip.MustParseAddrPort("10.0.0.1:8084"),
			netip.MustParseAddrPort("10.0.0.2:8085"), // unmapped; the repeat is gone
		},
	}
	if !reflect.DeepEqual(s.Config, want) {
		t.Errorf("config:\n%+v\nwant:\n%+v", s.Config, want)
	}
	if !s.Headless || !s.JSON || !s.Quiet {
		t.Errorf("--headless --json --quiet not set: %+v", s)
	}
}

func TestMaxMsgRateZeroIsNoLimit(t *testing.T) {
	s, err := Parse([]string{"--max-msg-rate", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.MaxMsgRate >= 0 {
		t.Errorf("--max-msg-rate 0 gave MaxMsgRate %v, want the Config's negative \"no limit\"", s.Config.MaxMsgRate)
	}
}

func TestPeersFileChoices(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/state")
	tests := []struct {
		args []string
		file string
		note string
	}{
		{[]string{"-p", "9000"}, "/state/bitclone/peers-9000.txt", ""},
		{[]string{"--no-peers-file"}, "", ""},
		{[]string{"-p", "0"}, "", "--port 0: no peers file"},
		{[]string{"-p", "0", "--peers-file", "x.txt"}, "x.txt", ""},
	}
	for _, tt := range tests {
		s, err := Parse(tt.args)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if s.Config.PeersFile != tt.file {
			t.Errorf("%q: peers file %q, want %q", tt.args, s.Config.PeersFile, tt.file)
		}
		if notes := strings.Join(s.Notes, "\n"); !strings.Contains(notes, tt.note) || (tt.note == "") != (notes == "") {
			t.Errorf("%q: notes %q, want %q", tt.args, notes, tt.note)
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"localhost:8088"}, `bad peer "localhost:8088"`},
		{[]string{"127.0.0.1:8081", "1.2.3.4"}, `bad peer "1.2.3.4"`},
		{[]string{"1.2.3.4:0"}, `bad peer "1.2.3.4:0": port 0`},
		{[]string{"1.2.3.4:65536"}, `bad peer "1.2.3.4:65536"`},
		{[]string{"::1:8088"}, `bad peer "::1:8088"`},
		{[]string{"1.2.3.4,x"}, `bad peer "1.2.3.4,x"`},
		{[]string{"-p", "65536"}, "--port 65536: want 0-65535"},
		{[]string{"-p", "-1"}, "--port -1"},
		{[]string{"-p", "http"}, `invalid argument "http"`},
		{[]string{"--max-msg-rate", "-5"}, "--max-msg-rate -5: want 0 (no limit) or more"},
		{[]string{"--target", "0"}, "--target 0: want at least 1"},
		{[]string{"--ping-interval", "0s"}, "--ping-interval 0s: want a positive duration"},
		{[]string{"--idle-timeout", "-1s"}, "--idle-timeout -1s"},
		{[]string{"--advertise-interval", "0"}, "--advertise-interval"},
		{[]string{"--handshake-timeout", "0"}, "--handshake-timeout"},
		{[]string{"--ping-interval", "30"}, "missing unit"},
		{[]string{"--pace", "-1ms"}, "--pace -1ms: want 0 or more"},
		{[]string{"--agent", "a|b"}, "must not contain '|'"},
		{[]string{"--agent", "a\x1b[2Jb"}, "control characters"},
		{[]string{"--agent", ""}, "empty"},
		{[]string{"--agent", "a\xffb"}, "UTF-8"},
		{[]string{"--peers-file", "x", "--no-peers-file"}, "pick one"},
		{[]string{"--host", "example.org"}, `--host "example.org": want an IP address`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}

func TestHelpRunsNothing(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--version"}} {
		if _, err := Parse(args); !errors.Is(err, errNoRun) {
			t.Errorf("%q: %v, want errNoRun", args, err)
		}
	}
}

func TestCheckAgent(t *testing.T) {
	for agent, ok := range map[string]bool{"houser": true, "Jean Dupré": true, `DOMAIN\user`: true, "a|b": false, "a\tb": false, "a\u0085b": false} {
		if err := checkAgent(agent); (err == nil) != ok {
			t.Errorf("checkAgent(%q) = %v", agent, err)
		}
	}
}

func TestTUIFlags(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/state")
	s, err := Parse(nil)
	if err != nil || s.LogLines != 10000 || s.HistoryFile != "/state/bitclone/history" {
		t.Errorf("defaults: log lines %d, history %q, %v", s.LogLines, s.HistoryFile, err)
	}
	if s, err := Parse([]string{"--log-lines", "500"}); err != nil || s.LogLines != 500 {
		t.Errorf("--log-lines 500: %d, %v", s.LogLines, err)
	}
	if _, err := Parse([]string{"--log-lines", "0"}); err == nil || !strings.Contains(err.Error(), "--log-lines 0") {
		t.Errorf("--log-lines 0: %v", err)
	}
}

// What the user typed comes back in errors with the escapes of the log: a
// BEL is \x07, never Go's \a.
func TestErrorsEscapeAsTheLogDoes(t *testing.T) {
	for _, args := range [][]string{{"--agent", "a\ab"}, {"--host", "a\ab"}, {"a\ab"}} {
		_, err := Parse(args)
		if err == nil || !strings.Contains(err.Error(), `"a\x07b"`) {
			t.Errorf("%q: error %v, want the value as \"a\\x07b\"", args, err)
		}
	}
}

// The TUI has no JSON form, so --json alone asks for the headless
// transcript as JSON lines: `bitclone --json | jq` works.
func TestJSONImpliesHeadless(t *testing.T) {
	s, err := Parse([]string{"--json"})
	if err != nil || !s.Headless || !s.JSON {
		t.Errorf("--json: %+v, %v; want headless JSON", s, err)
	}
}

// -v means one thing: --verbose, wherever a command has it. The version is
// only --version.
func TestDashVIsVerboseEverywhere(t *testing.T) {
	root := newRootCommand(func(Settings) error { return nil }, func(int) {})
	root.InitDefaultVersionFlag() // as Execute does
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		if f := c.Flags().ShorthandLookup("v"); f != nil && f.Name != "verbose" {
			t.Errorf("%s: -v is --%s, want --verbose", c.CommandPath(), f.Name)
		}
	}
	if root.Flags().Lookup("version") == nil {
		t.Error("no --version")
	}
}

// Every flag that takes a value names it in --help (N, D, PATH, ...), not
// by its Go type (int, duration, string).
func TestHelpNamesEveryValue(t *testing.T) {
	root := newRootCommand(func(Settings) error { return nil }, func(int) {})
	goTypes := map[string]bool{"": true, "int": true, "uint": true, "int64": true, "uint64": true,
		"duration": true, "string": true, "float": true, "float64": true, "strings": true}
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" {
				return
			}
			if name, _ := pflag.UnquoteUsage(f); goTypes[name] {
				t.Errorf("%s --%s: placeholder %q in --help, want a word such as N or D", c.CommandPath(), f.Name, name)
			}
		})
	}
}
