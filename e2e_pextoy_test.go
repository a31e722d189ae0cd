package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/tmuxtest"
)

// The README's PEX walkthrough, as a person follows it: alice shares a
// song and writes its hashes, bob bootstraps from her over IPv6, and carol,
// in the TUI over IPv4, wants every piece; her Pieces pane fills, a typed
// ask gets its give, Ctrl-C quits, and the song is her pieces in order.
func TestPEXWalkthroughInTmux(t *testing.T) {
	tmuxtest.Need(t)
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	dir := t.TempDir()
	alice, bob, carol := filepath.Join(dir, "alice"), filepath.Join(dir, "bob"), filepath.Join(dir, "carol")
	for _, d := range []string{alice, bob, carol} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	song := bytes.Repeat([]byte("a song of three pieces "), 300000/23)
	if err := os.WriteFile(filepath.Join(alice, "song.bin"), song, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bob, "note.txt"), []byte("hello from bob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	alicePort, bobPort := freePort(t), freePort(t)
	aliceHashes, bobHashes := filepath.Join(dir, "alice.hashes"), filepath.Join(dir, "bob.hashes")
	a := startProc(t, "pex", "--headless", "-p", fmt.Sprint(alicePort), "--share", alice, "--hashes", aliceHashes)
	a.waitFor(`listening on \[::\]:\d+ .*sharing 3 pieces`)
	b := startProc(t, "pex", "--headless", "-p", fmt.Sprint(bobPort), "--share", bob, "--hashes", bobHashes, fmt.Sprintf("[::1]:%d", alicePort))
	b.waitFor(regexp.QuoteMeta(fmt.Sprintf("[::1]:%d connected (out)", alicePort)))
	var want []byte
	for _, f := range []string{aliceHashes, bobHashes} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, b...)
	}
	wantFile := filepath.Join(dir, "want.txt")
	if err := os.WriteFile(wantFile, want, 0o644); err != nil {
		t.Fatal(err)
	}

	s := tmuxtest.Start(t, 120, 40, fmt.Sprintf("env XDG_STATE_HOME=%q %q pex -p %d --want-file %q -d %q 127.0.0.1:%d",
		filepath.Join(dir, "state"), binary, freePort(t), wantFile, carol, alicePort))
	s.WaitScreen("every wanted piece received, from alice and from bob", func(scr string) bool {
		return strings.Count(scr, "received from 127.0.0.1:"+fmt.Sprint(alicePort)) == 3 &&
			strings.Count(scr, fmt.Sprintf("received from [::1]:%d", bobPort)) == 1 && strings.Contains(scr, "pieces 4/4")
	})
	first := strings.Fields(string(want))[0]
	s.Keys(true, "@127.0.0.1:"+fmt.Sprint(alicePort)+" ask "+first)
	s.WaitScreen("the hint for the ask", func(scr string) bool { return strings.Contains(scr, "✓") })
	s.Keys(false, "Enter")
	s.WaitScreen("the give that answers it", func(scr string) bool {
		return strings.Count(scr, "< 127.0.0.1:"+fmt.Sprint(alicePort)+" give "+first[:8]+"… (131072 bytes)") >= 1 &&
			strings.Contains(scr, "> 127.0.0.1:"+fmt.Sprint(alicePort)+" ask "+first[:8])
	})
	s.Keys(false, "C-c")
	s.WaitExit("Ctrl-C")
	var got []byte
	for _, h := range strings.Fields(string(want))[:3] {
		piece, err := os.ReadFile(filepath.Join(carol, h))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, piece...)
	}
	if !bytes.Equal(got[:len(song)], song) {
		t.Error("the song is not its pieces in order")
	}
}

// The README's toy walkthrough: alice shares, bob knows her, carol in the
// TUI knows only bob. A typed search finds the file at alice through bob,
// a typed getfile to alice (a node carol may not know yet) fetches a
// file of many chunks, and the copy is the file.
func TestToyWalkthroughInTmux(t *testing.T) {
	tmuxtest.Need(t)
	dir := t.TempDir()
	alice, carol := filepath.Join(dir, "alice"), filepath.Join(dir, "carol")
	for _, d := range []string{alice, carol} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("a file of many chunks "), 1000000/22)
	if err := os.WriteFile(filepath.Join(alice, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alice, "cool.txt"), []byte("hello from alice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	alicePort, bobPort := freePort(t), freePort(t)
	aliceAddr, bobAddr := fmt.Sprint("127.0.0.1:", alicePort), fmt.Sprint("127.0.0.1:", bobPort)
	a := startProc(t, "toy", "--headless", "-p", fmt.Sprint(alicePort), "--host", "127.0.0.1", "--share", alice)
	a.waitFor(`listening on UDP 127\.0\.0\.1:\d+; sharing 2 files`)
	b := startProc(t, "toy", "--headless", "-p", fmt.Sprint(bobPort), "--host", "127.0.0.1", aliceAddr)
	b.waitFor(regexp.QuoteMeta(aliceAddr + " connected (out)"))

	s := tmuxtest.Start(t, 120, 40, fmt.Sprintf("env XDG_STATE_HOME=%q %q toy -p %d --host 127.0.0.1 -d %q %s",
		filepath.Join(dir, "state"), binary, freePort(t), carol, bobAddr))
	s.WaitScreen("bob's pong", func(scr string) bool {
		return strings.Contains(scr, "< "+bobAddr) && strings.Contains(scr, "msgtype: pong")
	})
	s.Keys(true, "search cool.txt")
	s.Keys(false, "Enter")
	s.WaitScreen("the result, at alice", func(scr string) bool {
		return strings.Contains(scr, "cool.txt  ttl 6") && strings.Contains(scr, "1 at: "+aliceAddr)
	})
	s.Keys(true, "@"+aliceAddr+" getfile big.bin")
	s.Keys(false, "Enter")
	s.WaitScreen("the file saved", func(scr string) bool {
		return strings.Contains(scr, "big.bin  from "+aliceAddr+"  saved ")
	})
	s.Keys(false, "C-c")
	s.WaitExit("Ctrl-C")
	if got, err := os.ReadFile(filepath.Join(carol, "big.bin")); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("the copy: %v, %d bytes, equal %v", err, len(got), bytes.Equal(got, big))
	}
}
