package headless

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/peer"
)

func TestCommandRouting(t *testing.T) {
	tests := []struct {
		name, input string
		doErr       error
		want        []peer.Command
		out         string
	}{
		{name: "raw line to all", input: "ping|42\n",
			want: []peer.Command{{Op: peer.OpSend, Line: "ping|42", Frame: []byte("ping|42" + "\r\n")}}},
		{name: "CRLF and blank lines", input: "\r\n  \nping|42\r\n\n",
			want: []peer.Command{{Op: peer.OpSend, Line: "ping|42", Frame: []byte("ping|42" + "\r\n")}}},
		{name: "one peer", input: "@127.0.0.1:8081 message|100|hello|class\n",
			want: []peer.Command{{Op: peer.OpSend, Targets: []string{"127.0.0.1:8081"}, Line: "message|100|hello|class", Frame: []byte("message|100|hello|class" + "\r\n")}}},
		{name: "connect drop save", input: ":connect 127.0.0.1:8082\n:drop [::1]:8083\n:save\n",
			want: []peer.Command{
				{Op: peer.OpConnect, Targets: []string{"127.0.0.1:8082"}},
				{Op: peer.OpDrop, Targets: []string{"[::1]:8083"}},
				{Op: peer.OpSave},
			}},
		{name: "invalid line is sent with a warning", input: "bad|line\n",
			want: []peer.Command{{Op: peer.OpSend, Line: "bad|line", Frame: []byte("bad|line" + "\r\n")}},
			out:  "21:30:01.123 ! - warning: not valid, sent anyway: unknown command \"bad\"\n"},
		{name: "a line off the spec is sent with a warning", input: "lax|line\n",
			want: []peer.Command{{Op: peer.OpSend, Line: "lax|line", Frame: []byte("lax|line" + "\r\n")}},
			out:  "21:30:01.123 ! - warning: off the spec (bitclone accepts it, strict peers may not): unknown command \"bad\"\n"},
		{name: "spaces are sent as typed, with a warning", input: " ping|42 \r\n",
			want: []peer.Command{{Op: peer.OpSend, Line: " ping|42 ", Frame: []byte(" ping|42 " + "\r\n")}},
			out:  "21:30:01.123 ! - warning: line has leading and trailing spaces: \" ping|42 \"\n"},
		{name: "node refuses", input: "ping|1\n:connect 1.2.3.4:5\n", doErr: errNoPeers,
			want: []peer.Command{{Op: peer.OpSend, Line: "ping|1", Frame: []byte("ping|1" + "\r\n")}, {Op: peer.OpConnect, Targets: []string{"1.2.3.4:5"}}},
			out: "21:30:01.123 ! - error: send: no established peers\n" +
				"21:30:01.123 ! - error: :connect: no established peers\n"},
		{name: "bad commands", input: ":bogus\n:connect\n@nowhere\n",
			out: "21:30:01.123 ! - error: unknown command \":bogus\" (try :help)\n" +
				"21:30:01.123 ! - error: usage: :connect HOST:PORT\n" +
				"21:30:01.123 ! - error: usage: @HOST:PORT LINE\n"},
		{name: "escape in a typed line is escaped in the error", input: ":\x1b[2J\n",
			out: "21:30:01.123 ! - error: unknown command \":\\x1b[2J\" (try :help)\n"},
		{name: "help", input: ":help\n", out: peer.CommandHelp + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := newFake()
			node.doErr = tt.doErr
			node.invalid = `unknown command "bad"`
			out := runCommands(t, node, tt.input, fixedOpts(false))
			if got := node.dids(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Do calls: %+v, want %+v", got, tt.want)
			}
			if out != tt.out {
				t.Errorf("output:\n%q\nwant:\n%q", out, tt.out)
			}
		})
	}
}

func TestJSONCommandOutput(t *testing.T) {
	node := newFake()
	node.invalid = "bad"
	out := runCommands(t, node, "bad\n:nope\n:help\n", fixedOpts(true))
	want := `{"time":"2026-11-21T21:30:01.123Z","kind":"warn","text":"not valid, sent anyway: bad"}
{"time":"2026-11-21T21:30:01.123Z","kind":"error","text":"unknown command \":nope\" (try :help)"}
`
	if !strings.HasPrefix(out, want) {
		t.Fatalf("JSON output:\n%s\nwant prefix:\n%s", out, want)
	}
	help := strings.TrimPrefix(out, want)
	if !strings.HasPrefix(help, `{"time":"2026-11-21T21:30:01.123Z","kind":"result","command":":help","text":"commands:\n`) {
		t.Errorf(":help result: %s", help)
	}
}

