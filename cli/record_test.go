package cli

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/transcript"
)

// --record writes the exact bytes of every message in and out.
func TestRecord(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stdinR, stdinW := io.Pipe()
	sawVersion := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rd := bufio.NewReader(c)
		version, _ := rd.ReadString('\n')
		c.Write([]byte("verack|1\nmessage|100|\x1b[2J|bye\r\n"))
		// The node rejects the message (the handshake is not complete):
		// then it has read both lines.
		for {
			line, err := rd.ReadString('\n')
			if err != nil || strings.HasPrefix(line, "reject|") {
				break
			}
		}
		sawVersion <- version
	}()

	path := filepath.Join(t.TempDir(), "t.jsonl")
	status := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		status <- execute([]string{"--headless", "--host", "127.0.0.1", "-p", "0", "--no-peers-file", "--record", path, ln.Addr().String()},
			stdinR, &stdout, &stderr)
	}()
	version := <-sawVersion
	stdinW.Write([]byte(":quit\n"))
	if s := <-status; s != ExitOK {
		t.Fatalf("status %d; stderr:\n%s", s, stderr.String())
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, problems, err := transcript.Read(f)
	if err != nil || len(problems) > 0 {
		t.Fatalf("read: %v %v", err, problems)
	}
	var got []string
	for _, e := range entries {
		if e.Conn != 1 {
			continue // the node may have redialled
		}
		if e.Dir != "out" || e.Peer != ln.Addr().String() {
			t.Errorf("entry %+v", e)
		}
		got = append(got, e.Kind+" "+string(e.Raw))
	}
	want := []string{"connected ", "send " + version, "recv verack|1\n", "recv message|100|\x1b[2J|bye\r\n", "send reject|400|"}
	if len(got) < len(want)+1 || !strings.HasPrefix(strings.Join(got[:len(want)], ""), strings.Join(want, "")) || !strings.HasPrefix(got[len(got)-1], "closed") {
		t.Errorf("conn 1:\n%q\nwant\n%q then closed", got, want)
	}
}

func TestRecordUncreatable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := filepath.Join(t.TempDir(), "missing", "t.jsonl")
	status := execute([]string{"--headless", "--host", "127.0.0.1", "-p", "0", "--no-peers-file", "--record", path}, strings.NewReader(""), &stdout, &stderr)
	if want := "bitclone: --record: open " + path + ": no such file or directory\n"; status != ExitError || stderr.String() != want {
		t.Errorf("status %d, stderr %q; want %d, %q", status, stderr.String(), ExitError, want)
	}
}
