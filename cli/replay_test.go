package cli

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/pex"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/transcript"
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

// A NibbleTorrent recording replays in NibbleTorrent's framing: its
// binary frames are sent byte for byte and the answers shown in words.
func TestReplayNibbleRecording(t *testing.T) {
	data := bytes.Repeat([]byte("nibble"), 1500) // 3 pieces of 4096, the last short
	seeder := &fakepeer.Seeder{ID: sha1.Sum(data), PieceSize: 4096, Data: data}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seeder.Serve(ln)
	t.Cleanup(seeder.Close)

	framing, err := framingOf("nibble", "")
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	w := transcript.NewWriter(&file, &peer.Dialect{Name: "nibble", Framing: framing}, nil)
	at := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	rec := func(kind peer.Kind, b []byte) {
		at = at.Add(100 * time.Millisecond) // room for each answer before the next send
		w.Record(peer.Record{At: at, ConnID: 1, Peer: "10.0.0.9:8088", Dir: peer.Outbound, Kind: kind, Bytes: b})
	}
	rec(peer.KindConnected, nil)
	rec(peer.KindSend, fakepeer.Frame(fakepeer.HelloRequest, seeder.ID[:]))
	rec(peer.KindRecv, fakepeer.Frame(fakepeer.HelloResponse, []byte{0xe0}))
	rec(peer.KindSend, fakepeer.Frame(fakepeer.PieceRequest, []byte{2}))
	rec(peer.KindRecv, fakepeer.Frame(fakepeer.PieceResponse, data[8192:]))
	rec(peer.KindSend, fakepeer.Frame(fakepeer.PieceRequest, []byte{9}))
	rec(peer.KindRecv, fakepeer.Frame(fakepeer.ErrorResponse, []byte("Piece index out of range")))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nibble.jsonl")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(file.String(), `"dialect":"nibble"`) {
		t.Fatalf("the recording does not name its dialect:\n%s", file.String())
	}

	var stdout, stderr bytes.Buffer
	status := execute([]string{"replay", path, "--to", ln.Addr().String(), "--wait", "300ms"}, nil, &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d; stderr:\n%s", status, stderr.String())
	}
	if got := seeder.Requests(); len(got) != 2 || got[0] != 2 || got[1] != 9 {
		t.Errorf("the seeder was asked for %v, want the recorded [2 9]", got)
	}
	out := stdout.String()
	for _, want := range []string{"> hello-request", "= hello-response 111", "> piece-request 2", "= piece-response", "> piece-request 9", "= error Piece index out of range"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// A PEX recording made with another byte order is read in that order.
func TestFramingOfReadsARecordedWire(t *testing.T) {
	f, err := framingOf("pex", "big/4096")
	if err != nil {
		t.Fatal(err)
	}
	msg := pex.AppendAsk(nil, pex.Hash{1}, pex.Options{Order: pex.Big, PieceSize: 4096})
	frame, err := f.NewReader(bytes.NewReader(msg)).Next()
	if err != nil || f.Command(frame) != pex.CmdAsk {
		t.Errorf("a big-endian ask read as %q, %v", f.Command(frame), err)
	}
	if _, err := framingOf("pex", "sideways/1"); err == nil {
		t.Error("a bad wire taken")
	}
	if _, err := framingOf("nibble", "big/4096"); err == nil {
		t.Error("a wire taken for a dialect that has none")
	}
}
