package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/peer/bitclone"
	"github.com/bitclone/bitclone/transcript"
)

// lines is the framing of the transcripts here: BitClone's.
var lines = bitclone.Dialect.Framing

var t0 = time.Date(2026, 11, 21, 21, 30, 0, 0, time.UTC)

func entry(conn uint64, ms int, kind, text string) transcript.Entry {
	e := transcript.Entry{Time: t0.Add(time.Duration(ms) * time.Millisecond), Conn: conn, Peer: "10.0.0.7:8088", Dir: "out", Kind: kind}
	switch kind {
	case transcript.KindSend, transcript.KindRecv:
		e.Raw, e.Text = []byte(text+"\r\n"), text
	case transcript.KindClosed:
		e.Reason = text
	}
	return e
}

// A classmate's transcript: conn 2 pings twice and asks for addresses; the
// peer answered the second ping with a wrong nonce and then hung up.
func recorded() []transcript.Entry {
	return []transcript.Entry{
		entry(1, 0, transcript.KindConnected, ""),
		entry(1, 1, transcript.KindRecv, "version|3|1|0|1.2.3.4:5|1.2.3.4:6|9|x|0"),
		entry(2, 10, transcript.KindConnected, ""),
		entry(2, 10, transcript.KindRecv, "message|100|hello|"),
		entry(2, 20, transcript.KindSend, "ping|1"),
		entry(2, 21, transcript.KindRecv, "pong|1"),
		entry(2, 80, transcript.KindSend, "ping|2"),
		entry(2, 81, transcript.KindRecv, "pong|999"),
		entry(2, 140, transcript.KindSend, "getaddr"),
		entry(2, 141, transcript.KindClosed, "EOF"),
	}
}

func TestPick(t *testing.T) {
	s, err := Pick(recorded(), 0, lines)
	if err != nil {
		t.Fatal(err)
	}
	if s.Conn != 2 || s.Sent() != 3 || s.ClosedThen != "EOF" {
		t.Fatalf("session %+v", s)
	}
	if got := s.Steps[0].Then; len(got) != 1 || got[0].Text != "message|100|hello|" {
		t.Errorf("window 0: %+v", got)
	}
	if st := s.Steps[2]; string(st.Sent) != "ping|2\r\n" || st.At != 70*time.Millisecond || st.Then[0].Text != "pong|999" {
		t.Errorf("step 2: %+v", st)
	}

	if _, err := Pick(recorded(), 9, lines); err == nil || !strings.Contains(err.Error(), "conn 2 (out, 10.0.0.7:8088): 3 sent, 3 received") {
		t.Errorf("unknown conn: %v", err)
	}
	if _, err := Pick(recorded(), 1, lines); err == nil || err.Error() != "connection 1 sent nothing: there is nothing to replay" {
		t.Errorf("conn without sends: %v", err)
	}
}

