package harness

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// FileIOEnv is the environment variable anacrolix v1.59.1 reads once, at
// init, to choose how its file storage does I/O: "mmap" (its default) or
// "classic" (pread/pwrite). Its mmap I/O cannot map a zero-length file
// (mmap fails with EINVAL), so a torrent with an empty file in it stalls
// with "writing received chunk: invalid argument" and downloading disabled.
const FileIOEnv = "TORRENT_STORAGE_DEFAULT_FILE_IO"

// fileIO is the I/O the harness runs anacrolix with, unless FileIOEnv is set.
const fileIO = "classic"

// Main is the TestMain of every package that uses the harness. Because
// anacrolix reads FileIOEnv before TestMain runs, Main re-executes the test
// binary with FileIOEnv=classic when it is unset (set it to "mmap" to measure
// anacrolix's default). It then runs the tests and fails the binary if any
// goroutine outlives them.
func Main(m *testing.M) {
	if _, ok := os.LookupEnv(FileIOEnv); !ok {
		exe, err := os.Executable()
		if err == nil {
			os.Setenv(FileIOEnv, fileIO)
			err = syscall.Exec(exe, os.Args, os.Environ())
		}
		fmt.Fprintf(os.Stderr, "harness: re-executing the test binary with %s=%s: %v\n", FileIOEnv, fileIO, err)
		os.Exit(2)
	}
	goleak.VerifyTestMain(m)
}
