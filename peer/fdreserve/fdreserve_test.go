package fdreserve

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestReleaseAndReacquire(t *testing.T) {
	s := New()
	defer s.Close()
	if !s.Held() {
		t.Fatal("a new spare holds no descriptor")
	}
	if !s.Release() || s.Held() {
		t.Fatal("Release did not free the descriptor")
	}
	if s.Release() {
		t.Error("a second Release reported freeing a descriptor")
	}
	if err := s.Reacquire(); err != nil || !s.Held() {
		t.Fatalf("Reacquire: %v, held %v", err, s.Held())
	}
	if err := s.Reacquire(); err != nil {
		t.Errorf("Reacquire while held: %v", err)
	}
}

func TestExhausted(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&os.SyscallError{Syscall: "accept", Err: syscall.EMFILE}, true},
		{fmt.Errorf("save: %w", &os.PathError{Op: "open", Path: "x", Err: syscall.ENFILE}), true},
		{&os.SyscallError{Syscall: "accept", Err: syscall.ECONNABORTED}, false},
		{nil, false},
	} {
		if got := Exhausted(c.err); got != c.want {
			t.Errorf("Exhausted(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
