package cli

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
)

// startPEXNode serves a minimal PEX node on loopback in the byte order o:
// a peer message gets an empty peer list, an ask for piece a give of it,
// anything else nothing. It returns the node's address.
func startPEXNode(t *testing.T, o pex.Options, piece []byte) string {
	t.Helper()
	ln := nodetest.Listen(t)
	var s nodetest.Server
	s.Serve(ln, func(c net.Conn) {
		rd := pex.NewReader(c, o)
		for {
			b, err := rd.Next()
			if err != nil {
				return
			}
			m, err := pex.Decode(b, o)
			var reply []byte
			switch {
			case err != nil:
			case m.Type == pex.TypePeer:
				reply, _ = pex.AppendPeers(nil, nil, o)
			case m.Type == pex.TypeAsk && m.Hash == pex.HashOf(piece):
				reply, _ = pex.AppendGive(nil, m.Hash, piece, o)
			}
			if reply != nil {
				if _, err := c.Write(reply); err != nil {
					return
				}
			}
		}
	})
	t.Cleanup(s.Close)
	return ln.Addr().String()
}

// check --dialect pex passes a node that speaks big-endian with 4 KiB
// pieces, told the piece size and a piece it has: the order is found and
// reported, not failed.
func TestCheckPEXAgainstANode(t *testing.T) {
	o := pex.Options{Order: pex.Big, PieceSize: 4096}
	piece := nodetest.Pattern(4096, 7)
	addr := startPEXNode(t, o, piece)
	var stdout, stderr bytes.Buffer
	status := execute([]string{"check", "--dialect", "pex", "--piece-size", "4096", "--piece", pex.HashOf(piece).String(),
		addr, "--timeout", "1s", "--pace", "5ms"}, nil, &stdout, &stderr)
	out := stdout.String()
	if status != ExitOK {
		t.Fatalf("status %d; stderr %q; report:\n%s", status, stderr.String(), out)
	}
	if !strings.HasPrefix(out, "bitclone check "+addr+"  (PEX, little-endian first, 4096-byte pieces, 1 piece to ask for; timeout 1s)\n") ||
		!strings.Contains(out, "\n7 passed in ") || !strings.Contains(out, "PASS  byte-order    it speaks big-endian: ") ||
		!strings.HasSuffix(out, "PASS: "+addr+" conforms\n") {
		t.Errorf("report:\n%s", out)
	}
}

// The PEX flags are checked, and the other dialects' flags refused with
// it (and its flags with them), before anything is dialled.
func TestCheckPEXFlags(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"check", "--dialect", "pex", "--torrent", "x.torrent", "127.0.0.1:1"}, "bitclone check: --torrent is not for --dialect pex\n"},
		{[]string{"check", "--dialect", "pex", "--slow", "127.0.0.1:1"}, "bitclone check: --slow is not for --dialect pex\n"},
		{[]string{"check", "--dialect", "pex", "--listen", "0", "127.0.0.1:1"}, "bitclone check: --listen is not for --dialect pex\n"},
		{[]string{"check", "--dialect", "pex", "--byte-order", "middle", "127.0.0.1:1"}, `bitclone check: --byte-order "middle": want little or big` + "\n"},
		{[]string{"check", "--dialect", "pex", "--piece-size", "0", "127.0.0.1:1"}, "bitclone check: --piece-size 0: want 1 to 16777216\n"},
		{[]string{"check", "--dialect", "pex", "--piece-size", "16777217", "127.0.0.1:1"}, "bitclone check: --piece-size 16777217: want 1 to 16777216\n"},
		{[]string{"check", "--dialect", "pex", "--piece", hash, "--piece", "abc", "127.0.0.1:1"}, `bitclone check: --piece "abc": want 64 hex digits (a SHA-256)` + "\n"},
		{[]string{"check", "--dialect", "pex", "--timeout", "0s", "127.0.0.1:1"}, "bitclone check: --timeout 0s: want a positive duration\n"},
		{[]string{"check", "--dialect", "pex", "nope"}, `bitclone check: bad peer "nope": want IPv4:PORT, [IPv6]:PORT or IP,PORT` + "\n"},
		{[]string{"check", "--piece", hash, "127.0.0.1:1"}, "bitclone check: --piece is for --dialect pex\n"},
		{[]string{"check", "--dialect", "bt", "--torrent", "x.torrent", "--byte-order", "big", "127.0.0.1:1"}, "bitclone check: --byte-order is for --dialect pex\n"},
		{[]string{"check", "--dialect", "nibble", "--torrent", "x.ntorrent", "--piece-size", "4096", "127.0.0.1:1"}, "bitclone check: --piece-size is for --dialect pex\n"},
		{[]string{"check", "--dialect", "toy?", "127.0.0.1:1"}, `bitclone check: --dialect "toy?": want bitclone, nibble, bt, pex or toy` + "\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		if got := withoutUsage(stderr.String()); status != ExitUsage || got != tt.stderr {
			t.Errorf("%q: status %d, stderr %q; want %d, %q", tt.args, status, got, ExitUsage, tt.stderr)
		}
	}
}