// fakePeer answers ping|N with pong|N and hangs up on getaddr.
func fakePeer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.Write([]byte("message|100|hello|\r\n"))
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					line := strings.TrimSuffix(sc.Text(), "\r")
					if line == "getaddr" {
						return
					}
					if n, ok := strings.CutPrefix(line, "ping|"); ok {
						c.Write([]byte("pong|" + n + "\r\n"))
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func TestRunShowsTheDifference(t *testing.T) {
	to := fakePeer(t)
	s, err := Pick(recorded(), 0, lines)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Wait: 2 * time.Second}
	start := time.Now()
	if err := Run(context.Background(), s, to, o); err != nil {
		t.Fatal(err)
	}
	// The original gaps (60 ms) are kept; the peer hangs up after getaddr,
	// which ends the replay long before Wait.
	if took := time.Since(start); took < 120*time.Millisecond || took > time.Second {
		t.Errorf("took %s", took)
	}
	if got := texts(s.Steps[2].Now); got != "pong|2" {
		t.Errorf("now after ping|2: %q", got)
	}
	if s.ClosedNow != "EOF" || s.Stopped != "" {
		t.Errorf("closed now %q, stopped %q", s.ClosedNow, s.Stopped)
	}

	var out bytes.Buffer
	s.WriteText(&out, to, o)
	text := out.String()
	for _, want := range []string{
		"replay of conn 2 (out, recorded with 10.0.0.7:8088) to " + to + ", original timing",
		"#0  before we sent anything\n",
		"#1  +0.010s   > ping|1\n",
		"    = pong|1" + strings.Repeat(" ", column-len("pong|1")) + "  pong|1\n",
		"    ~ pong|2" + strings.Repeat(" ", column-len("pong|2")) + "  pong|999\n",
		"closed: now EOF; then EOF\n",
		"3 sent; every window got the same commands as originally\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// The peer hangs up at once: the replay stops, and says so, instead of
// writing into a closed connection.
func TestRunStopsWhenThePeerHangsUp(t *testing.T) {
	to := fakePeer(t)
	entries := []transcript.Entry{
		entry(1, 0, transcript.KindConnected, ""),
		entry(1, 30, transcript.KindSend, "getaddr"),
		entry(1, 31, transcript.KindRecv, "addr|0"),
		entry(1, 60, transcript.KindSend, "ping|1"),
		entry(1, 61, transcript.KindRecv, "pong|1"),
	}
	s, err := Pick(entries, 1, lines)
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), s, to, Options{Wait: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if s.Stopped == "" || s.ClosedNow != "EOF" {
		t.Errorf("stopped %q, closed now %q", s.Stopped, s.ClosedNow)
	}
	var out bytes.Buffer
	s.WriteJSON(&out, to, Options{})
	var js struct {
		Steps []struct {
			N     int  `json:"n"`
			Alike bool `json:"alike"`
			Now   []struct{ Text string }
			Then  []struct{ Text string }
		} `json:"steps"`
		ClosedNow string `json:"closed_now"`
	}
	if err := json.Unmarshal(out.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	// #0: now a greeting, then nothing; #1: then addr|0, now the hang-up;
	// #2 was never sent.
	if len(js.Steps) != 3 || js.Steps[1].N != 1 || js.Steps[1].Alike || js.Steps[1].Then[0].Text != "addr|0" || len(js.Steps[1].Now) != 0 ||
		js.Steps[0].Now[0].Text != "message|100|hello|" || js.ClosedNow != "EOF" {
		t.Errorf("json: %s", out.String())
	}
}

func texts(ls []Line) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Text)
	}
	return strings.Join(s, "\n")
}

// slowPeer answers "hello" with "hi", later than it did when the transcript
// was recorded: after delay, or (untilBye) only once "bye" came, which no
// clock can race. It hangs up on "bye", which ends the replay.
func slowPeer(t *testing.T, delay time.Duration, untilBye bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			switch strings.TrimSuffix(sc.Text(), "\r") {
			case "hello":
				if !untilBye {
					time.Sleep(delay) // the slowness under test
					c.Write([]byte("hi\r\n"))
				}
			case "bye":
				if untilBye {
					c.Write([]byte("hi\r\n"))
				}
				return
			}
		}
	}()
	return ln.Addr().String()
}

// An answer that took 1 ms then and takes 150 ms now still lands in its
// own window: the next line waits for it. With --fast it does not: the
// next line goes out at once (the peer answers only after it).
func TestRunWaitsForTheAnswersOfTheRecording(t *testing.T) {
	entries := []transcript.Entry{
		entry(1, 0, transcript.KindConnected, ""),
		entry(1, 1, transcript.KindSend, "hello"),
		entry(1, 2, transcript.KindRecv, "hi"),
		entry(1, 3, transcript.KindSend, "bye"),
	}
	for _, fast := range []bool{false, true} {
		s, err := Pick(entries, 1, lines)
		if err != nil {
			t.Fatal(err)
		}
		// Wait only bounds a broken run: the peer hangs up on "bye".
		if err := Run(context.Background(), s, slowPeer(t, 150*time.Millisecond, fast), Options{Fast: fast, Wait: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		want := [3]string{"", "hi", ""} // what each window got now
		if fast {
			want = [3]string{"", "", "hi"}
		}
		for i, w := range want {
			if got := texts(s.Steps[i].Now); got != w {
				t.Errorf("fast %v: window %d got %q, want %q", fast, i, got, w)
			}
		}
	}
}

// A transcript comes from someone else: what it says the peer sent, and
// why the connection closed, reach the terminal escaped, whatever its
// text field claims.
func TestPickEscapesTheFile(t *testing.T) {
	entries := []transcript.Entry{
		entry(1, 0, transcript.KindSend, "ping|1"),
		{Time: t0, Conn: 1, Peer: "p", Dir: "out", Kind: transcript.KindRecv, Raw: []byte("pong|\x1b[2J\a\r\n"), Text: "pong|\x1b[2J\a"},
		entry(1, 2, transcript.KindClosed, "reset\x1b]0;pwned\a"),
	}
	s, err := Pick(entries, 0, lines)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.WriteText(&out, "127.0.0.1:1", Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\a") || !strings.Contains(out.String(), `pong|\x1b[2J\x07`) ||
		!strings.Contains(out.String(), `then reset\x1b]0;pwned\x07`) {
		t.Errorf("replay text not escaped:\n%q", out.String())
	}
}
