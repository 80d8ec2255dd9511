package storage

import "golang.org/x/sys/unix"

// writebackEvery is how many bytes an upload writes between requests to
// the kernel to start writing them to disk. The commit's fsync then only
// waits for the last few megabytes instead of the whole file: on a disk
// slow to flush, a 1 GiB upload would otherwise stall for a second or more
// at the end, after every byte had arrived.
const writebackEvery = 8 << 20

// flushBehind starts writeback of what was written since the last call,
// once that is writebackEvery bytes. It does not wait (SYNC_FILE_RANGE_WRITE
// only queues the pages), and errors are ignored: the fsync at commit is
// what makes the data durable, and reports them.
func (u *upload) flushBehind() {
	if u.size-u.flushed < writebackEvery {
		return
	}
	from, n := u.flushed, u.size-u.flushed
	u.flushed = u.size
	withFD(u.file, func(fd int) error {
		return unix.SyncFileRange(fd, from, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
