package cli

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const recordedTranscript = `{"time":"2026-11-21T21:30:00Z","conn":4,"peer":"10.0.0.7:8088","dir":"out","kind":"connected"}
{"time":"2026-11-21T21:30:00.01Z","conn":4,"peer":"10.0.0.7:8088","dir":"out","kind":"send","raw":"cGluZ3w3DQo=","text":"ping|7"}
{"time":"2026-11-21T21:30:00.011Z","conn":4,"peer":"10.0.0.7:8088","dir":"out","kind":"recv","raw":"cG9uZ3w4DQo=","text":"pong|8"}
this line is damaged
{"time":"2026-11-21T21:30:00.02Z","conn":5,"peer":"10.0.0.8:8088","dir":"in","kind":"send","raw":"Z2V0YWRkcg0K","text":"getaddr"}
{"time":"2026-11-21T21:30:00.03Z","conn":4,"peer":"10.0.0.7:8088","dir":"out","kind":"clo`

// pongPeer answers every ping|N with pong|N.
func pongPeer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if n, ok := strings.CutPrefix(strings.TrimSuffix(sc.Text(), "\r"), "ping|"); ok {
						c.Write([]byte("pong|" + n + "\r\n"))
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestReplayCommand(t *testing.T) {
	to := pongPeer(t)
	path := filepath.Join(t.TempDir(), "t.jsonl")
	if err := os.WriteFile(path, []byte(recordedTranscript), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	status := execute([]string{"replay", path, "--to", to, "--fast", "--wait", "300ms"}, nil, &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d; stderr:\n%s", status, stderr.String())
	}
	wantErr := "bitclone replay: " + path + ": line 4: invalid character 'h' in literal true (expecting 'r')\n" +
		"bitclone replay: " + path + ": line 6: truncated last line, ignored\n" +
		"bitclone replay: replaying conn 4; --conn picks another:\n  conn 5 (in, 10.0.0.8:8088): 1 sent, 0 received\n"
	if stderr.String() != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), wantErr)
	}
	out := stdout.String()
	for _, want := range []string{
		"replay of conn 4 (out, recorded with 10.0.0.7:8088) to " + to + ", as fast as possible\n",
		"#1  +0.010s   > ping|7\n",
		"    ~ pong|7",
		"  pong|8\n",
		"closed: now still open when the replay stopped; then not recorded\n",
		"1 sent; every window got the same commands as originally\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestReplayErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	os.WriteFile(path, []byte(recordedTranscript), 0o644)
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"replay", path}, ExitUsage, "bitclone replay: --to HOST:PORT is required\n"},
		{[]string{"replay", filepath.Join(filepath.Dir(path), "none"), "--to", "127.0.0.1:1"}, ExitError,
			"bitclone replay: open " + filepath.Join(filepath.Dir(path), "none") + ": no such file or directory\n"},
		{[]string{"replay", path, "--to", "127.0.0.1:1", "--conn", "9"}, ExitError, "no connection 9 in the transcript; it has:\n" +
			"  conn 4 (out, 10.0.0.7:8088): 1 sent, 1 received\n  conn 5 (in, 10.0.0.8:8088): 1 sent, 0 received\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := withoutUsage(stderr.String())
		if status != tt.status || !strings.HasSuffix(got, tt.stderr) {
			t.Errorf("%q: status %d, stderr %q; want %d, ending %q", tt.args, status, got, tt.status, tt.stderr)
		}
	}
}
