// Package fdreserve keeps a spare file descriptor, so that a process at its
// descriptor limit can still accept a connection (to close a worse one) or
// write a file: release the spare, do the one thing, take the spare back.
package fdreserve

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// Spare holds one descriptor (an open os.DevNull) while it is not released.
// It is safe for concurrent use.
type Spare struct {
	mu sync.Mutex
	f  *os.File
}

// New opens a spare. If even that fails, the Spare starts released and
// Reacquire tries again later.
func New() *Spare {
	s := &Spare{}
	s.Reacquire()
	return s
}

// Held reports whether the spare holds its descriptor. A nil Spare holds
// none, and releasing it frees nothing.
func (s *Spare) Held() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f != nil
}

// Release closes the spare, freeing its descriptor for the caller's next
// open or accept. It reports whether a descriptor was freed.
func (s *Spare) Release() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return false
	}
	s.f.Close()
	s.f = nil
	return true
}

// Reacquire opens the spare again if it is released. It fails while the
// table is full.
func (s *Spare) Reacquire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		return nil
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	s.f = f
	return nil
}

// Close releases the spare for good (Reacquire would open it again).
func (s *Spare) Close() { s.Release() }

// Exhausted reports whether err says the process (EMFILE) or the system
// (ENFILE) is out of descriptors.
func Exhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
