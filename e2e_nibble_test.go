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
