package storage

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// batchSyncFrom is the batch size from which CommitAll flushes the whole
// file system once (syncfs(2)) instead of each file and folder (fsync(2)).
// On ext4 every fsync is a journal commit of its own, a few hundred
// microseconds here; one syncfs covers a whole batch. The price is that it
// also flushes other writers' data, which a large batch amortises.
const batchSyncFrom = 4

// CommitAll commits uploads of this store together: each is checked and
// gets its modification time and digest, then all their data is flushed
// at once, then each is renamed over its target, then the folders are
// flushed. Uploads of another store are refused.
func (l *Local) CommitAll(ups []Upload, digests [][]byte, mtimes []time.Time) []error {
	errs := make([]error, len(ups))
	if len(ups) < batchSyncFrom {
		for i, up := range ups {
			errs[i] = up.Commit(digests[i], mtimes[i])
		}
		return errs
	}
	var ready []*upload
	var readyIdx []int
	for i, up := range ups {
		u, ok := up.(*upload)
		if !ok || u.space.store != l {
			errs[i] = fmt.Errorf("commit: %w: not an upload of this store", ErrInvalidPath)
			continue
		}
		if errs[i] = u.prepare(digests[i], mtimes[i], false); errs[i] == nil {
			ready = append(ready, u)
			readyIdx = append(readyIdx, i)
		}
	}
	if len(ready) == 0 {
		return errs
	}
	// syncfs reports the file system's writeback errors since the file it
	// is called on was opened (Linux 5.8 and later), so it is called on
	// the partial opened first: every byte of the batch was written after.
	first := ready[0]
	for _, u := range ready[1:] {
		if u.opened.Before(first.opened) {
			first = u
		}
	}
	if err := unix.Syncfs(int(first.file.Fd())); err != nil {
		for k, u := range ready {
			i := readyIdx[k]
			errs[i] = fsError("commit", ups[i].Target(), err)
			if u.oldMTime {
				// An old mtime would get the partial expired before a retry.
				u.space.root.Chtimes(u.partial, time.Time{}, time.Now())
			}
		}
		return errs
	}
	// The renames are durable once the folders are: one more flush.
	dirFD, err := first.space.root.Open(".")
	if err != nil {
		for _, i := range readyIdx {
			errs[i] = fsError("commit", ups[i].Target(), err)
		}
		return errs
	}
	defer dirFD.Close()
	var published []int
	for k, u := range ready {
		i := readyIdx[k]
		if errs[i] = u.publish(); errs[i] == nil {
			published = append(published, i)
		}
	}
	if len(published) == 0 {
		return errs
	}
	if err := unix.Syncfs(int(dirFD.Fd())); err != nil {
		for _, i := range published {
			errs[i] = fsError("commit", ups[i].Target(), fmt.Errorf("committed, but syncing the folder: %w", err))
		}
	}
	return errs
}
