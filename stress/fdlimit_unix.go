//go:build unix

package stress

import (
	"errors"
	"fmt"
	"syscall"
)

// lowerFDLimit sets the process's soft limit on open descriptors to n (never
// above the hard limit) and returns a function that restores the old one.
// The whole process shares the table: target, honest peer and attackers.
func lowerFDLimit(n int) (restore func() error, err error) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		return nil, fmt.Errorf("stress: read the descriptor limit: %w", err)
	}
	lim := old
	lim.Cur = min(uint64(n), old.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil, fmt.Errorf("stress: lower the descriptor limit to %d: %w", n, err)
	}
	return func() error { return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) }, nil
}

// isFDExhausted reports whether err says the descriptor table is full.
func isFDExhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
