package cli

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitclone/bitclone/codec/toy"
)

// startPingNode serves a toy node that answers ping and getpeerlist (an
// empty list) and ignores the rest, as the article's node would if it
// never crashed, on loopback until the test ends.
func startPingNode(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, toy.MaxDatagram)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			m, err := toy.Decode(buf[:n])
			var reply toy.Message
			switch {
			case err != nil:
				continue
			case m.Type == toy.CmdPing:
				reply = toy.Pong(1, m.ID)
			case m.Type == toy.CmdGetPeerList:
				reply = toy.PeerList(1, m.ID, nil)
			default:
				continue
			}
			if b, err := toy.Encode(reply); err == nil {
				pc.WriteToUDPAddrPort(b, from)
			}
		}
	})
	t.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

// check --dialect toy passes a node that answers pings and ignores what it
// does not serve; without --file the file checks are not run, and the ttl
// and routing checks cannot see a node that passes searches to nobody.
func TestCheckToyAgainstANode(t *testing.T) {
	addr := startPingNode(t)
	var stdout, stderr bytes.Buffer
	status := execute([]string{"check", "--dialect", "toy", addr, "--timeout", "1s", "--pace", "0"}, nil, &stdout, &stderr)
	out := stdout.String()
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; report:\n%s", status, stderr.String(), out)
	}
	if !strings.HasPrefix(out, "bitclone check "+addr+"  (msgpack toy node over UDP, no --file; timeout 1s)\n") ||
		!strings.Contains(out, "\n8 passed, 4 not run in ") || !strings.HasSuffix(out, "PASS: "+addr+" conforms\n") {
		t.Errorf("report:\n%s", out)
	}
}

// A closed UDP port: the ICMP error fails the ping check at once, the
// rest are not run, the JSON report says so, and the exit status is 1.
func TestCheckToyJSONClosedPort(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	start := time.Now()
	r := checkJSON(t, ExitError, "check", "--json", "--dialect", "toy", "--file", "cool.txt", addr, "--timeout", "2s")
	if r.OK || len(r.Checks) != 12 || r.Checks[0].Verdict != "fail" ||
		!strings.Contains(r.Checks[0].Detail, "ICMP port unreachable: nothing listens on that UDP port") || r.Checks[1].Detail != "not run: no pong (see ping)" {
		t.Errorf("report %+v", r)
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Errorf("took %s: the ICMP error should end it before the timeout", d)
	}
}

func TestCheckToyErrors(t *testing.T) {
	long := strings.Repeat("x", toy.MaxFilename+1)
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"check", "--file", "cool.txt", "127.0.0.1:1"}, "bitclone check: --file is for --dialect toy\n"},
		{[]string{"check", "--dialect", "bt", "--torrent", "x.torrent", "--file", "cool.txt", "127.0.0.1:1"}, "bitclone check: --file is for --dialect toy\n"},
		{[]string{"check", "--dialect", "toy", "--torrent", "x.torrent", "127.0.0.1:1"}, "bitclone check: --torrent is for --dialect nibble or bt\n"},
		{[]string{"check", "--dialect", "toy", "--slow", "127.0.0.1:1"}, "bitclone check: --slow is for --dialect bitclone\n"},
		{[]string{"check", "--dialect", "toy", "--listen", "0", "127.0.0.1:1"}, "bitclone check: --listen is for --dialect bitclone\n"},
		{[]string{"check", "--dialect", "toy", "--agent", "x", "127.0.0.1:1"}, "bitclone check: --agent is for --dialect bitclone\n"},
		{[]string{"check", "--dialect", "toy", "--file", "", "127.0.0.1:1"}, `bitclone check: --file "": empty` + "\n"},
		{[]string{"check", "--dialect", "toy", "--file", long, "127.0.0.1:1"}, `bitclone check: --file "` + long + `": 256 bytes: at most 255` + "\n"},
		{[]string{"check", "--dialect", "toy", "--timeout", "0s", "127.0.0.1:1"}, "bitclone check: --timeout 0s: want a positive duration\n"},
		{[]string{"check", "--dialect", "toy", "--pace", "-1s", "127.0.0.1:1"}, "bitclone check: --pace -1s: want 0 or more\n"},
		{[]string{"check", "--dialect", "toy", "nope"}, `bitclone check: bad peer "nope": want IPv4:PORT, [IPv6]:PORT or IP,PORT` + "\n"},
		{[]string{"check", "--dialect", "toys", "127.0.0.1:1"}, `bitclone check: --dialect "toys": want bitclone, nibble, bt, pex or toy` + "\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := withoutUsage(stderr.String())
		if status != ExitUsage || got != tt.stderr || stdout.Len() != 0 {
			t.Errorf("%q: status %d, stderr %q, stdout %q; want %d, %q", tt.args, status, got, stdout.String(), ExitUsage, tt.stderr)
		}
	}
}
