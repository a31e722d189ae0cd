package tui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/bitclone/bitclone/peer"
	"github.com/bitclone/bitclone/peer/bitclone"
)

// waitCommand waits for the node to be given a command.
func waitCommand(t *testing.T, node *fakeNode) peer.Command {
	t.Helper()
	select {
	case c := <-node.did:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the node was given no command")
		return peer.Command{}
	}
}

// startProgram runs the sample model as a real program with teatest.
func startProgram(t *testing.T, w, h int, opts ...tea.ProgramOption) (*teatest.TestModel, *fakeNode) {
	t.Helper()
	m, node := newTestModel(t, w, h)
	node.setSnapshot(sampleSnapshot())
	t.Cleanup(func() { close(node.events) }) // ends the event reader
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h), teatest.WithProgramOptions(opts...))
	return tm, node
}

func contains(s string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
}

var waitLong = teatest.WithDuration(10 * time.Second)

// The whole loop through a running program: type a raw line, the node is
// told to send it, the peer's answer arrives as an event and is drawn, q
// quits.
func TestProgramSendsALineAndShowsTheReply(t *testing.T) {
	tm, node := startProgram(t, 120, 40)
	teatest.WaitFor(t, tm.Output(), contains("Connections"), waitLong, teatest.WithCheckInterval(10*time.Millisecond))
	tm.Type("ping|4242")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	if c := waitCommand(t, node); c.Op != peer.OpSend || c.Line != "ping|4242" || c.Targets != nil {
		t.Fatalf("node got %+v", c)
	}
	node.events <- []peer.Event{{At: t0, Kind: peer.KindSend, ConnID: 1, Peer: "127.0.0.1:8082", Command: "ping", Text: "ping|4242"}}
	node.events <- []peer.Event{{At: t0, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:8082", Command: "pong", Text: "pong|4242"}}
	teatest.WaitFor(t, tm.Output(), contains("pong|4242"), waitLong, teatest.WithCheckInterval(10*time.Millisecond))

	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if !final.quitting {
		t.Error("the program ended without quitting")
	}
	if e := final.log.ring.get(final.log.ring.next - 1); e == nil || e.text != "pong|4242" {
		t.Errorf("last log entry %+v", e)
	}
}

// A flood of events keeps flowing in batches while keys still get through.
func TestProgramKeepsUpWithAFlood(t *testing.T) {
	tm, node := startProgram(t, 80, 24)
	stop := make(chan struct{})
	flooded := make(chan int)
	go func() {
		n := 0
		defer func() { flooded <- n }()
		for {
			select {
			case <-stop:
				return
			case node.events <- []peer.Event{{At: t0, Kind: peer.KindRecv, ConnID: 1, Peer: "127.0.0.1:8082", Command: "ping", Text: "ping|" + strconv.Itoa(n)}}:
				n++
			}
		}
	}()
	tm.Type("getaddr")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	if c := waitCommand(t, node); c.Line != "getaddr" {
		t.Fatalf("node got %+v during the flood", c)
	}
	close(stop)
	n := <-flooded
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if final.log.ring.len() > 1000 || n == 0 {
		t.Errorf("sent %d events; the log holds %d lines (limit 1000)", n, final.log.ring.len())
	}
}

// colourSGR matches an SGR sequence that sets a colour.
var colourSGR = regexp.MustCompile(`\x1b\[(?:[0-9;:]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:[;:][0-9;:]*)?m`)

// NO_COLOR is honoured: the same program on the same terminal draws
// colours without it and none with it (bold and reverse remain).
func TestNoColor(t *testing.T) {
	for _, c := range []struct {
		env    []string
		colour bool
	}{
		{[]string{"TERM=xterm-256color", "TTY_FORCE=1"}, true},
		{[]string{"TERM=xterm-256color", "TTY_FORCE=1", "NO_COLOR=1"}, false},
	} {
		tm, _ := startProgram(t, 120, 40, tea.WithEnvironment(c.env))
		var out []byte
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			out = b
			return bytes.Contains(b, []byte("pong|42"))
		}, waitLong, teatest.WithCheckInterval(10*time.Millisecond))
		if got := colourSGR.Match(out); got != c.colour {
			t.Errorf("%v: colour in the output = %v, want %v", c.env, got, c.colour)
		}
		if !bytes.Contains(out, []byte("\x1b[7m")) && !bytes.Contains(out, []byte(";7m")) && !bytes.Contains(out, []byte("[7;")) {
			t.Errorf("%v: no reverse video (the status bar)", c.env)
		}
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	}
}

// Run returns nil when the user quits (here Ctrl-C typed on the terminal)
// and when the caller's context ends.
func TestRun(t *testing.T) {
	node := newFake()
	defer close(node.events)
	err := Run(context.Background(), node, Options{Dialect: bitclone.Dialect, Input: strings.NewReader("\x03"), Output: io.Discard})
	if err != nil {
		t.Errorf("Run after Ctrl-C: %v", err)
	}

	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, node, Options{Dialect: bitclone.Dialect, Input: pr, Output: io.Discard}) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after the context ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when the context ended")
	}
}
