package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	toypeer "github.com/bitclone/bitclone/peer/toy"
)

// parseToy runs the toy command line up to its settings.
func parseToy(t *testing.T, args ...string) (toySettings, error) {
	return parseNode(t, toyCommand, args...)
}

func TestToyHelpHasTheCommandLineOfDialects(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"toy", "--help"}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("--help: status %d", status)
	}
	for _, flag := range []string{"toy [flags] [HOST:PORT ...]", "-p, --port N", "--host ADDR", "--share DIR", "--get NAME", "(repeatable)",
		"-d, --dest DIR", `(default ".")`, "--ttl N", "(default 6)", "--exit-when-complete", "-v, --verbose",
		"--headless", "--json", "--record FILE", "--quiet"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help lacks %q", flag)
		}
	}
}

func TestToySettings(t *testing.T) {
	s, err := parseToy(t)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if c.Port != 0 || c.ListenHost != "" || c.Dest != "." || c.TTL != 6 || c.Share != "" || len(c.Get) != 0 || len(c.Seeds) != 0 || s.Front.Headless {
		t.Errorf("defaults: %+v", s)
	}
	s, err = parseToy(t, "-p", "4000", "--host", "127.0.0.1", "--share", "pub", "--get", "a.txt", "--get", "b.txt", "-d", "in",
		"--ttl", "3", "--exit-when-complete", "--json", "--record", "r.jsonl", "127.0.0.1:4001", "localhost:4002", "127.0.0.1:4001")
	if err != nil {
		t.Fatal(err)
	}
	c = s.Config
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:4001"), netip.MustParseAddrPort("127.0.0.1:4002")}
	if c.Port != 4000 || c.ListenHost != "127.0.0.1" || c.Share != "pub" || strings.Join(c.Get, ",") != "a.txt,b.txt" || c.Dest != "in" ||
		c.TTL != 3 || !s.swarm.ExitWhenComplete || !s.Front.Headless || !s.Front.JSON || s.Front.Record != "r.jsonl" ||
		len(c.Seeds) != 2 || c.Seeds[0] != want[0] || c.Seeds[1] != want[1] {
		t.Errorf("flags: %+v", s)
	}
}

func TestToyRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ttl", "0"}, "--ttl 0: want 1 to"},
		{[]string{"--ttl", "99"}, "--ttl 99"},
		{[]string{"--exit-when-complete"}, "needs a file to --get"},
		{[]string{"--get", "../etc/passwd"}, "a path, not a file name"},
		{[]string{"--get", ".hidden"}, "not a plain file name"},
		{[]string{"-p", "70000"}, "--port 70000"},
		{[]string{"nonsense"}, "seed node \"nonsense\": want HOST:PORT"},
	} {
		if _, err := parseToy(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestToyGetsAFileAndExits(t *testing.T) {
	share := t.TempDir()
	data := bytes.Repeat([]byte("toy "), 30_000) // several chunks
	if err := os.WriteFile(filepath.Join(share, "cool.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	seed, err := toypeer.New(toypeer.Config{ListenHost: "127.0.0.1", Share: share, NoMessageEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- seed.Run(ctx) }()
	go func() {
		for range seed.Events() {
		}
	}()
	defer func() { cancel(); <-ran }()

	dest := t.TempDir()
	var stdout, stderr bytes.Buffer
	status := execute([]string{"toy", "--headless", "--host", "127.0.0.1", "-d", dest, "--get", "cool.txt", "--exit-when-complete", seed.Addr().String()},
		strings.NewReader(""), &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d: %s%s", status, stdout.String(), stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(dest, "cool.txt"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("saved %d bytes (%v), want %d", len(got), err, len(data))
	}
	if !strings.Contains(stdout.String(), "listening on UDP 127.0.0.1:") {
		t.Errorf("the log does not say the port:\n%s", stdout.String())
	}
	// --quiet leaves the line out of the log: stderr says the port.
	stdout.Reset()
	stderr.Reset()
	status = execute([]string{"toy", "--quiet", "--host", "127.0.0.1", "-d", dest, "--get", "cool.txt", "--exit-when-complete", seed.Addr().String()},
		strings.NewReader(""), &stdout, &stderr)
	if status != ExitOK || !strings.Contains(stderr.String(), "bitclone toy: listening on UDP 127.0.0.1:") {
		t.Errorf("--quiet: status %d, stderr:\n%s", status, stderr.String())
	}
}

func TestToyReplayKnowsTheDialect(t *testing.T) {
	if f, err := framingOf("toy", ""); err != nil || !f.Datagrams {
		t.Errorf("framingOf(toy): %+v, %v", f, err)
	}
}

// A toy session recorded with --record replays over UDP.
func TestToyTranscriptReplaysOverUDP(t *testing.T) {
	seed, err := toypeer.New(toypeer.Config{ListenHost: "127.0.0.1", NoMessageEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- seed.Run(ctx) }()
	go func() {
		for range seed.Events() {
		}
	}()
	defer func() { cancel(); <-ran }()

	// A transcript: one connection to the seed that sent a ping.
	rec := filepath.Join(t.TempDir(), "s.jsonl")
	d := toypeer.NewDialect(0)
	ping, err := d.Encode("{msgtype: ping, msgid: 42}")
	if err != nil {
		t.Fatal(err)
	}
	lines := `{"time":"2026-11-29T04:03:08Z","kind":"connected","peer":"` + seed.Addr().String() + `","conn":1,"dir":"out","dialect":"toy"}
{"time":"2026-11-29T04:03:08.1Z","kind":"send","peer":"` + seed.Addr().String() + `","conn":1,"dir":"out","raw":"` + base64.StdEncoding.EncodeToString(ping) + `"}
`
	if err := os.WriteFile(rec, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	status := execute([]string{"replay", "--fast", "--wait", "500ms", rec, "--to", seed.Addr().String()}, nil, &stdout, &stderr)
	if status != ExitOK || !strings.Contains(stdout.String(), "{msgtype: pong") || !strings.Contains(stdout.String(), "replyto: 42") {
		t.Fatalf("status %d:\n%s%s", status, stdout.String(), stderr.String())
	}
}