func TestQuitWithoutCallbackReturns(t *testing.T) {
	node := newFake() // its events never close: Run must return on :quit alone
	var stdout bytes.Buffer
	err := Run(context.Background(), node, strings.NewReader("ping|1\n:quit\nping|2\n"), &stdout, fixedOpts(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := node.dids(); len(got) != 1 || got[0].Line != "ping|1" {
		t.Errorf("Do calls: %+v, want only ping|1", got)
	}
}

// With a Quit callback, :quit stops the node and Run prints the node's last
// events until the channel closes; lines after :quit are not executed.
func TestQuitCallbackDrainsEvents(t *testing.T) {
	node := newFake()
	opts := fixedOpts(false)
	quit := make(chan struct{})
	opts.Quit = func() {
		close(quit)
		node.events <- []peer.Event{{At: t0, Kind: peer.KindClosed, Peer: remote, Dir: peer.Outbound, Text: "shutting down"}}
		close(node.events)
	}
	var stdout bytes.Buffer
	stdin, w := io.Pipe()
	defer w.Close()
	errc := make(chan error, 1)
	go func() { errc <- Run(context.Background(), node, stdin, &stdout, opts) }()
	io.WriteString(w, ":quit\n")
	<-quit
	go io.WriteString(w, "ping|2\n") // may or may not be read; must not be sent
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != "21:30:01.123 * 127.0.0.1:8089 closed (out): shutting down\n" {
		t.Errorf("output after quit: %q", got)
	}
	if got := node.dids(); len(got) != 0 {
		t.Errorf("Do after :quit: %+v", got)
	}
}

// End of stdin stops nothing: events are printed, as they come, until the
// channel closes.
func TestEOFKeepsRunning(t *testing.T) {
	node := newFake()
	stdout, stderr := newSignalWriter(), newSignalWriter()
	opts := fixedOpts(false)
	opts.Stderr = stderr
	errc := make(chan error, 1)
	go func() { errc <- Run(context.Background(), node, strings.NewReader(""), stdout, opts) }()
	stderr.waitFor(t, "end of input")

	// Each event reaches stdout before the next arrives: flushed per burst.
	node.events <- []peer.Event{{At: t0, Kind: peer.KindRecv, Peer: remote, Text: "ping|1"}}
	stdout.waitFor(t, "< 127.0.0.1:8089 ping|1")
	node.events <- []peer.Event{{At: t0, Kind: peer.KindSend, Peer: remote, Text: "pong|1"}}
	stdout.waitFor(t, "> 127.0.0.1:8089 pong|1")
	select {
	case err := <-errc:
		t.Fatalf("Run returned before the events closed: %v", err)
	default:
	}
	close(node.events)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Cancelling ctx stops the reading of commands but not the printing: the
// node, sharing ctx, closes its events after its last ones.
func TestCancelKeepsPrinting(t *testing.T) {
	node := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := newSignalWriter()
	stdin, w := io.Pipe()
	defer w.Close()
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, node, stdin, stdout, fixedOpts(false)) }()
	cancel()
	node.events <- []peer.Event{{At: t0, Kind: peer.KindInfo, Text: "saved peers"}}
	stdout.waitFor(t, "* - saved peers")
	close(node.events)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestWriteErrorEndsRun(t *testing.T) {
	node := newFake()
	node.events <- []peer.Event{{At: t0, Kind: peer.KindInfo, Text: "hello"}}
	err := Run(context.Background(), node, nil, failWriter{}, fixedOpts(false))
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Run = %v, want the write error", err)
	}
}

func TestLongInputLineIsSkipped(t *testing.T) {
	node := newFake()
	input := "ping|" + strings.Repeat("9", MaxCommandLine) + "\nping|2\n" + "ping|" + strings.Repeat("1", MaxCommandLine-5) + "\r\n"
	out := runCommands(t, node, input, fixedOpts(false))
	if want := "21:30:01.123 ! - error: input line longer than 262144 bytes; ignored\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	got := node.dids()
	if len(got) != 2 || got[0].Line != "ping|2" || len(got[1].Line) != MaxCommandLine {
		t.Errorf("want ping|2 and a line of exactly %d bytes; got %d calls", MaxCommandLine, len(got))
	}
}

func TestLastLineWithoutNewline(t *testing.T) {
	node := newFake()
	runCommands(t, node, "ping|1\nping|2", fixedOpts(false))
	if got := node.dids(); len(got) != 2 || got[1].Line != "ping|2" {
		t.Errorf("Do calls: %+v", got)
	}
}
