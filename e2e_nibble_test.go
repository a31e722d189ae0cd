package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/nibble"
	"github.com/bitclone/bitclone/peer/nibble/fakepeer"
	"github.com/bitclone/bitclone/tmuxtest"
)

// startSeeder serves data on loopback as a classmate's peer would.
func startSeeder(t *testing.T, tor *nibble.Torrent, data []byte, q fakepeer.Quirks) (*fakepeer.Seeder, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakepeer.Seeder{ID: tor.ID, PieceSize: tor.PieceSize, Data: data, Quirks: q}
	s.Serve(ln)
	t.Cleanup(s.Close)
	return s, ln.Addr().String()
}

// A download killed with -9 in the middle resumes from its .part file:
// the pieces verified before the kill are kept and not asked for again.
func TestNibbleResumesAfterKill9(t *testing.T) {
	data := make([]byte, 1000*4096+99)
	for i := range data {
		data[i] = byte(i*13 + i>>12)
	}
	tor, err := nibble.MakeTorrent(bytes.NewReader(data), "big.bin", "http://127.0.0.1:1/announce", 4096)
	if err != nil {
		t.Fatal(err)
	}
	dir, dest := t.TempDir(), t.TempDir()
	torrent := filepath.Join(dir, "big.ntorrent")
	if err := os.WriteFile(torrent, nibble.MarshalTorrent(tor), 0o644); err != nil {
		t.Fatal(err)
	}
	// A slow seeder first (each frame in two writes 2ms apart), so that
	// the kill lands mid-download.
	_, slow := startSeeder(t, tor, data, fakepeer.Quirks{SplitWrites: true, SplitGap: 2 * time.Millisecond})
	args := func(peer string, extra ...string) []string {
		return append([]string{"nibble", "--headless", "--no-tracker", "--host", "127.0.0.1", "-p", "0", "-d", dest,
			"--peer", peer}, append(extra, "tester", torrent)...)
	}
	cmd := exec.Command(binary, args(slow, "-v")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait for 200 pieces to arrive (every frame is a line with -v).
	arrived := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			if strings.Contains(sc.Text(), " piece-response ") {
				if n++; n == 200 {
					close(arrived)
				}
			}
		}
	}()
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("200 pieces did not arrive in 60s")
	}
	cmd.Process.Kill() // -9: nothing is saved on the way out
	cmd.Wait()
	part := filepath.Join(dest, ".big.bin.part")
	if _, err := os.Stat(part); err != nil {
		t.Fatalf("no .part file after the kill: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "big.bin")); err == nil {
		t.Fatal("the kill came after the download was complete: nothing to resume")
	}

	fast, fastAddr := startSeeder(t, tor, data, fakepeer.Quirks{})
	out, err := exec.Command(binary, args(fastAddr, "--exit-when-complete")...).Output()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`partial, (\d+)/1001 pieces verified`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the resumed run does not say what it found on disk:\n%s", out)
	}
	var kept int
	fmt.Sscan(string(m[1]), &kept)
	if kept < 190 || kept >= 1001 {
		t.Errorf("%d pieces kept from the killed run, want about 200", kept)
	}
	if asked := len(fast.Requests()); asked > 1001-kept {
		t.Errorf("the resumed run asked for %d pieces, but only %d were missing", asked, 1001-kept)
	}
	got, err := os.ReadFile(filepath.Join(dest, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the resumed download differs (%v)", err)
	}
}

// The README's NibbleTorrent walkthrough, as a person follows it: a
// torrent made with make-torrent, a tracker, a paced seeder, and a leecher
// in the TUI whose piece map fills; a frame typed in words gets its answer,
// Ctrl-C quits, and the copy is the file.
func TestNibbleWalkthroughInTmux(t *testing.T) {
	tmuxtest.Need(t)
	dir := t.TempDir()
	seeds, downloads := filepath.Join(dir, "seeds"), filepath.Join(dir, "downloads")
	for _, d := range []string{seeds, downloads} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := make([]byte, 500*4096+7)
	for i := range data {
		data[i] = byte(i*31 + i>>12)
	}
	if err := os.WriteFile(filepath.Join(seeds, "movie.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	trackerPort, seedPort, leechPort := freePort(t), freePort(t), freePort(t)
	announce := fmt.Sprintf("http://127.0.0.1:%d/announce", trackerPort)
	if out, err := exec.Command(binary, "make-torrent", "--format", "nibble", filepath.Join(seeds, "movie.bin"), "--tracker", announce).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "wrote ") {
		t.Fatalf("make-torrent: %v\n%s", err, out)
	}
	torrent := filepath.Join(seeds, "movie.bin.ntorrent")

	tracker := startProc(t, "tracker", "-p", fmt.Sprint(trackerPort), "--host", "127.0.0.1")
	tracker.waitFor(`^tracker listening on 127\.0\.0\.1:`)
	seeder := startProc(t, "nibble", "--headless", "-p", fmt.Sprint(seedPort), "--host", "127.0.0.1", "-d", seeds, "--pace", "1ms", "alice", torrent)
	seeder.waitFor(`complete: found on disk and verified; seeding`, `tracker http://127\.0\.0\.1:\d+/announce: 0 peers`)

	s := tmuxtest.Start(t, 120, 40, fmt.Sprintf("env XDG_STATE_HOME=%q %q nibble -p %d --host 127.0.0.1 -d %q bob %q",
		filepath.Join(dir, "state"), binary, leechPort, downloads, torrent))
	s.WaitScreen("the piece map and its progress line", func(scr string) bool {
		return strings.Contains(scr, "Pieces  501") && strings.Contains(scr, "pieces ") && strings.Contains(scr, "█")
	})
	s.WaitScreen("alice, from the tracker, in the book", func(scr string) bool {
		return strings.Contains(scr, "tracker via -ECEN426-alice")
	})
	s.WaitScreen("the download complete", func(scr string) bool { return strings.Contains(scr, "100%  seeding") })
	s.Keys(true, "piece 41")
	s.WaitScreen("the hint for piece 41", func(scr string) bool { return strings.Contains(scr, "✓") })
	s.Keys(false, "Enter")
	s.WaitScreen("the answer to piece 41", func(scr string) bool {
		return strings.Contains(scr, "> 127.0.0.1:"+fmt.Sprint(seedPort)+" piece-request 41") &&
			strings.Contains(scr, "piece-response 41 (4096 bytes)")
	})
	s.Keys(false, "C-c")
	s.WaitExit("Ctrl-C")
	got, err := os.ReadFile(filepath.Join(downloads, "movie.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the copy: %v, %d bytes, equal %v", err, len(got), bytes.Equal(got, data))
	}
}
