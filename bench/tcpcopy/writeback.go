package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackEvery is how many bytes a receiver writes between requests to
// the kernel to start writing them to disk, as netdisk's server does
// (internal/storage, flushBehind): the final fsync then waits for the last
// few megabytes only.
const writebackEvery = 8 << 20

// writeback starts writeback of a file being written from start to end.
type writeback struct {
	f       *os.File
	flushed int64 // bytes handed to writeback so far
}

// advance starts writeback of the bytes before written not yet handed to
// it, once there are writebackEvery of them. It does not wait, and errors
// are left to the final fsync to report.
func (w *writeback) advance(written int64) {
	if written-w.flushed < writebackEvery {
		return
	}
	from, n := w.flushed, written-w.flushed
	w.flushed = written
	if sc, err := w.f.SyscallConn(); err == nil {
		sc.Control(func(fd uintptr) {
			unix.SyncFileRange(int(fd), from, n, unix.SYNC_FILE_RANGE_WRITE)
		})
	}
}
