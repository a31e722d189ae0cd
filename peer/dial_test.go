package peer

import (
	"net"
	"testing"
)

func TestDialErrorIsWordedOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, err = net.Dial("tcp", closed)
	if err == nil {
		t.Skip("a closed loopback port accepted a connection")
	}
	if got := DialError(err); got != "connection refused" {
		t.Errorf("DialError(%q) = %q, want %q", err, got, "connection refused")
	}
}
