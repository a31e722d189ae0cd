package bt

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitclone/bitclone/check"
	"github.com/bitclone/bitclone/codec/metainfo"
)

// libtorrentSeeder seeds the torrent in argv[1] from the directory argv[2]
// on loopback (no DHT, LSD, UPnP, NAT-PMP or uTP), prints its port once the
// data has checked out complete, and runs until its stdin closes.
const libtorrentSeeder = `
import sys, time, threading
import libtorrent as lt
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_incoming_utp': False,
                  'enable_outgoing_utp': False})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(sys.argv[1])
atp.save_path = sys.argv[2]
h = ses.add_torrent(atp)
deadline = time.time() + 30
while h.status().state != lt.torrent_status.seeding and time.time() < deadline:
    time.sleep(0.05)
if h.status().state != lt.torrent_status.seeding:
    sys.exit('not seeding: %s' % h.status().state)
print(ses.listen_port(), flush=True)
sys.stdin.read()
`

// libtorrentPython is a python3 that imports libtorrent, or the test is
// skipped.
func libtorrentPython(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import libtorrent").Run() == nil {
			return py
		}
	}
	t.Skip("libtorrent for Python is not installed (apt-get install python3-libtorrent)")
	return ""
}

// libtorrent (rasterbar, the library of qBittorrent and Deluge), seeding on
// loopback, passes the card: no check fails a real client for what it
// does. It warns on nothing either.
func TestLibtorrentSeederPasses(t *testing.T) {
	py := libtorrentPython(t)
	dir := t.TempDir()
	data := testFile()
	if err := os.WriteFile(filepath.Join(dir, "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tor := testTorrent(t, data)
	torrentFile := filepath.Join(t.TempDir(), "file.torrent")
	raw, err := metainfo.Marshal(tor)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(torrentFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", libtorrentSeeder, torrentFile, dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the seeder ends when its stdin does
		cmd.Wait()
	})
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("libtorrent did not start seeding: %v", err)
	}
	o := fastOptions(tor)
	o.Timeout = 5 * time.Second // a real client's timers, not a fake's
	r, text := runSuite(t, "127.0.0.1:"+strings.TrimSpace(port), o)
	t.Logf("\n%s", text)
	for _, oc := range r.Outcomes {
		if oc.Verdict != check.Pass {
			t.Errorf("%s: %s: %s", oc.Name, oc.Verdict, oc.Detail)
		}
	}
}
