// Package writeback starts the kernel writing a file's new bytes to disk
// while more are still being written, so that the fsync that makes the
// file durable at the end waits only for the last few megabytes. On a disk
// slow to flush, a 1 GiB file written without it stalls for a second or
// more in that fsync, after every byte has arrived. Both ends of a
// transfer that store a file use it: the server for uploads, the client
// for downloads.
package writeback

import (
	"os"

	"golang.org/x/sys/unix"
)

// Every is how many bytes are written between requests to start writeback.
const Every = 8 << 20

// Tracker follows how far a file has been written. The zero value is not
// usable: make one with New.
type Tracker struct {
	f       *os.File
	started int64 // writeback requested up to here
}

// New tracks f, whose bytes up to from are already on their way.
func New(f *os.File, from int64) *Tracker {
	return &Tracker{f: f, started: from}
}

// Advance records that the file is written up to end, and starts
// writeback of what was written since the last request once that is Every
// bytes. It does not wait (SYNC_FILE_RANGE_WRITE only queues the pages),
// and errors are ignored: the fsync at the end makes the data durable,
// and reports them.
func (t *Tracker) Advance(end int64) {
	if end < t.started {
		t.started = end // truncated: start again from there
		return
	}
	if end-t.started < Every {
		return
	}
	from, n := t.started, end-t.started
	t.started = end
	conn, err := t.f.SyscallConn()
	if err != nil {
		return
	}
	conn.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), from, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
