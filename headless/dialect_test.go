package headless

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/dialecttest"
)

// binaryEvent is what a Conn of the tiny binary dialect publishes for frame.
func binaryEvent(k peer.Kind, frame []byte) peer.Event {
	d := dialecttest.Binary
	return peer.Event{
		At: t0, Kind: k, ConnID: 1, Peer: "127.0.0.1:8082", Dir: peer.Outbound,
		Text: string(d.Framing.Text(frame)), Command: d.Framing.Command(frame),
		Raw: frame[:min(len(frame), peer.MaxEventRaw)], Size: len(frame),
	}
}

func binaryOpts(json bool) Options {
	o := fixedOpts(json)
	o.Dialect = dialecttest.Binary
	return o
}

// A binary dialect's frames print in its words; a frame bigger than an
// event keeps is not "cut" (the words are whole), and --json carries the
// exact bytes beside the words.
func TestBinaryDialectPrintsWordsAndJSONTheBytes(t *testing.T) {
	big := dialecttest.Frame(dialecttest.TypeResponse, append([]byte{41}, bytes.Repeat([]byte{0xab}, 5000)...))
	req := dialecttest.Frame(dialecttest.TypeRequest, []byte{41})
	events := []peer.Event{binaryEvent(peer.KindSend, req), binaryEvent(peer.KindRecv, big)}

	text := printEvents(t, binaryOpts(false), events...)
	want := "21:30:01.123 > 127.0.0.1:8082 piece-request 41\n" +
		"21:30:01.123 < 127.0.0.1:8082 piece-response 41 (5000 bytes)\n"
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}

	lines := strings.Split(strings.TrimSpace(printEvents(t, binaryOpts(true), events...)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2", len(lines))
	}
	for i, frame := range [][]byte{req, big} {
		var got jsonEvent
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got.Text != events[i].Text || !bytes.Equal(got.Raw, frame[:min(len(frame), peer.MaxEventRaw)]) {
			t.Errorf("JSON line %d: text %q, %d bytes of raw; want the words and the exact bytes:\n%s", i, got.Text, len(got.Raw), lines[i])
		}
	}
	if !strings.Contains(lines[1], `"size":5004`) {
		t.Errorf("the cut frame's JSON does not give its size:\n%s", lines[1])
	}
}

// Typed lines are encoded through the dialect; one it cannot encode is an
// error and is not sent; its colon commands run and are in :help.
func TestBinaryDialectCommands(t *testing.T) {
	node := newFake()
	out := runCommands(t, node, "piece 41\npiece x\n:peers-count\n:help\n", binaryOpts(false))
	got := node.dids()
	if len(got) != 1 || !bytes.Equal(got[0].Frame, []byte{1, 0, 1, 41}) {
		t.Errorf("Do calls %+v, want one with the frame 01 00 01 29", got)
	}
	for _, want := range []string{`error: piece: "x" is not an index from 0 to 255`, "0 connections", ":peers-count         how many connections there are"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Printing events needs no dialect (the stress tool's printer has none);
// reading commands does, and says so instead of failing on the first line.
func TestCommandsNeedADialect(t *testing.T) {
	if out := printEvents(t, Options{Location: t0.Location()}, peer.Event{At: t0, Kind: peer.KindSend, Text: "ping|1", Raw: []byte("ping|1\r\n"), Size: 8}); !strings.Contains(out, "ping|1") {
		t.Errorf("without a dialect, events print: %q", out)
	}
	var stdout bytes.Buffer
	err := Run(context.Background(), newFake(), strings.NewReader("ping|1\n"), &stdout, Options{})
	if err == nil || !strings.Contains(err.Error(), "Dialect") {
		t.Errorf("commands without a dialect: %v", err)
	}
}
