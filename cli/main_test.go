package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestUsageErrorExitStatus(t *testing.T) {
	var stdout, stderr bytes.Buffer
	status := execute([]string{"--headless", "127.0.0.1:8081", "nope"}, strings.NewReader(""), &stdout, &stderr)
	if status != ExitUsage {
		t.Errorf("status %d, want %d", status, ExitUsage)
	}
	if want := "bitclone: bad peer \"nope\": want IPv4:PORT, [IPv6]:PORT or IP,PORT\nRun 'bitclone --help' for usage.\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
}

func TestHelpExitStatus(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"--help"}, nil, &stdout, &stderr); status != ExitOK {
		t.Errorf("--help: status %d", status)
	}
	for _, flag := range []string{"-p, --port N", "--host ADDR", "--peers-file PATH", "--no-peers-file", "--agent NAME",
		"--target N", "--ping-interval D", "--idle-timeout D", "--advertise-interval D", "--handshake-timeout D",
		"--pace D", "--headless", "--json"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help lacks %q", flag)
		}
	}
}

// The node starts, prints its transcript, and :quit stops it cleanly.
func TestRunAndQuit(t *testing.T) {
	var stdout, stderr bytes.Buffer
	status := execute([]string{"--headless", "--host", "127.0.0.1", "-p", "0"}, strings.NewReader(":peers\n:quit\n"), &stdout, &stderr)
	if status != ExitOK {
		t.Fatalf("status %d; stderr:\n%s", status, stderr.String())
	}
	if !strings.Contains(stdout.String(), "established 0 in + 0 out, target 5") {
		t.Errorf(":peers output missing; stdout:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "bitclone: --port 0: no peers file") {
		t.Errorf("the port 0 note is missing; stderr:\n%s", stderr.String())
	}
}

// Without --headless the TUI runs; Ctrl-C (typed on its input) quits it.
func TestWithoutHeadlessRunsTheTUI(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	var stdout, stderr bytes.Buffer
	status := execute([]string{"--host", "127.0.0.1", "-p", "0", "--no-peers-file"}, strings.NewReader("\x03"), &stdout, &stderr)
	// Not a terminal, so no size and no frame: but the TUI took the screen.
	if status != ExitOK || !strings.Contains(stdout.String(), "\x1b[?1049h") || !strings.Contains(stdout.String(), "bitclone 127.0.0.1:") {
		t.Errorf("status %d; stderr:\n%s\nstdout:\n%q", status, stderr.String(), stdout.String())
	}
}

func TestBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	var stdout, stderr bytes.Buffer
	status := execute([]string{"--headless", "--host", "127.0.0.1", "-p", port, "--no-peers-file"}, strings.NewReader(""), &stdout, &stderr)
	if status != ExitError || !strings.HasPrefix(stderr.String(), "bitclone: listen: ") {
		t.Errorf("status %d, stderr %q; want %d and a listen error", status, stderr.String(), ExitError)
	}
}

// Without --headless but with stdout redirected to a file, the transcript
// goes to the file instead of a TUI nobody sees.
func TestRedirectedStdoutRunsHeadless(t *testing.T) {
	out, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	status := execute([]string{"--host", "127.0.0.1", "-p", "0", "--no-peers-file"}, strings.NewReader(":quit\n"), out, &stderr)
	if status != ExitOK || !strings.Contains(stderr.String(), "stdout is not a terminal; running headless") {
		t.Fatalf("status %d; stderr:\n%s", status, stderr.String())
	}
	data, _ := os.ReadFile(out.Name())
	if !strings.Contains(string(data), "* - listening on 127.0.0.1:") {
		t.Errorf("transcript:\n%s", data)
	}
}

// withoutUsage is the error part of stderr after a usage error: what comes
// before the usage or the hint to run --help.
func withoutUsage(stderr string) string {
	stderr, _, _ = strings.Cut(stderr, "Usage:\n")
	stderr, _, _ = strings.Cut(stderr, "Run 'bitclone")
	return stderr
}

