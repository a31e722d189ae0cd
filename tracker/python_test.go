package tracker

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
)

// coursePeer announces as the course's Python peers do (requests, the
// reply's JSON read as the spec shows it), once with the spec's dash-less
// peer_id, and prints what it understood; it also reads a 400's error.
const coursePeer = `
import sys, requests
url, tid = sys.argv[1], sys.argv[2]
for netid, port, dash in (("le0nh4rt", 6981, "-"), ("rinoa", 6977, "")):
    r = requests.get(url, params={"peer_id": dash + "ECEN426-" + netid, "ip": "127.0.0.1", "port": port, "torrent_id": tid})
    r.raise_for_status()
    data = r.json()
    assert type(data["interval"]) is int, data
    for addr, peer_id in data["peers"]:
        ip, p = addr.split(":")
        print(netid, "sees", ip, int(p), peer_id, "self" if netid in peer_id else "other")
r = requests.get(url, params={"peer_id": "-ECEN426-x", "torrent_id": tid})
print(r.status_code, r.json()["error"])
`

func TestCoursePythonPeersUseTheTracker(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	if exec.Command("python3", "-c", "import requests").Run() != nil {
		t.Skip("no requests for python3")
	}
	ts := httptest.NewServer(New(Config{}))
	defer ts.Close()
	cmd := exec.Command("python3", "-c", coursePeer, ts.URL+"/announce", tid1)
	// Loopback only: no proxy in the way.
	cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*", "HTTP_PROXY=", "http_proxy=")
	out, err := cmd.CombinedOutput()
	want := `le0nh4rt sees 127.0.0.1 6981 -ECEN426-le0nh4rt self
rinoa sees 127.0.0.1 6981 -ECEN426-le0nh4rt other
rinoa sees 127.0.0.1 6977 ECEN426-rinoa self
400 missing port
`
	if err != nil || string(out) != want {
		t.Errorf("python peer: %v\n%s\nwant\n%s", err, out, want)
	}
}
