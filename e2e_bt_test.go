package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// aria2 is a BitTorrent client everyone can apt-get (CI installs it):
// bitclone bt seeds to it, and downloads from it, through a bitclone
// tracker, byte for byte. Its habits differ from anacrolix's (it sends its
// bitfield late, once it has pieces).
func TestBTWithAria2(t *testing.T) {
	aria2, err := exec.LookPath("aria2c")
	if err != nil {
		t.Skip("aria2c is not installed (apt-get install aria2; CI installs it)")
	}
	dir := t.TempDir()
	seeds, fromBitclone, fromAria := filepath.Join(dir, "seeds"), filepath.Join(dir, "aria"), filepath.Join(dir, "bitclone")
	for _, d := range []string{seeds, fromBitclone, fromAria} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	if err := os.WriteFile(filepath.Join(seeds, "movie.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	trackerPort, seedPort, ariaPort := freePort(t), freePort(t), freePort(t)
	announce := fmt.Sprintf("http://127.0.0.1:%d/announce", trackerPort)
	if out, err := exec.Command(binary, "make-torrent", filepath.Join(seeds, "movie.bin"), "--tracker", announce, "--piece-size", "65536").CombinedOutput(); err != nil {
		t.Fatalf("make-torrent: %v\n%s", err, out)
	}
	torrent := filepath.Join(seeds, "movie.bin.torrent")
	tracker := startProc(t, "tracker", "-p", fmt.Sprint(trackerPort), "--host", "127.0.0.1")
	tracker.waitFor(`^tracker listening on`)

	// bitclone seeds, aria2 downloads (it exits once complete).
	seeder := startProc(t, "bt", "--headless", "--host", "127.0.0.1", "-p", fmt.Sprint(seedPort), "-d", seeds, torrent)
	seeder.waitFor(`tracker http://127\.0\.0\.1:\d+/announce`)
	ariaArgs := func(dest string, extra ...string) []string {
		return append([]string{"--dir", dest, "--listen-port", fmt.Sprint(ariaPort), "--enable-dht=false", "--enable-dht6=false",
			"--bt-enable-lpd=false", "--enable-peer-exchange=false", "--summary-interval=0", "--console-log-level=warn",
			"--disable-ipv6=true"}, append(extra, torrent)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, aria2, ariaArgs(fromBitclone, "--seed-time=0")...).CombinedOutput(); err != nil {
		t.Fatalf("aria2c could not download from bitclone: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(fromBitclone, "movie.bin")); !bytes.Equal(got, data) {
		t.Fatal("aria2's copy from bitclone differs")
	}
	seeder.cmd.Process.Kill()

	// aria2 seeds what it got, bitclone downloads from it alone.
	ariaSeed := exec.CommandContext(ctx, aria2, ariaArgs(fromBitclone, "--check-integrity=true", "--seed-ratio=0.0")...)
	if err := ariaSeed.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ariaSeed.Process.Kill(); ariaSeed.Wait() })
	leech := exec.CommandContext(ctx, binary, "bt", "--headless", "--host", "127.0.0.1", "-p", "0", "-d", fromAria,
		"--no-tracker", "--peer", fmt.Sprintf("127.0.0.1:%d", ariaPort), "--exit-when-complete", torrent)
	if out, err := leech.CombinedOutput(); err != nil {
		t.Fatalf("bitclone could not download from aria2: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(fromAria, "movie.bin")); !bytes.Equal(got, data) {
		t.Fatal("bitclone's copy from aria2 differs")
	}
}