// --version prints the version; -v is not it (see TestDashVIsVerboseEverywhere).
func TestVersionFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := execute([]string{"--version"}, nil, &stdout, &stderr); status != ExitOK || !strings.HasPrefix(stdout.String(), "bitclone version ") {
		t.Errorf("--version: status %d, stdout %q, stderr %q", status, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if status := execute([]string{"-v"}, nil, &stdout, &stderr); status != ExitUsage || stdout.Len() != 0 {
		t.Errorf("-v: status %d, stdout %q; want a usage error", status, stdout.String())
	}
}

// A bad flag or a wrong number of arguments prints the usage of the
// command that got it, on stderr, and exits with 2.
func TestBadFlagPrintsItsCommandsUsage(t *testing.T) {
	tests := []struct {
		args       []string
		err, usage string
	}{
		{[]string{"--bogus"}, "bitclone: unknown flag: --bogus\n", "  bitclone [flags] [HOST:PORT ...]\n"},
		{[]string{"check", "--bogus"}, "bitclone check: unknown flag: --bogus\n", "  bitclone check [flags] HOST:PORT\n"},
		{[]string{"check", "--timeout", "soon", "127.0.0.1:1"}, `bitclone check: invalid argument "soon" for "--timeout" flag`, "  bitclone check [flags] HOST:PORT\n"},
		{[]string{"check"}, "bitclone check: accepts 1 arg(s), received 0\n", "  bitclone check [flags] HOST:PORT\n"},
		{[]string{"replay", "-x"}, "bitclone replay: unknown shorthand flag: 'x' in -x\n", "  bitclone replay [flags] FILE --to HOST:PORT\n"},
		{[]string{"sim", "--bogus"}, "bitclone sim: unknown flag: --bogus\n", "  bitclone sim [flags]\n"},
		{[]string{"stress", "--bogus", "pings"}, "bitclone stress: unknown flag: --bogus\n", "  bitclone stress [flags] handshakes|pings|addrs|all\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := execute(tt.args, nil, &stdout, &stderr)
		got := stderr.String()
		if status != ExitUsage || stdout.Len() != 0 || !strings.HasPrefix(got, tt.err) ||
			!strings.Contains(got, "Usage:\n"+tt.usage) || !strings.Contains(got, "Flags:\n") {
			t.Errorf("%q: status %d, stdout %q, stderr:\n%s\nwant %d, %q and the usage %q", tt.args, status, stdout.String(), got, ExitUsage, tt.err, tt.usage)
		}
	}
}

// --json without --headless, stdout a pipe: the transcript as JSON lines,
// ready for jq.
func TestJSONWithoutHeadlessPrintsJSONLines(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan []byte)
	go func() {
		data, _ := io.ReadAll(r)
		got <- data
	}()
	var stderr bytes.Buffer
	status := execute([]string{"--json", "--host", "127.0.0.1", "-p", "0", "--no-peers-file"}, strings.NewReader(":quit\n"), w, &stderr)
	w.Close()
	out := <-got
	if status != ExitOK {
		t.Fatalf("status %d; stderr:\n%s", status, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for _, l := range lines {
		var e struct{ Time, Kind, Text string }
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Time == "" || e.Kind == "" {
			t.Errorf("not a JSON event line: %q (%v)", l, err)
		}
	}
	if !strings.Contains(lines[0], `"kind":"info","text":"listening on 127.0.0.1:`) {
		t.Errorf("first line %q, want the listening info", lines[0])
	}
}

// A closed stdout is the reader going away (`| head`): a clean stop with
// status 0, not an output error.
func TestClosedStdoutIsAQuit(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	var stderr bytes.Buffer
	status := execute([]string{"--json", "--host", "127.0.0.1", "-p", "0", "--no-peers-file"}, strings.NewReader(":peers\n"), w, &stderr)
	if status != ExitOK || !strings.Contains(stderr.String(), "bitclone: stdout closed; stopped") {
		t.Errorf("status %d; stderr:\n%s", status, stderr.String())
	}
}

// /dev/null is a character device but no terminal: a TUI drawn there
// fails, so bitclone > /dev/null runs headless.
func TestDevNullIsNoTerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("%s taken for a terminal", os.DevNull)
	}
}

// parseNode runs a node's command line (made by command) up to its
// settings, which it returns instead of running the node.
func parseNode[S any](t *testing.T, command func(func(S, io.Reader, io.Writer, io.Writer)) *cobra.Command, args ...string) (S, error) {
	t.Helper()
	var got S
	cmd := command(func(s S, _ io.Reader, _, _ io.Writer) { got = s })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}
