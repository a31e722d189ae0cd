package cli

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/pex"
	"github.com/bitclone/bitclone/peer/nodetest"
	pexpeer "github.com/bitclone/bitclone/peer/pex"
)

// parsePex runs the pex command line up to its settings.
func parsePex(t *testing.T, args ...string) (pexSettings, error) {
	return parseNode(t, pexCommand, args...)
}

func TestPexHelpHasTheCommandLineOfDialects(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"pex", "--help"}, nil, &stdout, &stderr); status != ExitOK {
		t.Fatalf("--help: status %d", status)
	}
	for _, flag := range []string{"pex [flags] [HOST:PORT ...]", "-p, --port N", "(default 8100)", "--host ADDR", `(default "::")`,
		"--share DIR", "--want HASH", "--want-file LIST", "-d, --dest DIR", "--piece-size N", "(default 131072)",
		"--byte-order little|big", `(default "little")`, "--exit-when-complete", "--hashes FILE", "zero-padded",
		"--headless", "--json", "--record FILE", "--quiet", "-v, --verbose"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help lacks %q", flag)
		}
	}
}

const hashA = "496659fd9c4fb65a87f67402621b77883f0c0f3c0f7f51f008dbe431c8278b8e"
const hashB = "353ED39564E327F8C09627B64292B932A793928F66C6D9031ECA8FBA0D2361C3"

func TestPexSettings(t *testing.T) {
	s, err := parsePex(t)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if c.Port != 8100 || c.ListenHost != "::" || c.Dest != "." || c.Options != (pex.Options{PieceSize: pex.DefaultPieceSize}) ||
		len(c.Want) != 0 || len(c.Bootstrap) != 0 || s.Front.Headless {
		t.Errorf("defaults: %+v", s)
	}
	list := filepath.Join(t.TempDir(), "want")
	os.WriteFile(list, []byte("# pieces\n"+hashA+"\n\n  "+hashB+"  \n"+hashA+"\n"), 0o644)
	share := t.TempDir()
	s, err = parsePex(t, "-p", "9000", "--host", "::1", "--share", share, "--want", hashB, "--want-file", list,
		"-d", "/tmp", "--piece-size", "4096", "--byte-order", "big", "--exit-when-complete", "--hashes", "h.txt", "--headless",
		"[::1]:8100", "127.0.0.1:8101", "localhost:8102")
	if err != nil {
		t.Fatal(err)
	}
	c = s.Config
	a, _ := pex.ParseHash(hashA)
	b, _ := pex.ParseHash(hashB)
	boot := []netip.AddrPort{netip.MustParseAddrPort("[::1]:8100"), netip.MustParseAddrPort("127.0.0.1:8101"), netip.MustParseAddrPort("127.0.0.1:8102")}
	if c.Port != 9000 || c.ListenHost != "::1" || c.Share != share || c.Dest != "/tmp" || s.Hashes != "h.txt" || !s.Front.Headless ||
		c.Options != (pex.Options{Order: pex.Big, PieceSize: 4096}) || !s.swarm.ExitWhenComplete {
		t.Errorf("flags: %+v", s)
	}
	if len(c.Want) != 2 || c.Want[0] != b || c.Want[1] != a {
		t.Errorf("wanted %v, want %s then %s (repeats once)", c.Want, b.Short(), a.Short())
	}
	if len(c.Bootstrap) != 3 || c.Bootstrap[0] != boot[0] || c.Bootstrap[1] != boot[1] || c.Bootstrap[2] != boot[2] {
		t.Errorf("bootstrap %v, want %v", c.Bootstrap, boot)
	}
}

func TestPexRefusesBadFlags(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	badList := filepath.Join(t.TempDir(), "want")
	os.WriteFile(badList, []byte(hashA+"\nnot-a-hash\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--want", "abc"}, `--want "abc": want 64 hex digits`},
		{[]string{"--want", hashA + "00"}, "want 64 hex digits"},
		{[]string{"--want-file", badList}, `line 2: "not-a-hash" is not 64 hex digits`},
		{[]string{"--want-file", "/no/such/list"}, "--want-file: open /no/such/list"},
		{[]string{"--byte-order", "middle"}, `--byte-order "middle": want little or big`},
		{[]string{"--piece-size", "0"}, "--piece-size 0: want 1 to"},
		{[]string{"--piece-size", "99999999"}, "--piece-size 99999999: want 1 to"},
		{[]string{"--share", "/no/such/dir"}, "--share /no/such/dir"},
		{[]string{"--share", notDir}, "not a directory"},
		{[]string{"--exit-when-complete"}, "nothing wanted"},
		{[]string{"-p", "70000"}, "--port 70000"},
		{[]string{"nohost"}, `bootstrap node "nohost": want [IPv6]:PORT`},
		{[]string{"127.0.0.1:0"}, `bootstrap node "127.0.0.1:0"`},
	} {
		_, err := parsePex(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// --hashes writes every shared piece's SHA-256, the last padded, one per
// line: a --want-file for another node, which then fetches them all.
func TestPexHashesFileIsAWantFile(t *testing.T) {
	share, dest := t.TempDir(), t.TempDir()
	data := nodetest.Pattern(2*1024+10, 5)
	os.WriteFile(filepath.Join(share, "f"), data, 0o644)
	hashes := filepath.Join(t.TempDir(), "hashes")
	seed, err := pexpeer.New(pexpeer.Config{Share: share, Options: pex.Options{PieceSize: 1024}})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeHashes(hashes, seed.Shared()); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(hashes)
	last := make([]byte, 1024)
	copy(last, data[2048:])
	want := pex.HashOf(data[:1024]).String() + "\n" + pex.HashOf(data[1024:2048]).String() + "\n" + pex.HashOf(last).String() + "\n"
	if string(body) != want {
		t.Errorf("--hashes wrote\n%s\nwant\n%s", body, want)
	}
	s, err := parsePex(t, "--want-file", hashes, "-d", dest)
	if err != nil || len(s.Config.Want) != 3 {
		t.Errorf("read back: %v, %d hashes", err, len(s.Config.Want))
	}
}

// bitclone pex --exit-when-complete fetches from a node given as an
// argument, writes the piece named by its hash, and exits 0.
func TestPexFetchesFromABootstrapNodeAndExits(t *testing.T) {
	share, dest := t.TempDir(), t.TempDir()
	data := nodetest.Pattern(1000, 9)
	os.WriteFile(filepath.Join(share, "f"), data, 0o644)
	n, err := pexpeer.New(pexpeer.Config{ListenHost: "127.0.0.1", Share: share, Options: pex.Options{PieceSize: 1024}})
	seed, _ := nodetest.Start(t, n, err)
	piece := make([]byte, 1024)
	copy(piece, data)
	h := pex.HashOf(piece)
	var stdout, stderr bytes.Buffer
	status := execute([]string{"pex", "--headless", "-p", "0", "--host", "127.0.0.1", "--piece-size", "1024",
		"--want", h.String(), "-d", dest, "--exit-when-complete", seed.Addr().String()}, strings.NewReader(""), &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, stdout.String(), stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(dest, h.String()))
	if err != nil || !bytes.Equal(got, piece) {
		t.Errorf("piece in --dest: %v, equal %v", err, bytes.Equal(got, piece))
	}
	if !strings.Contains(stdout.String(), "complete: every wanted piece verified and saved") {
		t.Errorf("the log does not say it is complete:\n%s", stdout.String())
	}
}
